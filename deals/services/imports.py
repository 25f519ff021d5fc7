"""Running a CSV import (docs/domain/imports.md): the dry run, and the job a Celery worker runs.

Each row becomes a *plan* (what it would create or update, or why it cannot) from lookups
loaded once per batch, so checking costs a few queries per batch rather than per row. The
dry run stops there. The run applies the plans through the services, each row in its own
savepoint: a refused row rolls back alone and is reported with its line number, the good
rows around it are kept.

Rows are committed in batches together with the job's progress (``done``), so the progress
bar shows what is really saved, and a job delivered again after a worker died resumes after
the last committed batch instead of importing rows twice.

Decisions:

- A row whose external id belongs to a deal the importer may edit updates that deal; an
  id of any other deal answers as an unknown one (ids are unique per owner,
  docs/hardening/imports.md). Without an external id, a row updates
  the one deal the importer may edit with the same title, organization and pipeline
  (case-insensitive); several such deals make the row ambiguous (reported, not guessed).
  Importing the same file twice therefore changes nothing the second time.
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
- People match by email, else by name and organization, never by name alone.

The file is read as a stream of stored chunks; a job whose message was lost is sent again
by the periodic sweep (see docs/hardening/imports.md).
"""

import datetime
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import TextIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from accounts.models import Role, User
from deals.access import deal_owner_choices, deals_editable_by
from deals.imports import (
    CHUNK_BYTES,
    GUESS_ROWS,
    SNIFF_BYTES,
    ChunkStream,
    EncodingSniffer,
    ImportFileError,
    RowReader,
    Rows,
    guess_decimal_separator,
    guess_mapping,
    open_table,
    slashed_date_order,
    sniff_delimiter,
    text_of,
)
from deals.models import (
    Deal,
    DealEvent,
    ImportChunk,
    ImportJob,
    LostReason,
    Organization,
    Person,
)
from deals.services.deals import deal_create
from deals.services.editing import deal_reassign, deal_update
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move, deal_reopen
from pipelinecrm.celery import enqueue_after_commit
from pipelinecrm.exceptions import DomainError, InvalidRequest
from pipelines.models import Pipeline, Stage
from pipelines.services import stages_lock

logger = logging.getLogger(__name__)

IMPORT_REASON = "CSV import"
DRY_RUN_CHUNK = 1000
# A run hands over to a fresh task after this long, well inside the task's time limit.
SLICE_SECONDS = 240
STATUSES = {"open", "won", "lost"}


@dataclass
class Plan:
    line: int
    errors: list[str] = field(default_factory=list)
    existing: object = None  # the matched row (a Deal, Organization or Person), if any
    values: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.values.get("title") or self.values.get("name") or ""


@dataclass
class Outcome:
    line: int
    outcome: str  # created | updated | unchanged | failed
    id: int | None = None
    label: str = ""
    reason: str = ""


def _lower(text: str) -> str:
    return text.strip().lower()


