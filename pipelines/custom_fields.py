"""Custom fields: what each type accepts, how a value is stored, shown and compared.

The one place that knows the types (docs/domain/custom-fields.md). Forms, the API, the CSV
import, the checklist rules and the card all ask here. A value is stored in
``Deal.custom_fields`` (jsonb) under the field's key, as JSON that sorts and filters in SQL:

========================= ================================= ======================
type                      stored                            Python
========================= ================================= ======================
text, long text, URL      "string"                          str
number, money             "12500.50" (a decimal as text)    Decimal
date                      "2026-12-07" (ISO)                datetime.date
single choice             "option-key"                      str
multiple choice           ["key-a", "key-b"] (option order) list[str]
yes/no                    true / false                      bool
user                      42 (the user's id)                int
========================= ================================= ======================

An empty value is no key at all: never null, "" or []. ``False`` and ``0`` are values.
Decimals are text so that no float rounds them; SQL casts them to numeric to compare.
"""

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from pipelinecrm.formats import money
from pipelines.models import ChecklistItem, CustomField

Type = CustomField.Type
Condition = ChecklistItem.Condition

TEXT_TYPES = {Type.TEXT, Type.LONG_TEXT, Type.URL}
DECIMAL_TYPES = {Type.NUMBER, Type.MONEY}
ORDERED_TYPES = DECIMAL_TYPES | {Type.DATE}
CHOICE_TYPES = {Type.SINGLE_CHOICE, Type.MULTIPLE_CHOICE}
MAX_TEXT = {Type.TEXT: 200, Type.LONG_TEXT: 5000, Type.URL: 500}
# Money has the deal value's precision (deals.models.deals.MONEY); numbers a few places more.
MAX_DIGITS, MONEY_PLACES, NUMBER_PLACES = 14, 2, 4

# The conditions a checklist item may ask of each type; "is filled in" fits every type.
CONDITIONS: dict[str, tuple[str, ...]] = {
    type_: (Condition.FILLED,)
    + ((Condition.YES,) if type_ == Type.YES_NO else ())
    + ((Condition.ONE_OF,) if type_ in CHOICE_TYPES else ())
    + ((Condition.AT_LEAST, Condition.AT_MOST) if type_ in ORDERED_TYPES else ())
    for type_ in Type.values
}

YES, NO = gettext_lazy("Yes"), gettext_lazy("No")


def options_of(field: CustomField) -> list:
    """The field's options, from ``active_options`` when a selector prefetched them."""
    options = getattr(field, "active_options", None)
    if options is None:
        options = list(field.options.filter(is_archived=False).order_by("position", "pk"))
    return options


def option_labels(field: CustomField) -> dict[str, str]:
    """Option key → label, archived options included (a deal may still hold one)."""
    labels = getattr(field, "option_labels", None)
    if labels is None:
        labels = {option.key: option.label for option in field.options.all()}
    return labels


# -- Python value ⇄ stored JSON ---------------------------------------------------------


def to_python(field: CustomField, stored: Any) -> Any:
    """The stored JSON of ``field`` as a Python value; None when empty or unreadable."""
    if stored is None:
        return None
    try:
        if field.type in DECIMAL_TYPES:
            return Decimal(str(stored))
        if field.type == Type.DATE:
            return datetime.date.fromisoformat(stored)
        if field.type == Type.MULTIPLE_CHOICE:
            return list(stored) if isinstance(stored, list) else [stored]
        if field.type == Type.YES_NO:
            return bool(stored)
        if field.type == Type.USER:
            return int(stored)
    except (ValueError, TypeError, InvalidOperation):
        return None  # a value written by another type before a change of type
    return stored


def to_stored(field: CustomField, value: Any) -> Any:
    """A clean Python value (see ``clean``) as JSON; None for "empty" (no key stored)."""
    if value is None or value == "" or value == []:
        return None
    if field.type in DECIMAL_TYPES:
        places = MONEY_PLACES if field.type == Type.MONEY else NUMBER_PLACES
        return format(Decimal(value).quantize(Decimal(1).scaleb(-places)).normalize(), "f")
    if field.type == Type.DATE:
        return value.isoformat()
    if field.type == Type.MULTIPLE_CHOICE:
        order = {option_key: n for n, option_key in enumerate(option_labels(field))}
        return sorted(set(value), key=lambda key: order.get(key, len(order)))
    return value


def is_filled(stored: Any) -> bool:
    return stored is not None and stored != "" and stored != []


# -- validation -------------------------------------------------------------------------


