"""SQL expressions for money rules used by the board, the forecast and the dashboards.

One definition of the weighted value
(docs/domain/stalls-and-forecast.md): value × effective probability / 100,
the effective probability being the deal's override, else its stage's.
"""

from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Value
from django.db.models.functions import Coalesce

ZERO = Decimal("0.00")
# Sums of numeric(14,2) amounts need room for more digits than one amount.
MONEY_SUM_FIELD = DecimalField(max_digits=20, decimal_places=2)
EFFECTIVE_PROBABILITY = Coalesce("probability_override", "stage__probability")
WEIGHTED_VALUE = ExpressionWrapper(
    F("value") * EFFECTIVE_PROBABILITY / Value(Decimal(100)), output_field=MONEY_SUM_FIELD
)
