"""Deal rows of a CSV import → plans: what each row would create or update, or why it cannot.

The dry run stops at the plans; the run applies them (``deal_applying.py``), so both report
the same refusals. Lookups (pipelines, stages, users, lost reasons) are loaded once per
import, the deals a batch may match once per batch: a few queries per batch, not per row.

Decisions:

- A row whose external id belongs to a deal the importer may edit updates that deal; an
  id of any other deal answers as an unknown one (ids are unique per owner,
  docs/hardening/imports.md). Without an external id, a row updates
  the one deal the importer may edit with the same title, organization and pipeline
  (case-insensitive); several such deals make the row ambiguous (reported, not guessed).
  Importing the same file twice therefore changes nothing the second time.
- People match by email, else by name and organization, never by name alone.
- Custom fields (columns mapped to ``cf_<key>``) are read per type with the import's
  decimal separator (``pipelines.custom_fields.from_text``), users by username or email
  from the lookup above; a field the row's pipeline lacks, or a cell its type refuses, is
  a row error naming the field. Empty cells leave an existing deal's value as it is.
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import User
from deals.access import deal_owner_choices, deals_editable_by
from deals.csv_import.mapping import CUSTOM_PREFIX
from deals.csv_import.plans import Importer, Plan
from deals.csv_import.values import join_names, lower
from deals.models import Deal, ImportJob, LostReason
from pipelines.models import CustomField, Pipeline, Stage
from pipelines.selectors import custom_fields_for

STATUSES = {"open", "won", "lost"}


class DealPlanner(Importer):
    """Reads deal rows into plans; ``DealImporter`` adds how the plans are applied."""

    date_column = "expected_close_date"

    def __init__(self, *, job: ImportJob, user: User, header: list[str]) -> None:
        super().__init__(job=job, user=user, header=header)
        pipelines = list(Pipeline.objects.order_by("-is_active", "pk"))
        self.pipelines: dict[str, Pipeline] = {}
        for pipeline in pipelines:
            self.pipelines.setdefault(lower(pipeline.name), pipeline)
        self.active_pipelines = [p for p in pipelines if p.is_active]
        self.stages: dict[tuple[int, str], Stage] = {}
        self.first_stage: dict[int, Stage] = {}
        self.stage_names: dict[int, list[str]] = defaultdict(list)
        for stage in Stage.objects.filter(is_archived=False).order_by("position", "pk"):
            self.stages[(stage.pipeline_id, lower(stage.name))] = stage
            self.first_stage.setdefault(stage.pipeline_id, stage)
            self.stage_names[stage.pipeline_id].append(stage.name)
        # An owner cell names a username or an email; usernames win a clash.
        active = list(User.objects.filter(is_active=True).order_by("-pk"))
        self.users: dict[str, User] = {lower(u.email): u for u in active if u.email}
        self.users |= {lower(u.username): u for u in active}
        self.allowed_owner_ids = set(deal_owner_choices(user).values_list("pk", flat=True))
        self.lost_reasons = {
            lower(reason.name): reason for reason in LostReason.objects.filter(is_active=True)
        }
        default = (job.options or {}).get("pipeline")
        self.default_pipeline = next((p for p in self.active_pipelines if p.pk == default), None)
        # The custom fields the mapping names, by target name; read once per import.
        self.custom_fields: dict[str, CustomField] = {}
        if any(name.startswith(CUSTOM_PREFIX) for name in self.reader.mapping):
            self.custom_fields = {
                f"{CUSTOM_PREFIX}{field.key}": field for field in custom_fields_for(None)
            }
        # Deals made earlier in this file: a later row with the same key updates them.
        self.made_by_external_id: dict[str, Deal] = {}
        self.made_by_title: dict[tuple, Deal] = {}
        self.open_counts: dict[int, int] = {}

    # -- planning ------------------------------------------------------------------------

    def _title_key(self, title: str, organization: str, pipeline_id: int | None) -> tuple:
        return (lower(title), lower(organization), pipeline_id)

    def _row_pipeline_for_match(self, cells: list[str]) -> Pipeline | None:
        name = self.reader.text(cells, "pipeline")
        return self.pipelines.get(lower(name)) if name else self.default_pipeline

    def plan_rows(self, rows) -> list[Plan]:
        read = []
        for line, row in rows:
            cells = self.reader.start(row)
            read.append((line, cells, list(self.reader.errors)))
        external_ids = {
            self.reader.text(c, "external_id", 100) for _, c, _ in read if c is not None
        } - {""}
        # Only deals the importer may edit are matched: an id used by a deal they cannot see
        # (or only see) answers as an unknown id does, and makes a new deal of their own
        # (external ids are unique per owner, docs/hardening/imports.md).
        by_external_id: dict[str, list[Deal]] = defaultdict(list)
        for deal in (
            deals_editable_by(self.user)
            .filter(external_id__in=external_ids)
            .select_related("pipeline", "stage", "organization")
            .order_by("pk")
        ):
            by_external_id[deal.external_id].append(deal)
        titles = {
            lower(self.reader.text(c, "title"))
            for _, c, _ in read
            if c is not None and not self.reader.text(c, "external_id", 100)
        } - {""}
        by_title: dict[tuple, list[Deal]] = defaultdict(list)
        if titles:
            for deal in (
                deals_editable_by(self.user)
                .annotate(title_key=Lower("title"))
                .filter(title_key__in=titles)
                .select_related("pipeline", "stage", "organization")
            ):
                key = self._title_key(
                    deal.title,
                    deal.organization.name if deal.organization else "",
                    deal.pipeline_id,
                )
                by_title[key].append(deal)
        self.contacts.load(
            organization_names={
                self.reader.text(c, "organization") for _, c, _ in read if c is not None
            }
            - {""},
            emails={self.reader.text(c, "person_email") for _, c, _ in read if c is not None}
            - {""},
            names={self.reader.text(c, "person") for _, c, _ in read if c is not None} - {""},
        )
        plans = []
        for line, cells, errors in read:
            plan = Plan(line=line, errors=errors)
            if cells is not None:
                self._plan(plan, cells, by_external_id, by_title)
            if not plan.errors and plan.existing is None:
                # Rows further down with the same key update this deal, in the run as in
                # the dry run (where it is only a placeholder).
                placeholder = Deal(
                    title=plan.values["title"],
                    pipeline=plan.values["pipeline"],
                    stage=plan.values["stage"],
                    owner=plan.values["owner"] or self.user,
                    status=Deal.Status.OPEN,
                )
                plan.values["placeholder"] = placeholder
                self._remember(plan, placeholder)
            plans.append(plan)
        return plans

    def _remember(self, plan: Plan, deal: Deal) -> None:
        values = plan.values
        if values["external_id"]:
            self.made_by_external_id[values["external_id"]] = deal
        else:
            key = self._title_key(
                values["title"], values["organization_name"], values["pipeline"].pk
            )
            self.made_by_title[key] = deal

    def _match_external_id(self, cells, candidates: list[Deal]) -> Deal | bool | None:
        """The one editable deal with the row's external id; among several (a manager's
        team may reuse an id), the row owner's; ``False`` when that leaves no single one."""
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        owner = self.users.get(lower(self.reader.text(cells, "owner", 254))) or self.user
        owned = [deal for deal in candidates if deal.owner_id == owner.pk]
        return owned[0] if len(owned) == 1 else False

    def _plan(self, plan: Plan, cells, by_external_id, by_title) -> None:
        reader, errors = self.reader, plan.errors
        reader.errors = []
        title = reader.text(cells, "title")
        external_id = reader.text(cells, "external_id", 100)
        organization_name = reader.text(cells, "organization")
        plan.values = {"title": title}
        existing: Deal | None = None
        if external_id:
            existing = self.made_by_external_id.get(external_id)
            if existing is None:
                existing = self._match_external_id(cells, by_external_id.get(external_id, []))
            if existing is False:
                errors.append(
                    _(
                        "Several deals you may edit have the external id “%(external_id)s”; map "
                        "an owner column to say whose deal this row updates."
                    )
                    % {"external_id": external_id}
                )
                return
        else:
            pipeline = self._row_pipeline_for_match(cells)
            key = self._title_key(title, organization_name, pipeline.pk if pipeline else None)
            matches = by_title.get(key, [])
            if len(matches) > 1:
                errors.append(
                    _(
                        "%(count)s of your deals are called “%(title)s” with this organization "
                        "in this pipeline; add an external id column to say which one to update."
                    )
                    % {"count": len(matches), "title": title}
                )
                return
            existing = self.made_by_title.get(key) or (matches[0] if matches else None)
        plan.existing = existing
        if existing is None and not title:
            errors.append(_("The title is empty."))

        pipeline = self._plan_pipeline(cells, existing, errors)
        stage = self._plan_stage(cells, pipeline, existing, errors) if pipeline else None
        status = lower(reader.text(cells, "status"))
        if status and status not in STATUSES:
            errors.append(
                _("Status “%(status)s” is not open, won or lost.")
                % {"status": reader.text(cells, "status")}
            )
            status = ""
        lost_reason = None
        reason_name = reader.text(cells, "lost_reason")
        closing_lost = status == "lost" and (existing is None or existing.status != "lost")
        if reason_name:
            lost_reason = self.lost_reasons.get(lower(reason_name))
            if lost_reason is None:
                errors.append(
                    _("Lost reason “%(reason)s” is not in the list (%(reasons)s).")
                    % {
                        "reason": reason_name,
                        "reasons": join_names(r.name for r in self.lost_reasons.values()),
                    }
                )
        elif closing_lost:
            errors.append(_("A lost deal needs a lost reason (map a lost reason column)."))
        person_name = reader.text(cells, "person")
        person_email = reader.text(cells, "person_email", 254)
        if person_email:
            try:
                validate_email(person_email)
            except ValidationError:
                errors.append(_("“%(email)s” is not an email address.") % {"email": person_email})
        if (
            person_email
            and not person_name
            and not self.contacts.person(name="", email=person_email)
        ):
            errors.append(
                _("Nobody has the email %(email)s; add the person's name too.")
                % {"email": person_email}
            )
        plan.values = {
            "title": title,
            "external_id": external_id,
            "value": reader.amount(cells, "value"),
            "expected_close_date": reader.date(cells, "expected_close_date"),
            "pipeline": pipeline,
            "stage": stage,
            "owner": self._plan_owner(cells, errors),
            "organization_name": organization_name,
            "person_name": person_name,
            "person_email": person_email,
            "status": status,
            "lost_reason": lost_reason,
            "custom_fields": self._plan_custom_fields(cells, pipeline, errors),
        }
        errors.extend(e for e in reader.errors if e not in errors)

    def _plan_pipeline(self, cells, existing: Deal | None, errors: list[str]) -> Pipeline | None:
        name = self.reader.text(cells, "pipeline")
        if name:
            pipeline = self.pipelines.get(lower(name))
            if pipeline is None:
                errors.append(
                    _("There is no pipeline “%(name)s” (pipelines: %(pipelines)s).")
                    % {"name": name, "pipelines": join_names(p.name for p in self.active_pipelines)}
                )
            elif not pipeline.is_active:
                errors.append(_("Pipeline “%(name)s” is archived.") % {"name": pipeline.name})
                return None
            return pipeline
        if existing is not None:
            return existing.pipeline
        if self.default_pipeline is None:
            errors.append(_("The pipeline is empty and no pipeline was chosen for such rows."))
        return self.default_pipeline

    def _plan_stage(self, cells, pipeline: Pipeline, existing, errors) -> Stage | None:
        name = self.reader.text(cells, "stage")
        if name:
            stage = self.stages.get((pipeline.pk, lower(name)))
            if stage is None:
                errors.append(
                    _("“%(name)s” is not a stage of %(pipeline)s (its stages: %(stages)s).")
                    % {
                        "name": name,
                        "pipeline": pipeline.name,
                        "stages": join_names(self.stage_names[pipeline.pk]),
                    }
                )
            return stage
        if existing is not None and existing.pipeline_id == pipeline.pk:
            return None  # stays where it is
        stage = self.first_stage.get(pipeline.pk)
        if stage is None:
            errors.append(_("Pipeline %(name)s has no active stage.") % {"name": pipeline.name})
        return stage

    def _plan_owner(self, cells, errors: list[str]) -> User | None:
        name = self.reader.text(cells, "owner", 254)
        if not name:
            return None
        owner = self.users.get(lower(name))
        if owner is None:
            errors.append(_("There is no active user “%(name)s”.") % {"name": name})
            return None
        if owner.pk not in self.allowed_owner_ids:
            errors.append(
                _(
                    "You may not import deals for %(name)s: only for yourself and the members "
                    "of the teams you manage."
                )
                % {"name": owner.display_name}
            )
            return None
        return owner

    def _plan_custom_fields(self, cells, pipeline: Pipeline | None, errors: list[str]) -> dict:
        """The row's custom-field values by key (Python values, as the services take them);
        empty cells are left out."""
        values = {}
        for name, index in self.reader.mapping.items():
            if not name.startswith(CUSTOM_PREFIX):
                continue
            text = cells[index].strip() if index < len(cells) else ""
            if not text:
                continue
            field = self.custom_fields.get(name)
            if field is None:
                errors.append(
                    _("The custom field “%(key)s” is archived or deleted: it cannot be imported.")
                    % {"key": name.removeprefix(CUSTOM_PREFIX)}
                )
                continue
            if pipeline is not None and field.pipeline_id not in (None, pipeline.pk):
                errors.append(
                    _("%(field)s is not a field of the pipeline %(pipeline)s.")
                    % {"field": field.name, "pipeline": pipeline.name}
                )
                continue
            try:
                values[field.key] = self._custom_value(field, text)
            except ValidationError as error:
                errors.append(
                    _("%(field)s “%(value)s”: %(message)s")
                    % {"field": field.name, "value": text, "message": " ".join(error.messages)}
                )
        return values

    def _custom_value(self, field: CustomField, text: str):
        """A cell as the field's Python value; users from the import's lookup, so that a
        file of thousands of rows does not ask for each one."""
        if field.type == CustomField.Type.USER:
            user = self.users.get(lower(text))
            if user is None:
                raise ValidationError(_("No active user “%(value)s”.") % {"value": text})
            return user.pk
        return self.reader.custom(field, text)
