from django.core.management.base import BaseCommand, CommandError, CommandParser

from deals.models import Deal
from forecasting.demo import demo_forecasting_seed
from forecasting.models import ForecastSnapshot, Quota


class Command(BaseCommand):
    help = (
        "Give the demo company a forecast history and quotas, so the dashboards have a "
        "trend to draw: recompute today's forecast snapshots, backdate daily copies for "
        "--days days, and set monthly quotas for six months either side of this one. "
        "Runs after seed_demo; does nothing when quotas or older snapshots already exist."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30, help="days of history (30)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (1)")

    def handle(self, *args, days: int, seed: int, verbosity: int, **options) -> None:
        if not 1 <= days <= 366:
            raise CommandError(f"--days must be between 1 and 366, not {days}.")
        if not Deal.objects.exists():
            self.stdout.write("No deals yet: run seed_demo first. Nothing seeded.")
            return
        if Quota.objects.exists() or ForecastSnapshot.objects.exists():
            self.stdout.write("Quotas or forecast snapshots already exist: nothing seeded.")
            return
        summary = demo_forecasting_seed(days=days, seed=seed)
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded {summary.snapshots} forecast snapshots ({days} days of history) "
                    f"and {summary.quotas} quotas."
                )
            )
