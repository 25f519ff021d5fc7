"""Domain exceptions: one type per kind of refusal, each mapped to one error shape.

The API's exception handler turns them into JSON (409/400/403); the htmx views turn the
same exceptions into a dialog or a message fragment. Messages are in the active language
(raised during a request: the user's); ``code`` never changes with it (docs/i18n.md).
"""

from django.utils.translation import gettext as _


class DomainError(Exception):
    code = "invalid"
    status = 400

    def __init__(self, message: str, **details) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(DomainError):
    """The request names something impossible (a stage of another pipeline, a bad index)."""

    code = "invalid"
    status = 400


class Forbidden(DomainError):
    """The user sees the object but may not do this to it."""

    code = "forbidden"
    status = 403


class VersionConflict(DomainError):
    """Someone changed the deal since the caller read it (optimistic concurrency)."""

    code = "version_conflict"
    status = 409

    def __init__(self, current_version: int) -> None:
        super().__init__(
            _(
                "Someone else changed this deal in the meantime; nothing was applied. "
                "Check its current state and try again."
            ),
            current_version=current_version,
        )
        self.current_version = current_version


class ChecklistIncomplete(DomainError):
    """Required checklist items are missing for this move; ``missing`` lists them."""

    code = "checklist_incomplete"
    status = 409

    def __init__(self, missing: list) -> None:
        super().__init__(_("Some required checklist items are not done yet."))
        self.missing = missing
