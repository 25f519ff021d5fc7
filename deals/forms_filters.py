"""The inputs of custom fields in the filters of the board and the Deals list
(docs/domain/custom-fields.md, "Lists, filters, CSV"): a select for choices, yes/no and
users, "from" and "to" for numbers, money and dates, a search box for text. They send the
URL parameters ``deals/selectors/custom_filters.py`` reads.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from accounts.models import User
from deals.selectors.custom_filters import EMPTY, FILLED, MAX, MIN, PREFIX, CustomFilter
from deals.selectors.filters import BoardFilters
from pipelines import custom_fields as types
from pipelines.models import CustomField

Type = CustomField.Type
# What a select offers beyond the values: the field is filled in / empty.
PRESENCE = [
    # Translators: a custom-field filter: deals that have a value in this field
    (FILLED, _("(filled in)")),
    # Translators: a custom-field filter: deals without a value in this field
    (EMPTY, _("(empty)")),
]
SELECT_TYPES = types.CHOICE_TYPES | {Type.YES_NO, Type.USER}


@dataclass
class FilterInput:
    """One field's input(s) in a filter form."""

    field: CustomField
    name: str
    kind: str  # "select", "range" or "text"
    choices: list[tuple[str, str]] = field(default_factory=list)
    selected: tuple[str, ...] = ()
    low: str = ""
    high: str = ""
    text: str = ""
    input_type: str = ""  # of a range: "number" or "date"

    @property
    def id(self) -> str:
        return f"f-{self.name}"

    @property
    def multiple(self) -> bool:
        """A link may choose several options; its select then keeps them all."""
        return len(self.selected) > 1

    @property
    def presence(self) -> str:
        """FILLED or EMPTY when the field is filtered by that alone."""
        return next((value for value in self.selected if value in (FILLED, EMPTY)), "")

    @property
    def presence_choices(self) -> list[tuple[str, str]]:
        """A range's or a text's second input: "filled in" or "empty"."""
        return PRESENCE

    @property
    def min_name(self) -> str:
        return self.name + MIN

    @property
    def max_name(self) -> str:
        return self.name + MAX


def _choices(custom: CustomField, people: Iterable[User]) -> list[tuple[str, str]]:
    if custom.type in types.CHOICE_TYPES:
        return [(option.key, option.label) for option in types.options_of(custom)]
    if custom.type == Type.YES_NO:
        return [("yes", str(types.YES)), ("no", str(types.NO))]
    return [(str(person.pk), person.display_name) for person in people]


def filter_inputs(
    fields: Sequence[CustomField],
    filters: BoardFilters,
    *,
    people: Iterable[User] = (),
    select_only: bool = False,
) -> list[FilterInput]:
    """The inputs of ``fields`` showing ``filters``; ``people``: the users a user field
    offers (a list the page already read); ``select_only``: only the fields a select
    filters (the board's compact form)."""
    people = list(people)
    inputs = []
    for custom in fields:
        current = filters.custom_filter(custom.key) or CustomFilter(custom.key, custom.type)
        name = f"{PREFIX}{custom.key}"
        selected = (current.presence,) if current.presence else current.values
        if custom.type in SELECT_TYPES:
            choices = _choices(custom, people)
            # A choice the URL holds but the list lacks (an archived option, a user who is
            # not offered) stays chosen rather than silently dropped.
            offered = {value for value, _label in choices}
            labels = types.option_labels(custom) if custom.type in types.CHOICE_TYPES else {}
            choices += [
                (value, labels.get(value, value))
                for value in current.values
                if value not in offered
            ]
            inputs.append(
                FilterInput(custom, name, "select", choices + PRESENCE, selected=selected)
            )
        elif select_only:
            continue
        elif custom.type in types.ORDERED_TYPES:
            input_type = "date" if custom.type == Type.DATE else "number"
            inputs.append(
                FilterInput(
                    custom,
                    name,
                    "range",
                    low=current.low,
                    high=current.high,
                    input_type=input_type,
                    selected=selected,
                )
            )
        else:
            text = current.values[0] if current.values else ""
            inputs.append(FilterInput(custom, name, "text", text=text, selected=selected))
    return inputs