def _join(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(names[:12]) + (", …" if len(names) > 12 else "")


class ContactBook:
    """Organizations found or made by name, people by email, else by name *and*
    organization (never by name alone: two Anna Schmidts at different organizations, or one
    without organization, are two people). Names match case-insensitively and the oldest
    row wins, as the services do."""

    def __init__(self) -> None:
        self.organizations: dict[str, Organization] = {}
        self.people_by_email: dict[str, Person] = {}
        # (name, organization name or "") → person
        self.people_by_name: dict[tuple[str, str], Person] = {}
        self.loaded_names: set[str] = set()

    def load(self, *, organization_names: set[str], emails: set[str], names: set[str]) -> None:
        wanted = {_lower(n) for n in organization_names} - self.organizations.keys()
        if wanted:
            for organization in (
                Organization.objects.annotate(key=Lower("name"))
                .filter(key__in=wanted)
                .order_by("-pk")
            ):
                self.organizations[organization.key] = organization
        emails = {_lower(e) for e in emails} - self.people_by_email.keys()
        names = {_lower(n) for n in names} - self.loaded_names
        self.loaded_names |= names
        if emails or names:
            people = Person.objects.annotate(
                email_key=Lower("email"), name_key=Lower("name")
            ).select_related("organization")
            for person in people.filter(email_key__in=emails).order_by("-pk"):
                self.people_by_email[person.email_key] = person
            for person in people.filter(name_key__in=names).order_by("-pk"):
                self.people_by_name[self._name_key(person.name, person.organization)] = person

    @staticmethod
    def _name_key(name: str, organization: Organization | str | None) -> tuple[str, str]:
        if isinstance(organization, Organization):
            organization = organization.name
        return (_lower(name), _lower(organization or ""))

    def person(self, *, name: str, email: str, organization: str = "") -> Person | None:
        if email and _lower(email) in self.people_by_email:
            return self.people_by_email[_lower(email)]
        return self.people_by_name.get(self._name_key(name, organization)) if name else None

    def remember(self, person: Person, organization: str = "") -> None:
        if person.email:
            self.people_by_email[_lower(person.email)] = person
        self.people_by_name.setdefault(self._name_key(person.name, organization), person)

    def create_missing(self, plans: list[Plan]) -> None:
        """Create, in two statements, the organizations and people the plans name."""
        new_orgs: dict[str, Organization] = {}
        for plan in plans:
            name = plan.values.get("organization_name", "")
            if name and _lower(name) not in self.organizations:
                new_orgs.setdefault(_lower(name), Organization(name=name))
        for organization in Organization.objects.bulk_create(new_orgs.values()):
            self.organizations[_lower(organization.name)] = organization
        new_people: dict[object, tuple[Person, str]] = {}
        for plan in plans:
            name = plan.values.get("person_name", "")
            email = plan.values.get("person_email", "")
            organization_name = plan.values.get("organization_name", "")
            if not name or self.person(name=name, email=email, organization=organization_name):
                continue
            key = _lower(email) or self._name_key(name, organization_name)
            organization = self.organizations.get(_lower(organization_name))
            new_people.setdefault(
                key,
                (Person(name=name, email=email, organization=organization), organization_name),
            )
        Person.objects.bulk_create([person for person, _ in new_people.values()])
        for person, organization_name in new_people.values():
            self.remember(person, organization_name)


class Importer:
    """Shared by the three kinds: reading rows into plans, running plans in savepoints."""

    # The column whose slashed dates decide day/month order (the dry run reads it first).
    date_column = ""

    def __init__(self, *, job: ImportJob, user: User, header: list[str]) -> None:
        self.job, self.user = job, user
        options = job.options or {}
        self.reader = RowReader(
            mapping={k: int(v) for k, v in (job.mapping or {}).items()},
            width=len(header),
            decimal_separator=options.get("decimal_separator", "."),
            date_order=options.get("date_order", "dmy"),
        )
        self.contacts = ContactBook()

    def plan_rows(self, rows: list[tuple[int, list[str]]]) -> list[Plan]:
        raise NotImplementedError

    def prepare(self, plans: list[Plan]) -> None:
        """Writes that serve the whole batch (new organizations and people, column locks)."""

    def apply(self, plan: Plan) -> Outcome:
        raise NotImplementedError

    def run_batch(self, rows: list[tuple[int, list[str]]]) -> list[Outcome]:
        plans = self.plan_rows(rows)
        self.prepare([plan for plan in plans if not plan.errors])
        outcomes = []
        for plan in plans:
            if plan.errors:
                outcomes.append(_failed(plan, " ".join(plan.errors)))
                continue
            try:
                with transaction.atomic():
                    outcomes.append(self.apply(plan))
            except ValidationError as error:
                outcomes.append(_failed(plan, " ".join(error.messages)))
            except DomainError as error:
                outcomes.append(_failed(plan, _domain_message(error)))
            except IntegrityError as error:
                outcomes.append(_failed(plan, f"The database refused the row: {error}".strip()))
        return outcomes


def _failed(plan: Plan, reason: str) -> Outcome:
    return Outcome(line=plan.line, outcome="failed", label=plan.label, reason=reason)


def _domain_message(error: DomainError) -> str:
    missing = getattr(error, "missing", None)
    if missing:
        return f"{error.message} Missing: {_join(item.text for item in missing)}."
    return error.message


# -- deals --------------------------------------------------------------------------------


class DealImporter(Importer):
    date_column = "expected_close_date"

    def __init__(self, *, job: ImportJob, user: User, header: list[str]) -> None:
        super().__init__(job=job, user=user, header=header)
        pipelines = list(Pipeline.objects.order_by("-is_active", "pk"))
        self.pipelines: dict[str, Pipeline] = {}
        for pipeline in pipelines:
            self.pipelines.setdefault(_lower(pipeline.name), pipeline)
        self.active_pipelines = [p for p in pipelines if p.is_active]
        self.stages: dict[tuple[int, str], Stage] = {}
        self.first_stage: dict[int, Stage] = {}
        self.stage_names: dict[int, list[str]] = defaultdict(list)
        for stage in Stage.objects.filter(is_archived=False).order_by("position", "pk"):
            self.stages[(stage.pipeline_id, _lower(stage.name))] = stage
            self.first_stage.setdefault(stage.pipeline_id, stage)
            self.stage_names[stage.pipeline_id].append(stage.name)
        # An owner cell names a username or an email; usernames win a clash.
        active = list(User.objects.filter(is_active=True).order_by("-pk"))
        self.users: dict[str, User] = {_lower(u.email): u for u in active if u.email}
        self.users |= {_lower(u.username): u for u in active}
        self.allowed_owner_ids = set(deal_owner_choices(user).values_list("pk", flat=True))
        self.lost_reasons = {
            _lower(reason.name): reason for reason in LostReason.objects.filter(is_active=True)
        }
        default = (job.options or {}).get("pipeline")
        self.default_pipeline = next((p for p in self.active_pipelines if p.pk == default), None)
        # Deals made earlier in this file: a later row with the same key updates them.
        self.made_by_external_id: dict[str, Deal] = {}
        self.made_by_title: dict[tuple, Deal] = {}
        self.open_counts: dict[int, int] = {}
        # Reps never override (their form has no such field); the option is re-checked
        # against the role in case the importer was demoted since the mapping step.
        wants_override = (job.options or {}).get("override_checklist") and user.role != Role.REP
        self.override_reason = IMPORT_REASON if wants_override else ""

    # -- planning ------------------------------------------------------------------------

    def _title_key(self, title: str, organization: str, pipeline_id: int | None) -> tuple:
        return (_lower(title), _lower(organization), pipeline_id)

    def _row_pipeline_for_match(self, cells: list[str]) -> Pipeline | None:
        name = self.reader.text(cells, "pipeline")
        return self.pipelines.get(_lower(name)) if name else self.default_pipeline

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
            _lower(self.reader.text(c, "title"))
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
        owner = self.users.get(_lower(self.reader.text(cells, "owner", 254))) or self.user
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
                    f"Several deals you may edit have the external id “{external_id}”; map an "
                    "owner column to say whose deal this row updates."
                )
                return
        else:
            pipeline = self._row_pipeline_for_match(cells)
            key = self._title_key(title, organization_name, pipeline.pk if pipeline else None)
            matches = by_title.get(key, [])
            if len(matches) > 1:
                errors.append(
                    f"{len(matches)} of your deals are called “{title}” with this organization "
                    "in this pipeline; add an external id column to say which one to update."
                )
                return
            existing = self.made_by_title.get(key) or (matches[0] if matches else None)
        plan.existing = existing
        if existing is None and not title:
            errors.append("The title is empty.")

        pipeline = self._plan_pipeline(cells, existing, errors)
        stage = self._plan_stage(cells, pipeline, existing, errors) if pipeline else None
        status = _lower(reader.text(cells, "status"))
        if status and status not in STATUSES:
            errors.append(f"Status “{reader.text(cells, 'status')}” is not open, won or lost.")
            status = ""
        lost_reason = None
        reason_name = reader.text(cells, "lost_reason")
        closing_lost = status == "lost" and (existing is None or existing.status != "lost")
        if reason_name:
            lost_reason = self.lost_reasons.get(_lower(reason_name))
            if lost_reason is None:
                errors.append(
                    f"Lost reason “{reason_name}” is not in the list "
                    f"({_join(r.name for r in self.lost_reasons.values())})."
                )
        elif closing_lost:
            errors.append("A lost deal needs a lost reason (map a lost reason column).")
        person_name = reader.text(cells, "person")
        person_email = reader.text(cells, "person_email", 254)
        if person_email:
            try:
                validate_email(person_email)
            except ValidationError:
                errors.append(f"“{person_email}” is not an email address.")
        if (
            person_email
            and not person_name
            and not self.contacts.person(name="", email=person_email)
        ):
            errors.append(f"Nobody has the email {person_email}; add the person's name too.")
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
        }
        errors.extend(e for e in reader.errors if e not in errors)

    def _plan_pipeline(self, cells, existing: Deal | None, errors: list[str]) -> Pipeline | None:
        name = self.reader.text(cells, "pipeline")
        if name:
            pipeline = self.pipelines.get(_lower(name))
            if pipeline is None:
                errors.append(
                    f"There is no pipeline “{name}” "
                    f"(pipelines: {_join(p.name for p in self.active_pipelines)})."
                )
            elif not pipeline.is_active:
                errors.append(f"Pipeline “{pipeline.name}” is archived.")
                return None
            return pipeline
        if existing is not None:
            return existing.pipeline
        if self.default_pipeline is None:
            errors.append("The pipeline is empty and no pipeline was chosen for such rows.")
        return self.default_pipeline

    def _plan_stage(self, cells, pipeline: Pipeline, existing, errors) -> Stage | None:
        name = self.reader.text(cells, "stage")
        if name:
            stage = self.stages.get((pipeline.pk, _lower(name)))
            if stage is None:
                errors.append(
                    f"“{name}” is not a stage of {pipeline.name} "
                    f"(its stages: {_join(self.stage_names[pipeline.pk])})."
                )
            return stage
        if existing is not None and existing.pipeline_id == pipeline.pk:
            return None  # stays where it is
        stage = self.first_stage.get(pipeline.pk)
        if stage is None:
            errors.append(f"Pipeline {pipeline.name} has no active stage.")
        return stage

    def _plan_owner(self, cells, errors: list[str]) -> User | None:
        name = self.reader.text(cells, "owner", 254)
        if not name:
            return None
        owner = self.users.get(_lower(name))
        if owner is None:
            errors.append(f"There is no active user “{name}”.")
            return None
        if owner.pk not in self.allowed_owner_ids:
            errors.append(
                f"You may not import deals for {owner.display_name}: only for yourself"
                " and the members of the teams you manage."
            )
            return None
        return owner

    # -- applying --------------------------------------------------------------------------

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
                    "An earlier row with the same key failed, so there is no deal to update."
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
        organization = self.contacts.organizations.get(_lower(values["organization_name"]))
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
        if changes:
            deal = deal_update(user=self.user, deal=deal, version=None, **changes)
        owner = values["owner"]
        if owner is not None and owner.pk != deal.owner_id:
            deal = deal_reassign(user=self.user, deal=deal, new_owner=owner, version=None)
        stage: Stage | None = values["stage"]
        if stage is not None and stage.pk != deal.stage_id:
            if deal.status != Deal.Status.OPEN:
                raise InvalidRequest(
                    f"This deal is {deal.status}: set its status to open to move it."
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


# -- organizations and people ---------------------------------------------------------------


class OrganizationImporter(Importer):
    def plan_rows(self, rows) -> list[Plan]:
        read = []
        for line, row in rows:
            cells = self.reader.start(row)
            read.append((line, cells, list(self.reader.errors)))
        self.contacts.load(
            organization_names={self.reader.text(c, "name") for _, c, _ in read if c} - {""},
            emails=set(),
            names=set(),
        )
        plans = []
        for line, cells, errors in read:
            plan = Plan(line=line, errors=errors)
            if cells is not None:
                self.reader.errors = []
                name = self.reader.text(cells, "name")
                plan.values = {"name": name, "domain": self.reader.text(cells, "domain")}
                plan.errors += self.reader.errors
                if not name:
                    plan.errors.append("The name is empty.")
                plan.existing = self.contacts.organizations.get(_lower(name))
                if not plan.errors and plan.existing is None:
                    # A later row with the same name updates it (a placeholder in dry runs).
                    self.contacts.organizations[_lower(name)] = Organization(name=name)
            plans.append(plan)
        return plans

    def prepare(self, plans: list[Plan]) -> None:
        # Placeholders of this batch are replaced by the rows ``apply`` creates.
        for key in [k for k, o in self.contacts.organizations.items() if o.pk is None]:
            del self.contacts.organizations[key]

    def apply(self, plan: Plan) -> Outcome:
        values = plan.values
        organization = self.contacts.organizations.get(_lower(values["name"]))
        if organization is None:
            organization = Organization(name=values["name"], domain=values["domain"])
            organization.full_clean()
            organization.save()
            self.contacts.organizations[_lower(values["name"])] = organization
            return Outcome(plan.line, "created", organization.pk, organization.name)
        if values["domain"] and values["domain"] != organization.domain:
            organization.domain = values["domain"]
            organization.full_clean()
            organization.save(update_fields=["domain"])
            return Outcome(plan.line, "updated", organization.pk, organization.name)
        return Outcome(plan.line, "unchanged", organization.pk, organization.name)


class PersonImporter(Importer):
    def plan_rows(self, rows) -> list[Plan]:
        read = []
        for line, row in rows:
            cells = self.reader.start(row)
            read.append((line, cells, list(self.reader.errors)))
        present = [c for _, c, _ in read if c is not None]
        self.contacts.load(
            organization_names={self.reader.text(c, "organization") for c in present} - {""},
            emails={self.reader.text(c, "email", 254) for c in present} - {""},
            names={self.reader.text(c, "name") for c in present} - {""},
        )
        plans = []
        for line, cells, errors in read:
            plan = Plan(line=line, errors=errors)
            if cells is not None:
                self.reader.errors = []
                values = {
                    "name": self.reader.text(cells, "name"),
                    "email": self.reader.text(cells, "email", 254),
                    "phone": self.reader.text(cells, "phone", 50),
                    "organization_name": self.reader.text(cells, "organization"),
                    "person_name": "",
                }
                plan.values = values
                plan.errors += self.reader.errors
                if not values["name"]:
                    plan.errors.append("The name is empty.")
                if values["email"]:
                    try:
                        validate_email(values["email"])
                    except ValidationError:
                        plan.errors.append(f"“{values['email']}” is not an email address.")
                plan.existing = self.contacts.person(
                    name=values["name"],
                    email=values["email"],
                    organization=values["organization_name"],
                )
                if not plan.errors and plan.existing is None:
                    # A later row for the same person updates it (a placeholder in dry runs).
                    placeholder = Person(name=values["name"], email=values["email"])
                    self.contacts.remember(placeholder, values["organization_name"])
            plans.append(plan)
        return plans

    def prepare(self, plans: list[Plan]) -> None:
        for book in (self.contacts.people_by_email, self.contacts.people_by_name):
            for key in [k for k, p in book.items() if p.pk is None]:
                del book[key]
        self.contacts.create_missing(
            [
                Plan(line=p.line, values={"organization_name": p.values["organization_name"]})
                for p in plans
            ]
        )

    def apply(self, plan: Plan) -> Outcome:
        values = plan.values
        organization = self.contacts.organizations.get(_lower(values["organization_name"]))
        person = self.contacts.person(
            name=values["name"], email=values["email"], organization=values["organization_name"]
        )
        if person is None:
            person = Person(
                name=values["name"],
                email=values["email"],
                phone=values["phone"],
                organization=organization,
            )
            person.full_clean()
            person.save()
            self.contacts.remember(person, values["organization_name"])
            return Outcome(plan.line, "created", person.pk, person.name)
        changes = {
            "email": values["email"],
            "phone": values["phone"],
            "organization": organization,
        }
        changes = {k: v for k, v in changes.items() if v and getattr(person, k) != v}
        if not changes:
            return Outcome(plan.line, "unchanged", person.pk, person.name)
        for name, value in changes.items():
            setattr(person, name, value)
        person.full_clean()
        person.save()
        return Outcome(plan.line, "updated", person.pk, person.name)


IMPORTERS = {
    ImportJob.Kind.DEALS: DealImporter,
    ImportJob.Kind.ORGANIZATIONS: OrganizationImporter,
    ImportJob.Kind.PEOPLE: PersonImporter,
}
FILE_DELETED = (
    "The file of this import was deleted after {days} days, as all imported files are; the "
    "report is kept. Upload the file again to import it."
)


# -- the file -------------------------------------------------------------------------------


def _stored_chunk(job_id: int, index: int) -> bytes | None:
    return (
        ImportChunk.objects.filter(job_id=job_id, index=index)
        .values_list("data", flat=True)
        .first()
    )


def _job_text(job: ImportJob) -> TextIO:
    if job.file_deleted_at is not None:
        raise InvalidRequest(FILE_DELETED.format(days=settings.IMPORT_RETENTION_DAYS))
    return text_of(ChunkStream(partial(_stored_chunk, job.pk)), job.codec)


def job_rows(job: ImportJob) -> tuple[list[str], Rows]:
    """The job's header, and its rows as a stream read one stored chunk at a time."""
    return open_table(_job_text(job), job.delimiter)


@transaction.atomic
def import_upload(*, user: User, kind: str, upload: UploadedFile) -> ImportJob:
    """Store the upload chunk by chunk while its encoding is decided, then read it back as a
    stream to find its separator, count its rows and guess the mapping. At no point is the
    whole file in memory; a file that cannot be read leaves nothing behind."""
    job = ImportJob.objects.create(user=user, kind=kind, file_name=upload.name[:255])
    sniffer = EncodingSniffer()
    upload.seek(0)
    # Not ``upload.chunks()``: for a file Django kept in memory it yields the whole file.
    for index, data in enumerate(iter(partial(upload.read, CHUNK_BYTES), b"")):
        sniffer.feed(data)
        ImportChunk.objects.create(job=job, index=index, data=data)
    encoding = sniffer.result()
    job.codec, job.encoding = encoding.codec, encoding.label
    try:
        job.delimiter = sniff_delimiter(_job_text(job).read(SNIFF_BYTES))
    except UnicodeDecodeError:
        raise ImportFileError(f"The file starts like {encoding.label} but is not.") from None
    header, rows = job_rows(job)
    first_rows = list(itertools.islice(rows, GUESS_ROWS))
    job.total = len(first_rows) + sum(1 for _ in rows)
    if not job.total:
        raise ImportFileError("The file has a header but no rows.")
    job.mapping = guess_mapping(kind, header)
    job.options = {
        "decimal_separator": guess_decimal_separator(first_rows, job.mapping),
        "encoding_notice": encoding.notice,
    }
    job.save()
    return job


@transaction.atomic
def import_redelimit(*, job: ImportJob, delimiter: str) -> ImportJob:
    """Read the columns again with another separator; the mapping is guessed anew."""
    if job.is_running or job.is_finished:
        raise InvalidRequest("This import has already run.")
    job.delimiter = delimiter
    header, rows = job_rows(job)
    job.mapping = guess_mapping(job.kind, header)
    job.status, job.errors, job.total = ImportJob.Status.UPLOADED, [], sum(1 for _ in rows)
    job.save(update_fields=["delimiter", "mapping", "status", "errors", "total", "updated_at"])
    return job


# -- the dry run --------------------------------------------------------------------------


@transaction.atomic
def import_check_start(*, job: ImportJob, mapping: dict, options: dict) -> ImportJob:
    """Save the mapping and check the file: here for files of up to IMPORT_SYNC_CHECK_ROWS
    rows, by the worker (with the progress bar) for larger ones."""
    if job.is_running or job.is_finished:
        raise InvalidRequest("This import has already run.")
    job.mapping = mapping
    job.options = {**(job.options or {}), **options}
    job.options.pop("date_order", None)
    if job.total <= settings.IMPORT_SYNC_CHECK_ROWS:
        return import_check(job=job)
    job.status, job.done, job.errors, job.message = ImportJob.Status.CHECKING, 0, [], ""
    job.save(
        update_fields=["mapping", "options", "status", "done", "errors", "message", "updated_at"]
    )
    enqueue_after_commit("deals.tasks.import_check", job.pk)
    return job


def import_check(*, job: ImportJob, progress: bool = False) -> ImportJob:
    """The dry run: every row planned, nothing written; bad rows listed by line.

    With ``progress`` (the worker's check) ``done`` counts the rows checked, for the
    progress bar, and the check stops once the job is no longer "checking" (cancelled).
    """
    header, rows = job_rows(job)
    importer = IMPORTERS[job.kind](job=job, user=job.user, header=header)
    if "date_order" not in job.options and importer.date_column:
        # A first pass over the file: the whole column decides how slashed dates read.
        importer.reader.date_order = slashed_date_order(
            importer.reader.column_values(job_rows(job)[1], importer.date_column)
        )
    this_job = ImportJob.objects.filter(pk=job.pk)
    if progress:
        this_job = this_job.filter(status=ImportJob.Status.CHECKING)
    errors, creates, updates, checked = [], 0, 0, 0
    for batch in itertools.batched(rows, DRY_RUN_CHUNK):
        for plan in importer.plan_rows(batch):
            if plan.errors:
                errors.append({"line": plan.line, "reason": " ".join(plan.errors)})
            elif plan.existing is not None:
                updates += 1
            else:
                creates += 1
        checked += len(batch)
        if progress and not this_job.update(done=checked, updated_at=timezone.now()):
            return job
    job.options = {
        **job.options,
        "date_order": importer.reader.date_order,
        "dry_run": {"create": creates, "update": updates, "failed": len(errors)},
    }
    job.errors, job.total, job.done = errors, checked, 0
    job.status, job.updated_at = ImportJob.Status.CHECKED, timezone.now()
    this_job.update(
        mapping=job.mapping,
        options=job.options,
        errors=errors,
        total=checked,
        done=0,
        status=job.status,
        updated_at=job.updated_at,
    )
    return job


def import_check_run(*, job_id: int) -> str:
    """The worker's dry run of a large file; a file that cannot be read goes back to the
    mapping step with the reason shown."""
    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.CHECKING:
        return "gone"
    if not job.user.is_active:
        _cancel(job)
        return "cancelled"
    try:
        import_check(job=job, progress=True)
    except (ImportFileError, InvalidRequest) as error:
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.CHECKING).update(
            status=ImportJob.Status.UPLOADED, done=0, message=str(error), updated_at=timezone.now()
        )
        return "refused"
    return "checked"


