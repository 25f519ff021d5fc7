"""The one place that decides who may see and change deals (docs/domain/roles-and-visibility.md).

Pages, fragments, the API, exports and jobs all ask here. Everything attached to a deal
follows the deal. Invisible objects answer 404; visible but forbidden actions 403.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from accounts.selectors import managed_user_ids, teammate_ids
from deals.models import Deal
from pipelinecrm.exceptions import Forbidden
from pipelinecrm.expressions import InSubqueryFirst
from pipelines.models import Pipeline


def _editable_owners(user: User) -> tuple[int, QuerySet] | None:
    """Whose deals ``user`` may change: their own and those of everyone in the teams they
    manage (a subquery, not yet run); None means everyone's (admins). The one statement of
    the rule: the SQL condition, the check of one deal and the set of owner ids all come
    from here."""
    if user.role == Role.ADMIN:
        return None
    return user.pk, managed_user_ids(user=user)


def _editable_q(user: User, path: str = "") -> Q:
    """Deals ``user`` may change; ``path`` reaches the deal from a related model."""
    owners = _editable_owners(user)
    if owners is None:
        return Q()
    own, managed = owners
    return Q(**{f"{path}owner": own}) | Q(**{f"{path}owner__in": managed})


def editable_owner_ids(user: User) -> set[int] | None:
    """Owners whose deals ``user`` may change, to decide for many cards at once; None means
    everyone (admins). One query at most."""
    owners = _editable_owners(user)
    if owners is None:
        return None
    own, managed = owners
    return {own, *managed.values_list("user_id", flat=True)}


def visible_owner_ids(user: User) -> QuerySet | None:
    """Ids of the users some of whose deals ``user`` may see: their own, those of the teams
    they manage and their teammates' (a subquery, not yet run); None means everyone's
    (admins). A superset of the owners of ``deals_visible_to(user)``: a long list reads the
    deals owner by owner through it (``InSubqueryFirst``) before the rule filters them, and
    the Deals list's owner filter offers these people (docs/domain/custom-fields.md)."""
    if not user.is_authenticated or not user.is_active:
        return User.objects.none().values("pk")
    owners = _editable_owners(user)
    if owners is None:
        return None
    own, managed = owners
    return User.objects.filter(
        Q(pk=own) | Q(pk__in=managed) | Q(pk__in=teammate_ids(user=user))
    ).values("pk")


def _visible_q(user: User, path: str = "") -> Q:
    """Deals ``user`` may see; ``path`` reaches the deal from a related model."""
    if user.role == Role.ADMIN:
        return Q()
    teammates_on_team_pipelines = Q(
        **{
            f"{path}pipeline__visibility": Pipeline.Visibility.TEAM,
            f"{path}owner__in": teammate_ids(user=user),
        }
    )
    return _editable_q(user, path) | teammates_on_team_pipelines


def deals_on_pipeline_visible_to(user: User, pipeline_id: int) -> QuerySet[Deal]:
    """The deals of one pipeline ``user`` may see: ``_visible_q`` with the pipeline known,
    written as one subquery of the owners whose deals are visible.

    The same deals as ``deals_visible_to(user).filter(pipeline_id=…)``
    (tests/deals/test_access.py checks it), in a form PostgreSQL reads owner by owner from
    an index (``InSubqueryFirst``), where the general rule's OR makes it read every deal of
    the pipeline, other teams' too (docs/performance/board-page.md). The board and its
    live refresh use it.
    """
    if not user.is_authenticated or not user.is_active:
        return Deal.objects.none()
    deals = Deal.objects.filter(pipeline_id=pipeline_id)
    owners = _editable_owners(user)
    if owners is None:
        return deals
    own, managed = owners
    team_pipeline = Exists(
        Pipeline.objects.filter(pk=pipeline_id, visibility=Pipeline.Visibility.TEAM)
    )
    people = User.objects.filter(
        Q(pk=own) | Q(pk__in=managed) | (team_pipeline & Q(pk__in=teammate_ids(user=user)))
    )
    return deals.filter(InSubqueryFirst("owner_id", people.order_by().values("pk")))


