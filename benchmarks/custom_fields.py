"""Custom fields in the benchmark's data (docs/performance/benchmark.md): the demo's nine
fields (deals/demo/custom_fields.py) and eleven more, so that every page is measured with
twenty fields defined, and values for most deals, generated in SQL.

``bench_fields_create`` adds the eleven after ``seed_demo``; ``values_sql`` is the jsonb
expression ``bulk.insert_deals`` writes for each new deal (every active field: the demo's
and these); ``fill_demo_deals`` gives the demo's deals values of the eleven.
"""

from dataclasses import dataclass

from django.db import connection

# Twenty with the demo's nine.
FIELD_COUNT = 20


@dataclass(frozen=True)
class BenchField:
    name: str
    type: str
    options: tuple[str, ...] = ()
    sales_only: bool = False


EXTRA_FIELDS = (
    BenchField("Region", "single_choice", ("North", "East", "South", "West")),
    BenchField("Industry", "single_choice", ("Retail", "Health", "Energy", "Finance", "Media")),
    BenchField("Employees", "number"),
    BenchField("Annual revenue", "money"),
    BenchField("Renewal date", "date"),
    BenchField("Priority", "single_choice", ("Low", "Normal", "High"), sales_only=True),
    BenchField("Champion", "text", sales_only=True),
    BenchField("Tender page", "url", sales_only=True),
    BenchField("Legal review needed", "yes_no"),
    BenchField("Security review", "yes_no", sales_only=True),
    BenchField("Background", "long_text"),
)


def _key(name: str) -> str:
    return name.lower().replace(" ", "_")


def bench_fields_create() -> None:
    """The eleven fields after the demo's (once: a second call adds nothing)."""
    from pipelines.models import CustomField, CustomFieldOption, Pipeline

    sales = Pipeline.objects.get(name="Sales")
    existing = set(CustomField.objects.values_list("key", flat=True))
    position = CustomField.objects.count()
    for spec in EXTRA_FIELDS:
        if _key(spec.name) in existing:
            continue
        field = CustomField.objects.create(
            key=_key(spec.name),
            name=spec.name,
            type=spec.type,
            pipeline=sales if spec.sales_only else None,
            position=position,
        )
        position += 1
        CustomFieldOption.objects.bulk_create(
            CustomFieldOption(field=field, key=_key(label), label=label, position=index)
            for index, label in enumerate(spec.options)
        )


# The value of each type, in SQL, for the row of ``insert_deals`` (``g`` its number,
# ``owner_id``): about 80 % of the deals hold one. Stored as pipelines/custom_fields.py
# stores them: decimals and dates as text, options by key (several in option order),
# yes/no as a boolean, a user as an id; an empty value is no key (jsonb_strip_nulls).
_VALUES = {
    "text": "'Note ' || g",
    "long_text": "'Met at the trade fair; asked for a demo for team ' || (g %% 7)",
    "url": "'https://tenders.example/' || g",
    "number": "((ARRAY[6, 12, 24, 36])[1 + (g %% 4)])::text",
    "money": "round((random() * 150000)::numeric, -2)::text",
    "date": "to_char(current_date + (random() * 400)::int - 120, 'YYYY-MM-DD')",
    "yes_no": "random() < 0.6",
    "user": "owner_id",
}


def values_sql(keys: set[str] | None = None) -> tuple[str, dict]:
    """The jsonb of a new deal's values (of the fields ``keys``, else of every active
    one), as an SQL expression over ``insert_deals``' row (``g``, ``owner_id``,
    ``pipeline_id``), and its parameters; ``'{}'::jsonb`` when there is no field."""
    from pipelines.selectors import custom_fields_for

    pairs, params = [], {}
    fields = [field for field in custom_fields_for(None) if keys is None or field.key in keys]
    for n, field in enumerate(fields):
        options = [option.key for option in field.active_options]
        if field.type == "single_choice":
            params[f"cf_options_{n}"] = options
            value = f"(%(cf_options_{n})s::text[])[1 + floor(random() * {len(options)})::int]"
        elif field.type == "multiple_choice":
            params[f"cf_options_{n}"] = options
            # One to all options, in their order; correlated with ``g`` so that each row
            # draws its own. Only placeholders go into the text, never a value.
            value = (
                f"(SELECT jsonb_agg(o ORDER BY i) FROM unnest(%(cf_options_{n})s::text[])"  # noqa: S608
                " WITH ORDINALITY AS t(o, i) WHERE i = 1 + g %% 3 OR random() < 0.3)"
            )
        else:
            value = _VALUES[field.type]
        filled = "random() < 0.8"
        if field.pipeline_id is not None:
            params[f"cf_pipeline_{n}"] = field.pipeline_id
            filled += f" AND pipeline_id = %(cf_pipeline_{n})s"
        params[f"cf_key_{n}"] = field.key
        pairs.append(f"%(cf_key_{n})s::text, CASE WHEN {filled} THEN to_jsonb({value}) END")
    if not pairs:
        return "'{}'::jsonb", {}
    return f"jsonb_strip_nulls(jsonb_build_object({', '.join(pairs)}))", params


FILL_DEMO_DEALS = """
UPDATE deals_deal SET custom_fields = {values} || custom_fields
FROM (SELECT id AS g FROM deals_deal) AS numbered
WHERE deals_deal.id = numbered.g
"""


def fill_demo_deals() -> None:
    """Values of the eleven for the deals seed_demo made (which hold the demo's nine); their
    version and ``updated_at`` stay as they are."""
    values, params = values_sql({_key(spec.name) for spec in EXTRA_FIELDS})
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.43)")  # the same values on every run
        cursor.execute(FILL_DEMO_DEALS.format(values=values), params)
