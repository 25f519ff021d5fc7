"""Writes on pipelines, stages, checklist items and custom fields, one module each, with
the locks, the positions and the forecast marker they share.

Callers import from ``pipelines.services``: the functions below are the package's interface
(deals and the admin pages use them), the modules are how it is arranged.
"""

from pipelines.services.checklist_items import (
    checklist_item_create,
    checklist_item_history,
    checklist_item_place,
    checklist_item_remove,
    checklist_item_shift,
    checklist_item_update,
)
from pipelines.services.custom_fields import (
    custom_field_archive,
    custom_field_create,
    custom_field_delete,
    custom_field_option_add,
    custom_field_option_archive,
    custom_field_option_place,
    custom_field_option_rename,
    custom_field_option_restore,
    custom_field_option_shift,
    custom_field_place,
    custom_field_restore,
    custom_field_shift,
    custom_field_update,
    custom_fields_reorder,
)
from pipelines.services.forecast_marker import pipeline_mark_forecast_dirty
from pipelines.services.locks import pipeline_structure_lock, stages_lock
from pipelines.services.pipelines import (
    pipeline_create,
    pipeline_delete,
    pipeline_duplicate,
    pipeline_set_active,
    pipeline_update,
)
from pipelines.services.positions import (
    active_stage_ids,
    placed_at,
    positions_case,
    swapped_with_neighbour,
)
from pipelines.services.stages import (
    stage_archive,
    stage_create,
    stage_delete,
    stage_place,
    stage_shift,
    stage_update,
    stages_reorder,
)

__all__ = [
    "active_stage_ids",
    "checklist_item_create",
    "checklist_item_history",
    "checklist_item_place",
    "checklist_item_remove",
    "checklist_item_shift",
    "checklist_item_update",
    "custom_field_archive",
    "custom_field_create",
    "custom_field_delete",
    "custom_field_option_add",
    "custom_field_option_archive",
    "custom_field_option_place",
    "custom_field_option_rename",
    "custom_field_option_restore",
    "custom_field_option_shift",
    "custom_field_place",
    "custom_field_restore",
    "custom_field_shift",
    "custom_field_update",
    "custom_fields_reorder",
    "pipeline_create",
    "pipeline_delete",
    "pipeline_duplicate",
    "pipeline_mark_forecast_dirty",
    "pipeline_set_active",
    "pipeline_structure_lock",
    "pipeline_update",
    "placed_at",
    "positions_case",
    "stage_archive",
    "stage_create",
    "stage_delete",
    "stage_place",
    "stage_shift",
    "stage_update",
    "stages_lock",
    "stages_reorder",
    "swapped_with_neighbour",
]
