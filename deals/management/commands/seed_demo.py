from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from deals.demo.catalogue import DEMO_PASSWORD, DEMO_USERNAMES, MAX_DEALS
from deals.demo.company import demo_company_existing, demo_company_seed
from deals.models import Deal
from pipelines.models import Pipeline


class Command(BaseCommand):
    help = (
        "Create the demo company (docs/running.md): users admin, manager (team North: rep1, "
        "rep2) and manager2 (team South: rep3), the Sales and Renewals pipelines with "
        "checklists, and N deals with their history. The same --seed gives the same data. "
        "Runs once: if a demo user or pipeline already exists it says so and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--deals", type=int, default=200, help=f"number of deals, 0–{MAX_DEALS} (200)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help=f"every demo user's password ({DEMO_PASSWORD})",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when any deal or pipeline exists (used by `make run`)",
        )

    def handle(
        self, *args, deals: int, seed: int, password: str, if_empty: bool, verbosity: int, **options
    ) -> None:
        # Checked here rather than by argparse types, so call_command(deals=-1) is refused too.
        if not 0 <= deals <= MAX_DEALS:
            raise CommandError(f"--deals must be between 0 and {MAX_DEALS}, not {deals}.")
        if not password.strip():
            raise CommandError("--password must not be empty.")
        # The check and the seed share one transaction: nothing half-seeded, ever.
        with transaction.atomic():
            reason_to_skip = self._reason_to_skip(if_empty=if_empty)
            if not reason_to_skip:
                summary = demo_company_seed(deal_count=deals, seed=seed, password=password)
        if verbosity == 0:
            return
        if reason_to_skip:
            self.stdout.write(reason_to_skip)
            return
        self.stdout.write(self.style.SUCCESS(f"Seeded the demo company (seed {seed}):"))
        counts = ", ".join(f"{count} {name}" for name, count in summary.counts.items())
        self.stdout.write(f"  {counts}.")
        self.stdout.write(
            f"  {summary.stall_candidates} open deals are past their stall threshold; "
            "the stall job flags them on its next run."
        )
        # A password chosen on the command line is not echoed into logs.
        shown = f'"{password}"' if password == DEMO_PASSWORD else "given with --password"
        self.stdout.write(f"  Sign in as {', '.join(DEMO_USERNAMES)} with the password {shown}.")

    @staticmethod
    def _reason_to_skip(*, if_empty: bool) -> str:
        """Why this run must not seed, or "" when it may."""
        if if_empty and (Deal.objects.exists() or Pipeline.objects.exists()):
            return "Deals or pipelines already exist: nothing seeded (--if-empty)."
        existing = demo_company_existing()
        if existing:
            return f"The demo company is already here ({', '.join(existing)}): nothing seeded."
        return ""
