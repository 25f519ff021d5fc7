"""Deal plans of a CSV import → deals, through the same services as the pages. Each plan
runs in its own savepoint (``plans.py``).

- New deals are created directly in their stage (``deal_create``, an "imported" event, no
  checklist), at the bottom of the column in file order so that an import does not bury
  the cards people are working on.
- On update, fields go through ``deal_update``, a new owner through ``deal_reassign`` and a
  stage change through ``deal_move`` under the normal checklist rules: a row that lacks
  required items fails, naming them, and its savepoint undoes the rest of the row. A
  manager or admin who ticked "override" at the mapping step overrides with the reason
  "CSV import", still subject to ``can_override`` (docs/hardening/imports.md). Creating a
  deal directly in its stage needs no checklist.
- Status ``won`` / ``lost`` closes the deal after it is created or updated (won needs the
  exit checklist as above; lost needs a lost reason); ``open`` reopens a closed deal.
- Empty cells leave an existing deal's field as it is.
- Custom-field values go with the created deal (``deal_create``) or the update
  (``deal_update``), checked against the fields of the row's pipeline.
"""

from django.db.models import Count
from django.utils.translation import gettext as _

from accounts.models import Role, User
from deals.csv_import.deal_planning import DealPlanner
from deals.csv_import.plans import Outcome, Plan
from deals.csv_import.values import lower
from deals.models import Deal, DealEvent, ImportJob, Organization, Person
from deals.services.deals import deal_create
from deals.services.editing import deal_reassign, deal_update
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move, deal_reopen
from pipelinecrm.exceptions import InvalidRequest
from pipelines.models import Stage
from pipelines.services import stages_lock

IMPORT_REASON = "CSV import"


class DealImporter(DealPlanner):
    def __init__(self, *, job: ImportJob, user: User, header: list[str]) -> None:
        super().__init__(job=job, user=user, header=header)
        self.open_counts: dict[int, int] = {}
        # Reps never override (their form has no such field); the option is re-checked
        # against the role in case the importer was demoted since the mapping step.
        wants_override = (job.options or {}).get("override_checklist") and user.role != Role.REP
        self.override_reason = IMPORT_REASON if wants_override else ""

    def prepare(self, plans: list[Plan]) -> None:
        self.contacts.create_missing(plans)
        # Hold every column the batch touches, in id order, for the whole batch: positions
        # at the bottom stay right, and the services' own locks find them already held.
        stage_ids = set()
        for plan in plans:
            if plan.values["stage"] is not None:
                stage_ids.add(plan.values["stage"].pk)
            if isinstance(plan.existing, Deal) and plan.existing.pk:
                stage_ids.add(plan.existing.stage_id)
        stages_lock(stage_ids=sorted(stage_ids))
        self.open_counts = {
            row["stage_id"]: row["n"]
            for row in Deal.objects.filter(stage_id__in=stage_ids, status=Deal.Status.OPEN)
            .order_by()
            .values("stage_id")
            .annotate(n=Count("pk"))
        }
        # Lookups of this batch now point at the deals to update, not at placeholders.
        self.made_by_external_id.clear()
        self.made_by_title.clear()

    def apply(self, plan: Plan) -> Outcome:
        existing = plan.existing
        if existing is None:
            return self._create(plan)
        if existing.pk is None:
            # Made by an earlier row of this file, if that row succeeded.
            existing = getattr(existing, "made", None)
            if existing is None:
                raise InvalidRequest(
                    _("An earlier row with the same key failed, so there is no deal to update.")
                )
        return self._update(plan, existing)

    def _bottom(self, stage_id: int) -> int:
        """The index after the last open card of a column this batch holds locked."""
        if stage_id not in self.open_counts:
            self.open_counts[stage_id] = Deal.objects.filter(
                stage_id=stage_id, status=Deal.Status.OPEN
            ).count()
        return self.open_counts[stage_id]

    def _contacts_of(self, values: dict) -> tuple[Organization | None, Person | None]:
        organization = self.contacts.organizations.get(lower(values["organization_name"]))
        person = self.contacts.person(
            name=values["person_name"],
            email=values["person_email"],
            organization=values["organization_name"],
        )
        return organization, person

    def _create(self, plan: Plan) -> Outcome:
        values = plan.values
        organization, person = self._contacts_of(values)
        stage = values["stage"]
        position = self._bottom(stage.pk)
        deal = deal_create(
            user=self.user,
            title=values["title"],
            pipeline=values["pipeline"],
            stage=stage,
            owner=values["owner"] or self.user,
            value=values["value"],
            organization=organization,
            person=person,
            expected_close_date=values["expected_close_date"],
            external_id=values["external_id"] or None,
            event_kind=DealEvent.Kind.IMPORTED,
            position=position,
            custom_fields=values["custom_fields"] or None,
        )
        deal = self._close(deal, values)
        if deal.status == Deal.Status.OPEN:
            self.open_counts[stage.pk] = position + 1
        values["placeholder"].made = deal
        return Outcome(line=plan.line, outcome="created", id=deal.pk, label=deal.title)

    def _update(self, plan: Plan, existing: Deal) -> Outcome:
        values = plan.values
        deal = Deal.objects.select_related("pipeline", "stage", "organization", "person").get(
            pk=existing.pk
        )
        version, touched = deal.version, {deal.stage_id}
        if values["status"] and values["status"] != deal.status and deal.status != "open":
            deal = deal_reopen(user=self.user, deal=deal, version=None)
        organization, person = self._contacts_of(values)
        changes = {
            "title": values["title"] or None,
            "value": values["value"],
            "expected_close_date": values["expected_close_date"],
            "organization": organization,
            "person": person,
        }
        changes = {name: value for name, value in changes.items() if value is not None}
        custom = values["custom_fields"]
        if changes or custom:
            # The row's pipeline's fields: a row that also moves the deal to another
            # pipeline fills in that pipeline's fields.
            deal = deal_update(
                user=self.user,
                deal=deal,
                version=None,
                custom_fields=custom or None,
                custom_fields_pipeline_id=values["pipeline"].pk,
                **changes,
            )
        owner = values["owner"]
        if owner is not None and owner.pk != deal.owner_id:
            deal = deal_reassign(user=self.user, deal=deal, new_owner=owner, version=None)
        stage: Stage | None = values["stage"]
        if stage is not None and stage.pk != deal.stage_id:
            if deal.status != Deal.Status.OPEN:
                raise InvalidRequest(
                    _("This deal is %(status)s: set its status to open to move it.")
                    % {"status": str(deal.get_status_display()).lower()}
                )
            deal = deal_move(
                user=self.user,
                deal=deal,
                stage=stage,
                version=None,
                pipeline=stage.pipeline_id if stage.pipeline_id != deal.pipeline_id else None,
                override_reason=self.override_reason,
            ).deal
            touched.add(stage.pk)
        deal = self._close(deal, values)
        if deal.version != version:
            # Reopening, moving and closing change the columns' counts: count again if needed.
            touched.add(deal.stage_id)
            for stage_id in touched:
                self.open_counts.pop(stage_id, None)
        outcome = "updated" if deal.version != version else "unchanged"
        return Outcome(line=plan.line, outcome=outcome, id=deal.pk, label=deal.title)

    def _close(self, deal: Deal, values: dict) -> Deal:
        if deal.status != Deal.Status.OPEN or values["status"] not in ("won", "lost"):
            return deal
        if values["status"] == "won":
            return deal_mark_won(
                user=self.user,
                deal=deal,
                version=None,
                override_reason=self.override_reason,
            )
        return deal_mark_lost(user=self.user, deal=deal, version=None, reason=values["lost_reason"])
