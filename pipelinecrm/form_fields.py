"""Form fields shared by every app's forms."""

from django import forms
from django.utils.formats import get_format


def ungrouped(text: str) -> str:
    """``text`` without the language's thousands separators (``12.500,50`` → ``12500,50``
    in German), whatever USE_THOUSAND_SEPARATOR says. As Django does, a single dot before
    other than three digits is taken for a decimal point (``12500.5``)."""
    decimal, thousands = get_format("DECIMAL_SEPARATOR"), get_format("THOUSAND_SEPARATOR")
    integer, point, fraction = text.partition(decimal)
    single_dot = thousands == "." and integer.count(".") == 1 and not point
    if single_dot and len(integer.rsplit(".", 1)[1]) != 3:
        return text
    for separator in {thousands, "\u00a0", "\u202f", " "}:
        integer = integer.replace(separator, "")
    return f"{integer}{point}{fraction}"


class AmountField(forms.DecimalField):
    """An amount typed as the user's language writes numbers: ``12.500,50`` in German and
    Dutch, ``12,500.50`` in English, with or without the thousands separators; a text
    input (a number input would only take ``12500.50``), shown in the same convention
    (docs/i18n.md)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def to_python(self, value):
        if isinstance(value, str) and self.localize:
            value = ungrouped(value.strip())
        return super().to_python(value)
