"""What a CSV import makes of each row (a *plan*) and of each applied row (an *outcome*),
and the base every kind of importer shares: read rows into plans from lookups loaded once
per batch, then apply each plan in its own savepoint, so a refused row rolls back alone
and is reported with its line number while the good rows around it are kept."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from deals.csv_import.contact_book import ContactBook
from deals.csv_import.values import RowReader, join_names
from deals.models import ImportJob
from pipelinecrm.exceptions import DomainError


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
                outcomes.append(
                    _failed(plan, _("The database refused the row: %(error)s") % {"error": error})
                )
        return outcomes


def _failed(plan: Plan, reason: str) -> Outcome:
    return Outcome(line=plan.line, outcome="failed", label=plan.label, reason=reason)


def _domain_message(error: DomainError) -> str:
    missing = getattr(error, "missing", None)
    if missing:
        return _("%(message)s Missing: %(items)s.") % {
            "message": error.message,
            "items": join_names(item.text for item in missing),
        }
    return error.message