def clean(field: CustomField, value: Any, *, previous: Any = None) -> Any:
    """Check a Python value of ``field`` (as a form field or a parser gives it); raises a
    ValidationError with a sentence for the user. ``previous`` (the stored value) lets a
    deal keep an option that has since been archived."""
    if value is None or value == "" or value == []:
        return None
    if field.type in TEXT_TYPES:
        value = str(value).strip()
        if len(value) > MAX_TEXT[field.type]:
            raise ValidationError(
                _("At most %(count)s characters.") % {"count": MAX_TEXT[field.type]}
            )
        if field.type == Type.URL and value:
            if "://" not in value:
                value = f"https://{value}"
            try:
                URLValidator(schemes=["http", "https"])(value)
            except ValidationError:
                message = _("Enter a web address such as https://example.com.")
                raise ValidationError(message) from None
        return value or None
    if field.type in DECIMAL_TYPES:
        return _clean_decimal(field, value)
    if field.type == Type.DATE:
        if not isinstance(value, datetime.date):
            raise ValidationError(_("Enter a date."))
        return value
    if field.type == Type.YES_NO:
        if not isinstance(value, bool):
            raise ValidationError(_("Choose yes or no."))
        return value
    if field.type == Type.USER:
        return _clean_user(value, previous=previous)
    return _clean_choice(field, value, previous=previous)


def _clean_decimal(field: CustomField, value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number.")) from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number."))
    places = MONEY_PLACES if field.type == Type.MONEY else NUMBER_PLACES
    if field.type == Type.MONEY and number < 0:
        raise ValidationError(_("An amount cannot be negative."))
    if abs(number) >= Decimal(10) ** (MAX_DIGITS - places):
        raise ValidationError(_("This number is too large."))
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError(
            _("At most %(count)s digits after the decimal separator.") % {"count": places}
        )
    return number


def _clean_user(value: Any, *, previous: Any) -> int:
    try:
        user_id = int(value.pk if isinstance(value, User) else value)
    except (TypeError, ValueError):
        raise ValidationError(_("Choose a user.")) from None
    if user_id != previous and not User.objects.filter(pk=user_id, is_active=True).exists():
        raise ValidationError(_("Choose an active user."))
    return user_id


def _clean_choice(field: CustomField, value: Any, *, previous: Any) -> Any:
    allowed = {option.key for option in options_of(field)}
    kept = set(previous if isinstance(previous, list) else [previous])
    chosen = value if isinstance(value, list | tuple) else [value]
    if field.type == Type.SINGLE_CHOICE and len(chosen) != 1:
        raise ValidationError(_("Choose one option."))
    unknown = [key for key in chosen if key not in allowed and key not in kept]
    if unknown:
        raise ValidationError(
            _("Not an option of this field: %(values)s.")
            % {"values": ", ".join(str(key) for key in unknown)}
        )
    return chosen[0] if field.type == Type.SINGLE_CHOICE else list(chosen)


# -- reading typed JSON (the API) and text (CSV) ------------------------------------------


def from_json(field: CustomField, value: Any, *, previous: Any = None) -> Any:
    """A value as the API sends it (the stored shape; numbers may also be JSON numbers,
    a single choice may be the option's label), cleaned."""
    if value is None:
        return None
    if field.type in DECIMAL_TYPES:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValidationError(_("Enter a number."))
        return clean(field, str(value), previous=previous)
    if field.type == Type.DATE:
        try:
            value = datetime.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
    elif field.type == Type.YES_NO and not isinstance(value, bool):
        raise ValidationError(_("Send true or false."))
    elif field.type == Type.MULTIPLE_CHOICE and not isinstance(value, list):
        raise ValidationError(_("Send a list of option keys."))
    elif field.type in TEXT_TYPES | {Type.SINGLE_CHOICE} and not isinstance(value, str):
        raise ValidationError(_("Send a string."))
    elif field.type == Type.USER and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValidationError(_("Send the user's id."))
    return clean(field, value, previous=previous)


def from_text(field: CustomField, text: str, *, decimal_separator: str = ".") -> Any:
    """A value as a person writes it in a CSV cell: numbers with ``decimal_separator``,
    dates as 2026-12-07, 07.12.2026 or 7-12-2026, yes/no in English, German or Dutch,
    choices by label or key ("; " between several), users by username or e-mail."""
    text = (text or "").strip()
    if not text:
        return None
    if field.type in DECIMAL_TYPES:
        thousands = "." if decimal_separator == "," else ","
        plain = text.replace(thousands, "").replace(" ", "").replace("\u00a0", "")
        plain = plain.replace(decimal_separator, ".").lstrip("€$").rstrip("€ ").strip()
        return clean(field, plain)
    if field.type == Type.DATE:
        return clean(field, parse_day(text))
    if field.type == Type.YES_NO:
        word = text.casefold()
        if word in {"yes", "y", "true", "1", "ja", "j", "x", "wahr", "waar"}:
            return True
        if word in {"no", "n", "false", "0", "nein", "nee", "falsch", "onwaar"}:
            return False
        raise ValidationError(_("Write yes or no."))
    if field.type in CHOICE_TYPES:
        return clean(field, _choice_keys(field, text))
    if field.type == Type.USER:
        return clean(field, _user_id(text))
    return clean(field, text)


