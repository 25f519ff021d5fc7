"""Template helpers of the admin pages."""

from django import template

register = template.Library()


@register.filter
def audit_lines(changes: dict) -> list[str]:
    """An audit entry's changes as short sentences: ``field: old → new`` or ``field: fact``."""
    lines = []
    for field, change in (changes or {}).items():
        label = field.replace("_", " ")
        if isinstance(change, list) and len(change) == 2:
            old, new = (_show(value) for value in change)
            lines.append(f"{label}: {old} → {new}")
        else:
            lines.append(f"{label}: {_show(change)}")
    return lines


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "—"
    return str(value)
