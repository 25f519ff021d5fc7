"""The Jinja2 environment of the few templates rendered hundreds of times a page (the
board's cards, docs/decisions/0011-jinja2-for-board-cards.md).

Autoescaping is always on; a misspelt name fails loudly instead of printing nothing;
words are translated by Django's own catalogs through the i18n extension. Words are
written ``{{ _("…") }}``, one literal each, with ``|format`` for values, so that
``makemessages`` finds them as it finds them in Django templates.
"""

from django.utils import translation
from jinja2 import Environment, StrictUndefined


def environment(**options) -> Environment:
    options.pop("autoescape", None)
    options["undefined"] = StrictUndefined
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_translations(translation, newstyle=False)
    return env