def parse_day(text: str) -> datetime.date:
    """2026-12-07, 07.12.2026, 7-12-2026 or 7/12/2026 (day first, as in Europe)."""
    text = text.strip()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    for separator in ".-/":
        parts = text.split(separator)
        if len(parts) == 3 and all(part.isdigit() for part in parts) and len(parts[2]) == 4:
            try:
                return datetime.date(int(parts[2]), int(parts[1]), int(parts[0]))
            except ValueError:
                break
    raise ValidationError(_("Enter a date such as 2026-12-07 or 07.12.2026."))


def _choice_keys(field: CustomField, text: str) -> Any:
    by_word = {}
    for option in options_of(field):
        by_word[option.key.casefold()] = option.key
        by_word[option.label.casefold()] = option.key
    words = [text] if field.type == Type.SINGLE_CHOICE else text.replace("|", ";").split(";")
    keys = []
    for word in (w.strip() for w in words if w.strip()):
        if word.casefold() not in by_word:
            raise ValidationError(
                _("“%(value)s” is not an option of %(field)s.")
                % {"value": word, "field": field.name}
            )
        keys.append(by_word[word.casefold()])
    return keys[0] if field.type == Type.SINGLE_CHOICE else keys


def _user_id(text: str) -> int:
    user = (
        User.objects.filter(is_active=True)
        .filter(username__iexact=text)
        .union(User.objects.filter(is_active=True, email__iexact=text))
        .first()
    )
    if user is None:
        raise ValidationError(_("No active user “%(value)s”.") % {"value": text})
    return user.pk


# -- showing ----------------------------------------------------------------------------


def display(field: CustomField, stored: Any, *, user_names: dict[int, str] | None = None) -> str:
    """The value as the page shows it in the active language; "" when empty."""
    value = to_python(field, stored)
    if value is None:
        return ""
    if field.type == Type.MONEY:
        return money(value, digits=0 if value == value.to_integral() else 2)
    if field.type == Type.NUMBER:
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    if field.type == Type.DATE:
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if field.type == Type.YES_NO:
        return str(YES if value else NO)
    if field.type in CHOICE_TYPES:
        labels = option_labels(field)
        keys = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(key, key) for key in keys)
    if field.type == Type.USER:
        if user_names is not None and value in user_names:
            return user_names[value]
        user = User.objects.filter(pk=value).first()
        return user.display_name if user else _("a former user")
    return str(value)


# -- checklist conditions ---------------------------------------------------------------


def condition_errors(field: CustomField, condition: str, operand: Any) -> dict[str, str]:
    """Why a checklist item's condition does not fit its field; {} when it does."""
    if condition not in CONDITIONS[field.type]:
        return {"condition": _("This condition does not fit a field of this type.")}
    if condition == Condition.ONE_OF:
        keys = set(option_labels(field))
        chosen = operand if isinstance(operand, list) else []
        if not chosen or not all(isinstance(key, str) and key in keys for key in chosen):
            return {"condition_value": _("Choose at least one option.")}
    if condition in (Condition.AT_LEAST, Condition.AT_MOST):
        if field.type == Type.DATE:
            try:
                datetime.date.fromisoformat(str(operand))
            except ValueError:
                return {"condition_value": _("Enter a date.")}
        else:
            try:
                if not Decimal(str(operand)).is_finite():
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                return {"condition_value": _("Enter a number.")}
    return {}


def condition_holds(field: CustomField, condition: str, operand: Any, stored: Any) -> bool:
    """Whether a deal whose value of ``field`` is ``stored`` meets the condition."""
    if not is_filled(stored):
        return False
    if condition == Condition.FILLED:
        return True
    value = to_python(field, stored)
    if value is None:
        return False
    if condition == Condition.YES:
        return value is True
    if condition == Condition.ONE_OF:
        chosen = set(value if isinstance(value, list) else [value])
        return bool(chosen & set(operand or []))
    bound = to_python(field, operand)
    if bound is None:
        return False
    return value >= bound if condition == Condition.AT_LEAST else value <= bound


def condition_operand_text(field: CustomField, condition: str, operand: Any) -> str:
    """The operand as people read it: "Acme, Globex", "10.000 €", "31.12.2026"."""
    if condition == Condition.ONE_OF:
        labels = option_labels(field)
        return ", ".join(labels.get(key, key) for key in operand or [])
    if condition in (Condition.AT_LEAST, Condition.AT_MOST):
        return display(field, operand)
    return ""


def condition_sentence(field: CustomField, condition: str, operand: Any) -> str:
    """ "Budget confirmed is yes", "Contract term is at least 12": the checklist's hint."""
    words = {"field": field.name, "value": condition_operand_text(field, condition, operand)}
    if condition == Condition.YES:
        return _("%(field)s is yes") % words
    if condition == Condition.ONE_OF:
        return _("%(field)s is one of: %(value)s") % words
    if condition == Condition.AT_LEAST:
        return _("%(field)s is at least %(value)s") % words
    if condition == Condition.AT_MOST:
        return _("%(field)s is at most %(value)s") % words
    return _("%(field)s is filled in") % words
