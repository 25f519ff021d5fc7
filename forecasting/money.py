"""Amounts as money: two decimals, rounded half up."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(amount: Decimal | None) -> Decimal:
    """Sums come back with more decimals than money has (PostgreSQL keeps them all)."""
    return (amount or Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)
