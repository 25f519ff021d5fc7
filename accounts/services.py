"""Admin writes on users and teams, and the audit trail
every admin change leaves (docs/domain/admin-pages.md).

Each function is one transaction and writes its ``AuditEntry`` inside it: a change and the
record of who made it commit or roll back together. Handing a leaving user's deals over
lives in ``deals/services/handover.py`` (accounts must not import deals).
"""

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.api.tokens import api_tokens_revoke_all
from accounts.models import AuditEntry, Role, Team, TeamMembership, User
from pipelinecrm.exceptions import Forbidden, InvalidRequest

logger = logging.getLogger(__name__)


# -- Audit -------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def audit_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """``{"field": [old, new]}`` for every value of ``after`` that differs from ``before``."""
    return {
        name: [_jsonable(before.get(name)), _jsonable(value)]
        for name, value in after.items()
        if before.get(name) != value
    }


def audit_record(
    *,
    actor: User | None,
    target: models.Model,
    action: str,
    changes: dict[str, Any] | None = None,
    object_repr: str | None = None,
) -> AuditEntry:
    """Record that ``actor`` did ``action`` to ``target``, in the caller's transaction.

    Call it before deleting ``target``: the entry keeps its type, id and name. ``changes``
    maps a field to ``[old, new]`` (see ``audit_changes``) or holds plain facts.
    """
    return AuditEntry.objects.create(
        actor=actor,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        object_repr=(object_repr or str(target))[:200],
        action=action,
        changes={name: _jsonable(value) for name, value in (changes or {}).items()},
    )


def ensure_admin(actor: User, message: str | None = None) -> None:
    """Services re-check the role: the pages are not the only possible caller."""
    if not (actor.is_authenticated and actor.is_active and actor.is_admin):
        raise Forbidden(message or _("Only admins can change this."))


# -- Users -------------------------------------------------------------------------------


class UserAccess(models.TextChoices):
    """How a new user gets in."""

    INVITE = "invite", gettext_lazy("Email an invitation with a link to choose a password")
    PASSWORD = "password", gettext_lazy("Show a one-time password now (I will pass it on)")


@dataclass(frozen=True)
class UserCreated:
    user: User
    # Shown once on the page that answers the creation; stored nowhere in clear text.
    one_time_password: str | None


def _email_taken(email: str, *, exclude_pk: int | None = None) -> bool:
    """Password reset mails every user of an address, so an address names one user."""
    return bool(email) and User.objects.filter(email__iexact=email).exclude(pk=exclude_pk).exists()


def _set_role_flags(user: User) -> None:
    # Admins of the product are admins of Django's admin too (docs/domain/admin-pages.md).
    user.is_staff = user.is_superuser = user.role == Role.ADMIN


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    role: str = Role.REP,
    access: str = UserAccess.INVITE,
    site_url: str = "",
    language: str = "",
) -> UserCreated:
    """Create a user who signs in through an emailed link or a one-time password.

    The invitation uses Django's password-reset tokens and confirm page, so inviting and
    "forgot my password" are one flow; the mail goes out once the user row is committed.
    """
    ensure_admin(actor)
    email = email.strip()
    if access == UserAccess.INVITE and not email:
        raise ValidationError({"email": _("An invitation needs an email address.")})
    if _email_taken(email):
        raise ValidationError({"email": _("Another user already has this email address.")})
    user = User(
        username=username.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        role=role,
        # Empty: the browser's at the first sign-in; the invitation in the company's.
        language=language,
    )
    _set_role_flags(user)
    password = None
    if access == UserAccess.PASSWORD:
        password = secrets.token_urlsafe(12)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        target=user,
        action="created",
        changes={"role": role, "email": email, "access": access},
    )
    if access == UserAccess.INVITE:
        transaction.on_commit(partial(_send_invitation, user_id=user.pk, site_url=site_url))
    return UserCreated(user=user, one_time_password=password)