# -- the run ------------------------------------------------------------------------------


@transaction.atomic
def import_queue(*, job: ImportJob) -> ImportJob:
    """Hand a checked job to the worker; the page then shows its progress."""
    resuming = job.status == ImportJob.Status.FAILED
    fresh_start = {
        "done": 0,
        "errors": [],
        "results": [],
        "created_count": 0,
        "updated_count": 0,
        "failed_count": 0,
    }
    if job.status not in (ImportJob.Status.CHECKED, ImportJob.Status.FAILED):
        raise InvalidRequest("Check the file (dry run) before importing it.")
    if job.file_deleted_at is not None:
        raise InvalidRequest(FILE_DELETED.format(days=settings.IMPORT_RETENTION_DAYS))
    claimed = ImportJob.objects.filter(pk=job.pk, status=job.status).update(
        status=ImportJob.Status.QUEUED,
        message="",
        finished_at=None,
        updated_at=timezone.now(),
        **({} if resuming else fresh_start),
    )
    if not claimed:
        raise InvalidRequest("This import has already started.")
    enqueue_after_commit("deals.tasks.import_run", job.pk)
    job.refresh_from_db()
    return job


def _record(job: ImportJob, outcomes: list[Outcome], *, done: int) -> None:
    job.done = done
    for outcome in outcomes:
        if outcome.outcome == "failed":
            job.failed_count += 1
            job.errors.append({"line": outcome.line, "reason": outcome.reason})
        else:
            if outcome.outcome == "created":
                job.created_count += 1
            else:
                job.updated_count += 1
            job.results.append(
                {
                    "line": outcome.line,
                    "outcome": outcome.outcome,
                    "id": outcome.id,
                    "label": outcome.label,
                }
            )
    job.save()


