"""The deals app's models, one module per subject. Django finds an app's models through
``deals.models``, so every model, and what callers use beside them, is imported here."""

from deals.models.activities import FUTURE_DONE_AT, Activity, done_at_is_future
from deals.models.contacts import Organization, Person
from deals.models.deals import MONEY, Deal, LostReason
from deals.models.history import ChecklistCheck, DealEvent, MoveRefusal, StageChange
from deals.models.imports import ImportChunk, ImportJob
from deals.models.notifications import HIDDEN_DEAL_NOTICE, Notification

__all__ = [
    "FUTURE_DONE_AT",
    "HIDDEN_DEAL_NOTICE",
    "MONEY",
    "Activity",
    "ChecklistCheck",
    "Deal",
    "DealEvent",
    "ImportChunk",
    "ImportJob",
    "LostReason",
    "MoveRefusal",
    "Notification",
    "Organization",
    "Person",
    "StageChange",
    "done_at_is_future",
]