def deals_visible_to(user: User) -> QuerySet[Deal]:
    if not user.is_authenticated or not user.is_active:
        return Deal.objects.none()
    return Deal.objects.filter(_visible_q(user))


def deals_editable_by(user: User) -> QuerySet[Deal]:
    if not user.is_authenticated or not user.is_active:
        return Deal.objects.none()
    return Deal.objects.filter(_editable_q(user))


def is_editable_by(user: User) -> Exists:
    """Whether ``user`` may change the deal of each row, as an expression to annotate a
    deals queryset with: ``can_edit`` in the same statement that reads the deal."""
    return Exists(deals_editable_by(user).filter(pk=OuterRef("pk")))


def deal_get_visible_or_404(user: User, pk: int | str, queryset: QuerySet | None = None) -> Deal:
    qs = deals_visible_to(user) if queryset is None else queryset.filter(_visible_q(user))
    try:
        return qs.get(pk=pk)
    except (Deal.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such deal.")) from None


def can_edit(user: User, deal: Deal) -> bool:
    """Owner, a manager of a team the owner is in, or an admin."""
    if not user.is_authenticated or not user.is_active:
        return False
    owners = _editable_owners(user)
    if owners is None:
        return True
    own, managed = owners
    return deal.owner_id == own or managed.filter(user_id=deal.owner_id).exists()


# One sentence per verb, so that each language can write its own (docs/i18n.md).
FORBIDDEN = {
    "change": gettext_lazy("You can see this deal but not change it."),
    "move": gettext_lazy("You can see this deal but not move it."),
    "reopen": gettext_lazy("You can see this deal but not reopen it."),
}


def edit_forbidden(verb: str = "change") -> Forbidden:
    """The refusal (403) of a user who may see a deal but not ``verb`` it (``change``,
    ``move`` or ``reopen``)."""
    return Forbidden(str(FORBIDDEN.get(verb, FORBIDDEN["change"])))


def ensure_can_edit(user: User, deal: Deal, verb: str = "change") -> None:
    """Refuse (403) a user who may see ``deal`` but not ``verb`` it."""
    if not can_edit(user, deal):
        raise edit_forbidden(verb)


def ensure_editable(deal: Deal, verb: str = "change") -> None:
    """``ensure_can_edit`` for a deal read with ``is_editable=is_editable_by(user)``: the
    answer came with the deal, so the check costs no statement."""
    if not deal.is_editable:
        raise edit_forbidden(verb)


def can_override(user: User, deal: Deal) -> bool:
    """Managers of the owner's team and admins may override
    missing requirements (docs/domain/moves.md)."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.MANAGER:
        return False
    return managed_user_ids(user=user).filter(user_id=deal.owner_id).exists()


def can_reassign_to(user: User, deal: Deal, new_owner: User) -> bool:
    """Reps cannot reassign; managers to members of teams they manage; admins to anyone."""
    if not new_owner.is_active or not can_edit(user, deal):
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.MANAGER:
        return False
    return managed_user_ids(user=user).filter(user_id=new_owner.pk).exists()


def visible_through_deal(queryset: QuerySet, user: User, deal_field: str = "deal") -> QuerySet:
    """Activities, checks, stage changes and events follow their deal's visibility.

    The rule joins each row's deal rather than listing every visible deal, so a few rows
    cost a few lookups however many deals the user may see."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    return queryset.filter(_visible_q(user, f"{deal_field}__"))


def deal_owner_choices(user: User) -> QuerySet[User]:
    """Whom ``user`` may create deals for: themselves; managers also their teams; admins
    any active user."""
    users = User.objects.filter(is_active=True)
    if user.role == Role.ADMIN:
        return users
    return users.filter(Q(pk=user.pk) | Q(pk__in=managed_user_ids(user=user)))