def import_run(*, job_id: int) -> str:
    """Run (or resume) a queued job; returns its status. Safe to call twice at once: each
    batch first locks the job and checks that ``done`` is still where it expects."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(
        status=ImportJob.Status.RUNNING, started_at=Coalesce(F("started_at"), now), updated_at=now
    )
    if not claimed:
        return "gone"
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    batch_rows = max(1, settings.IMPORT_BATCH_ROWS)
    deadline = time.monotonic() + SLICE_SECONDS
    try:
        header, rows = job_rows(job)
        importer = IMPORTERS[job.kind](job=job, user=job.user, header=header)
        start = job.done
        for batch in itertools.batched(itertools.islice(rows, start, None), batch_rows):
            with transaction.atomic():
                locked = (
                    ImportJob.objects.select_for_update(of=("self",))
                    .select_related("user")
                    .get(pk=job_id)
                )
                if locked.status != ImportJob.Status.RUNNING or locked.done != start:
                    return "taken over"
                if not locked.user.is_active:
                    # Deactivated by a path that did not cancel the job itself.
                    _cancel(locked)
                    return "cancelled"
                outcomes = importer.run_batch(list(batch))
                _record(locked, outcomes, done=start + len(batch))
            start += len(batch)
            if start < job.total and time.monotonic() > deadline:
                # If this enqueue is lost, the stalled-import sweep sends it again.
                enqueue_after_commit("deals.tasks.import_run", job_id)
                return "continued"
    except Exception as error:
        logger.exception("Import %s stopped", job_id)
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.FAILED,
            finished_at=timezone.now(),
            message=(
                f"The import stopped unexpectedly ({type(error).__name__}). Rows listed as "
                "created or updated were saved; you can resume it."
            ),
        )
        return "failed"
    ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).update(
        status=ImportJob.Status.DONE, finished_at=timezone.now(), updated_at=timezone.now()
    )
    return "done"


# -- stalled jobs, cancelled jobs, old files ---------------------------------------------------

TASK_OF_STATUS = {
    ImportJob.Status.CHECKING: "deals.tasks.import_check",
    ImportJob.Status.QUEUED: "deals.tasks.import_run",
    ImportJob.Status.RUNNING: "deals.tasks.import_run",
}


def _stalled_before() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=settings.IMPORT_STALE_MINUTES)


def _requeue(*, job_id: int, status: str, stalled_before: datetime.datetime) -> bool:
    """Send the job's task again, unless someone else just did (compare-and-swap on
    ``updated_at``, so the sweep and a "Resume" click cannot both send it)."""
    claimed = ImportJob.objects.filter(
        pk=job_id, status=status, updated_at__lt=stalled_before
    ).update(updated_at=timezone.now())
    if claimed:
        enqueue_after_commit(TASK_OF_STATUS[status], job_id)
    return bool(claimed)


def imports_resume_stalled() -> int:
    """The periodic sweep: re-enqueue active jobs that stopped advancing (a lost message,
    e.g. the broker was down when it was sent). A duplicate delivery is harmless: the run
    resumes after its last committed batch and a second runner stands down."""
    stalled_before = _stalled_before()
    stalled = ImportJob.objects.filter(
        status__in=ImportJob.ACTIVE, updated_at__lt=stalled_before
    ).values_list("pk", "status")
    return sum(
        _requeue(job_id=pk, status=status, stalled_before=stalled_before) for pk, status in stalled
    )


def import_resume(*, job: ImportJob) -> ImportJob:
    """The owner's "Resume": a failed job continues after its last committed batch; a job
    that stopped advancing is sent to the worker again."""
    if job.status == ImportJob.Status.FAILED:
        return import_queue(job=job)
    if not job.is_stalled:
        raise InvalidRequest(
            "This import is advancing; it can be resumed once it has stopped for "
            f"{settings.IMPORT_STALE_MINUTES} minutes."
        )
    _requeue(job_id=job.pk, status=job.status, stalled_before=_stalled_before())
    job.refresh_from_db()
    return job


def _cancel(job: ImportJob) -> None:
    """Cancel a job of a deactivated user; the caller holds the job's row lock."""
    remaining = job.total - job.done
    if job.status == ImportJob.Status.CHECKING:
        outcome = "the check was stopped"
    else:
        outcome = f"{remaining} of {job.total} rows (from row {job.done + 1} on) were not imported"
    job.status, job.finished_at = ImportJob.Status.CANCELLED, timezone.now()
    job.message = f"Cancelled: {job.user.display_name}'s account was deactivated; {outcome}."
    job.save(update_fields=["status", "finished_at", "message", "updated_at"])


@transaction.atomic
def imports_cancel_for_user(*, user: User) -> int:
    """Stop the imports a deactivated user left waiting or running. A batch in progress
    holds its job's lock, so it finishes first; the next batch sees the job cancelled."""
    jobs = list(
        ImportJob.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(user=user, status__in=ImportJob.ACTIVE)
        .order_by("pk")
    )
    for job in jobs:
        _cancel(job)
    return len(jobs)


@transaction.atomic
def imports_delete_old_files() -> int:
    """Delete the files of imports uploaded more than IMPORT_RETENTION_DAYS ago (not those
    a worker is busy with); the jobs and their reports stay. Set-based: two statements."""
    now = timezone.now()
    expired = list(
        ImportJob.objects.select_for_update(skip_locked=True)
        .filter(
            file_deleted_at__isnull=True,
            created_at__lt=now - datetime.timedelta(days=settings.IMPORT_RETENTION_DAYS),
        )
        .exclude(status__in=ImportJob.ACTIVE)
        .values_list("pk", flat=True)
    )
    ImportChunk.objects.filter(job_id__in=expired).delete()
    ImportJob.objects.filter(pk__in=expired).update(file_deleted_at=now)
    return len(expired)
