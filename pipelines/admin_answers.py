"""What the pipeline designer's and the custom fields' admin pages answer to a change: the
service's message, or its refusal next to the field (docs/domain/admin-pages.md)."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.forms import apply_service_errors
from pipelinecrm.exceptions import DomainError

NOT_SAVED = gettext_lazy("Nothing was saved: see the message next to the field.")


def run_change(
    answer: Callable[..., HttpResponse],
    action: Callable[[], str],
    *,
    form: Form | None = None,
    form_key: str = "",
) -> HttpResponse:
    """Call one service and answer with its message or its refusal. ``answer(message,
    level=, status=, forms=)`` draws the page or region the request came from."""
    if form is not None and not form.is_valid():
        return answer(NOT_SAVED, level="error", status=422, forms={form_key: form})
    try:
        message = action()
    except ValidationError as error:
        if form is None:
            return answer(" ".join(error.messages), level="error", status=400)
        apply_service_errors(form, error)
        return answer(NOT_SAVED, level="error", status=422, forms={form_key: form})
    except DomainError as error:
        return answer(error.message, level="error", status=error.status)
    return answer(message)


def moved_message(name: str, direction: str) -> str:
    """The message after a row moved one place up or down."""
    if direction == "up":
        return _("“%(name)s” moved up.") % {"name": name}
    return _("“%(name)s” moved down.") % {"name": name}