def invitation_link(*, user: User, site_url: str) -> str:
    """A set-password link: Django's reset token, valid until used or PASSWORD_RESET_TIMEOUT."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return f"{site_url.rstrip('/')}{path}"


def _send_invitation(*, user_id: int, site_url: str) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return
    context = {"user": user, "link": invitation_link(user=user, site_url=site_url)}
    with user.own_language():
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation_body.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:
        # As Django's own password reset does: the admin can send the link again.
        logger.exception("Could not send the invitation to user %s", user.pk)


@transaction.atomic
def user_invite(*, actor: User, user: User, site_url: str) -> None:
    """(Re)send a set-password link, e.g. when the first one expired."""
    ensure_admin(actor)
    if not user.is_active:
        raise InvalidRequest(_("Reactivate this user before sending a link."))
    if not user.email:
        raise InvalidRequest(_("This user has no email address; add one first."))
    audit_record(actor=actor, target=user, action="invited", changes={"email": user.email})
    transaction.on_commit(partial(_send_invitation, user_id=user.pk, site_url=site_url))


@transaction.atomic
def user_update(*, actor: User, user: User, first_name: str, last_name: str, email: str) -> User:
    ensure_admin(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    after = {
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "email": email.strip(),
    }
    if _email_taken(after["email"], exclude_pk=user.pk):
        raise ValidationError({"email": _("Another user already has this email address.")})
    changes = audit_changes({name: getattr(user, name) for name in after}, after)
    if not changes:
        return user
    for name, value in after.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(after))
    audit_record(actor=actor, target=user, action="edited", changes=changes)
    return user


def user_role_check(*, actor: User, user: User, role: str) -> None:
    """Refuse a role change ``user_set_role`` would refuse; forms ask it to show the reason
    next to the field before anything is saved (Django's admin)."""
    ensure_admin(actor)
    if role not in Role.values:
        raise ValidationError({"role": _("Choose rep, manager or admin.")})
    if user.role == role:
        return
    if user.pk == actor.pk:
        raise InvalidRequest(_("You cannot change your own role; ask another admin."))
    if role == Role.REP:
        managed = list(
            Team.objects.filter(
                memberships__user=user, memberships__kind=TeamMembership.Kind.MANAGER
            ).values_list("name", flat=True)
        )
        if managed:
            raise InvalidRequest(
                _(
                    "%(name)s manages %(teams)s. A rep cannot manage a team: make them a "
                    "member there (or remove them) first."
                )
                % {"name": user.display_name, "teams": ", ".join(managed)}
            )


@transaction.atomic
def user_set_role(*, actor: User, user: User, role: str) -> User:
    """Change the global role. A rep cannot manage a team, so demoting one of a team's
    managers to rep is refused until the admin gives the team another manager."""
    ensure_admin(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    user_role_check(actor=actor, user=user, role=role)
    if user.role == role:
        return user
    old = user.role
    user.role = role
    _set_role_flags(user)
    user.save(update_fields=["role", "is_staff", "is_superuser"])
    audit_record(actor=actor, target=user, action="role changed", changes={"role": [old, role]})
    return user


@transaction.atomic
def user_deactivate(*, actor: User, user: User) -> User:
    """Block sign-in. Open deals and activities are handed over first by the caller
    (``deals.services.handover.user_offboard``); closed deals keep their owner."""
    ensure_admin(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == actor.pk:
        raise InvalidRequest(_("You cannot deactivate yourself; ask another admin."))
    if not user.is_active:
        raise InvalidRequest(_("%(name)s is already deactivated.") % {"name": user.display_name})
    user.is_active = False
    user.save(update_fields=["is_active"])
    # Reactivating must not bring old keys back to life (docs/hardening/accounts-security.md).
    revoked = api_tokens_revoke_all(user=user)
    audit_record(
        actor=actor,
        target=user,
        action="deactivated",
        changes={"is_active": [True, False], "api_tokens_revoked": revoked},
    )
    return user


@transaction.atomic
def user_reactivate(*, actor: User, user: User) -> User:
    ensure_admin(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        raise InvalidRequest(_("%(name)s is already active.") % {"name": user.display_name})
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor, target=user, action="reactivated", changes={"is_active": [False, True]}
    )
    return user


# -- Teams -------------------------------------------------------------------------------


def _name_messages(noun: str) -> tuple[str, str]:
    """The "needs a name" and "name taken" sentences for ``noun``, whole sentences so that
    each language can inflect the noun (docs/i18n.md)."""
    if noun == "team":
        return _("A team needs a name."), _("There is already a team with that name.")
    if noun == "pipeline":
        return _("A pipeline needs a name."), _("There is already a pipeline with that name.")
    if noun == "lost reason":
        return (
            _("A lost reason needs a name."),
            _("There is already a lost reason with that name."),
        )
    return (
        pgettext("any object", "Give it a name."),
        pgettext("any object", "That name is already taken."),
    )


def unique_name(
    model: type[models.Model], name: str, *, noun: str, exclude_pk: int | None = None
) -> str:
    """``name`` stripped, refused when empty, too long or taken (ignoring case) by another
    ``model`` row: teams, pipelines and lost reasons are told apart by name."""
    needs_name, taken = _name_messages(noun)
    name = name.strip()
    if not name:
        raise ValidationError({"name": needs_name})
    max_length = model._meta.get_field("name").max_length
    if len(name) > max_length:
        raise ValidationError(
            {
                "name": _("Keep the name under %(max_length)s characters.")
                % {"max_length": max_length}
            }
        )
    if model.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": taken})
    return name


def _names(users: Iterable[User]) -> list[str]:
    return sorted(user.username for user in users)


def _team_people(team: Team) -> dict[str, list[str]]:
    people: dict[str, list[str]] = {"managers": [], "members": []}
    for membership in team.memberships.select_related("user"):
        key = "managers" if membership.kind == TeamMembership.Kind.MANAGER else "members"
        people[key].append(membership.user.username)
    return {key: sorted(names) for key, names in people.items()}


def team_people_check(
    *, manager_ids: Iterable[int], member_ids: Iterable[int]
) -> tuple[list[User], list[User]]:
    """The managers and members a team may have, or the ValidationError saying why not;
    forms ask it before saving (Django's admin), the services again inside their lock."""
    manager_ids, member_ids = set(manager_ids), set(member_ids)
    both = manager_ids & member_ids
    if both:
        names = _names(User.objects.filter(pk__in=both))
        raise ValidationError(
            {
                "members": _("%(names)s cannot be both manager and member; choose one.")
                % {"names": ", ".join(names)}
            }
        )
    managers = list(User.objects.filter(pk__in=manager_ids, is_active=True))
    members = list(User.objects.filter(pk__in=member_ids, is_active=True))
    if len(managers) != len(manager_ids) or len(members) != len(member_ids):
        raise ValidationError(_("Only active users can join a team."))
    reps = [user for user in managers if user.role == Role.REP]
    if reps:
        raise ValidationError(
            {
                "managers": _(
                    "%(names)s: only a user with the manager or admin role can manage a team."
                )
                % {"names": ", ".join(_names(reps))}
            }
        )
    return managers, members


def _replace_memberships(
    *, team: Team, manager_ids: Iterable[int], member_ids: Iterable[int]
) -> None:
    managers, members = team_people_check(manager_ids=manager_ids, member_ids=member_ids)
    team.memberships.all().delete()
    TeamMembership.objects.bulk_create(
        [TeamMembership(team=team, user=u, kind=TeamMembership.Kind.MANAGER) for u in managers]
        + [TeamMembership(team=team, user=u, kind=TeamMembership.Kind.MEMBER) for u in members]
    )


@transaction.atomic
def team_create(
    *, actor: User, name: str, manager_ids: Iterable[int] = (), member_ids: Iterable[int] = ()
) -> Team:
    ensure_admin(actor)
    team = Team.objects.create(name=unique_name(Team, name, noun="team"))
    _replace_memberships(team=team, manager_ids=manager_ids, member_ids=member_ids)
    audit_record(actor=actor, target=team, action="created", changes=_team_people(team))
    return team


@transaction.atomic
def team_update(
    *,
    actor: User,
    team: Team,
    name: str,
    manager_ids: Iterable[int],
    member_ids: Iterable[int],
) -> Team:
    """Rename and set who manages and who belongs, in one step."""
    ensure_admin(actor)
    team = Team.objects.select_for_update().get(pk=team.pk)
    before = {"name": team.name, **_team_people(team)}
    team.name = unique_name(Team, name, noun="team", exclude_pk=team.pk)
    team.save(update_fields=["name"])
    _replace_memberships(team=team, manager_ids=manager_ids, member_ids=member_ids)
    changes = audit_changes(before, {"name": team.name, **_team_people(team)})
    if changes:
        audit_record(actor=actor, target=team, action="edited", changes=changes)
    return team


@transaction.atomic
def team_delete(*, actor: User, team: Team) -> None:
    """Memberships and the team's own quotas go with it; deals are owned by users, not
    teams, so nothing else changes."""
    ensure_admin(actor)
    team = Team.objects.select_for_update().get(pk=team.pk)
    audit_record(actor=actor, target=team, action="deleted", changes=_team_people(team))
    team.delete()
