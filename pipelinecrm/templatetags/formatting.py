"""``{{ amount|money }}`` (whole) and ``{{ amount|money:2 }}`` (with cents), in the active
language's conventions (pipelinecrm/formats.py, docs/i18n.md). A built-in of the template
engine: no ``{% load %}`` needed."""

from django import template

from pipelinecrm import formats

register = template.Library()


@register.filter
def money(amount, digits=0):
    """An empty amount prints as nothing, so a template can say what it means instead."""
    if amount is None or amount == "":
        return ""
    return formats.money(amount, int(digits))
