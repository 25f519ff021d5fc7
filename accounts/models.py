from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    # Translators: a user's role; "Rep" is a sales rep (glossary: rep / manager / admin).
    REP = "rep", pgettext_lazy("role", "Rep")
    MANAGER = "manager", pgettext_lazy("role", "Manager")
    ADMIN = "admin", pgettext_lazy("role", "Admin")


class CrmUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """`createsuperuser` makes an admin of the product, not only of Django's admin."""
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. The role is global (docs/domain/roles-and-visibility.md)."""

    role = models.CharField(_("role"), max_length=10, choices=Role, default=Role.REP)
    # Empty until the user signs in for the first time: then their browser's language among
    # settings.LANGUAGES, else the company's (docs/i18n.md). Pages and emails use it.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )

    objects = CrmUserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
        ]

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def initials(self) -> str:
        parts = [p for p in (self.first_name, self.last_name) if p]
        letters = "".join(p[0] for p in parts) if parts else self.username[:2]
        return letters.upper()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def own_language(self) -> translation.override:
        """``with user.own_language():`` around emails and notifications for this user,
        also in jobs, which have no request (docs/i18n.md)."""
        return translation.override(self.language or settings.LANGUAGE_CODE)


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="TeamMembership",
        related_name="teams",
        verbose_name=_("users"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    """A user's place in a team: a member, or one of its managers."""

    class Kind(models.TextChoices):
        MEMBER = "member", _("Member")
        MANAGER = "manager", _("Manager")

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("team")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.MEMBER)

    class Meta:
        ordering = ["team", "kind", "user"]
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_once_per_team"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.kind})"

    def clean(self) -> None:
        if self.kind == self.Kind.MANAGER and self.user.role == Role.REP:
            raise ValidationError(
                {"user": _("Only a user with the manager or admin role can manage a team.")}
            )


class AuditEntry(models.Model):
    """Who changed what in the admin pages, and when (docs/domain/admin-pages.md)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    object_type = models.CharField(_("object type"), max_length=50)
    object_id = models.CharField(_("object ID"), max_length=50)
    object_repr = models.CharField(_("object"), max_length=200)
    action = models.CharField(_("action"), max_length=50)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.object_type} {self.object_repr}"


class ApiToken(models.Model):
    """A named API key of one user (docs/domain/api.md). Only its SHA-256 is stored.

    The key is shown once, when created; ``prefix`` (its first characters) lets the owner
    tell tokens apart in the list without the key being recoverable. A token past
    ``expires_at`` authenticates nobody but stays listed (as expired) until revoked.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} / {self.name or self.prefix}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
