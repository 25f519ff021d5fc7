"""Admin writes on custom field definitions and their options (docs/domain/custom-fields.md,
docs/domain/admin-pages.md): each one transaction with its audit entry.

The key of a field (and of an option) is made once, from the name, and never changes:
deals store their values under it, so renaming keeps every value. The type is fixed too:
values stored for one type would not read as another. Archiving hides a field and keeps
its values; deleting is refused while any deal holds a value or any checklist item names
the field.

Positions are one order over every field (``custom_fields_for`` mixes a pipeline's own
fields with those for every pipeline); a list that shows only some of them reorders those
among the places they hold, so the others keep theirs.
"""

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.services import audit_changes, audit_record, ensure_admin
from pipelinecrm.exceptions import InvalidRequest
from pipelines.custom_field_selectors import deals_holding
from pipelines.models import ChecklistItem, CustomField, CustomFieldOption, Pipeline
from pipelines.services.positions import active_row_ids, placed_at, renumber, swapped_with_neighbour

KEY_LENGTH = CustomField._meta.get_field("key").max_length
NAME_LENGTH = CustomField._meta.get_field("name").max_length
HELP_LENGTH = CustomField._meta.get_field("help_text").max_length
LABEL_LENGTH = CustomFieldOption._meta.get_field("label").max_length
CHOICE_TYPES = (CustomField.Type.SINGLE_CHOICE, CustomField.Type.MULTIPLE_CHOICE)
FIELD_SETTINGS = ("name", "help_text", "show_on_card")


# -- keys, names and labels ----------------------------------------------------------------


def _key_base(text: str, fallback: str) -> str:
    """``Budget confirmed`` → ``budget_confirmed``: a slug with underscores, as the API's
    ``custom_fields`` object and the CSV headers show it."""
    return slugify(text).replace("-", "_").strip("_") or fallback


def _unique_key(base: str, taken: set[str]) -> str:
    """``base`` cut to the key's length, suffixed ``_2``, ``_3``… while ``taken`` has it."""
    candidate, number = base[:KEY_LENGTH], 2
    while candidate in taken:
        suffix = f"_{number}"
        candidate = f"{base[: KEY_LENGTH - len(suffix)].rstrip('_')}{suffix}"
        number += 1
    return candidate


def _new_field_key(name: str) -> str:
    base = _key_base(name, "field")
    # Keys are unique across all fields, archived ones too: their values are still stored.
    taken = CustomField.objects.filter(key__startswith=base[: KEY_LENGTH - 4])
    return _unique_key(base, set(taken.values_list("key", flat=True)))


def _plain_text(
    value: str, *, attribute: str, max_length: int, required: str = "", too_long: str = ""
) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({attribute: required})
    if len(value) > max_length:
        message = too_long or _("Keep it under %(max_length)s characters.")
        raise ValidationError({attribute: message % {"max_length": max_length}})
    return value


def _clean_name(name: str) -> str:
    return _plain_text(
        name,
        attribute="name",
        max_length=NAME_LENGTH,
        required=_("A field needs a name."),
        too_long=_("Keep the name under %(max_length)s characters."),
    )


def _name_clash(name: str, *, pipeline_id: int | None, exclude_pk: int | None) -> str:
    """Why another active field on the same deals wearing ``name`` (ignoring case) stops
    this one; "" when none does. A pipeline's own fields and those for every pipeline
    share the deal page, so their names must tell them apart."""
    same_deals = Q() if pipeline_id is None else Q(pipeline_id=pipeline_id) | Q(pipeline=None)
    clash = (
        CustomField.objects.filter(same_deals, name__iexact=name, is_archived=False)
        .exclude(pk=exclude_pk)
        .select_related("pipeline")
        .first()
    )
    if clash is None:
        return ""
    if clash.pipeline is None:
        return _("There is already a field “%(name)s” for every pipeline.") % {"name": clash.name}
    return _("There is already a field “%(name)s” on the deals of %(pipeline)s.") % {
        "name": clash.name,
        "pipeline": clash.pipeline.name,
    }


def _clean_label(label: str, *, field: CustomField, exclude_pk: int | None = None) -> str:
    label = _plain_text(
        label, attribute="label", max_length=LABEL_LENGTH, required=_("An option needs a label.")
    )
    taken = field.options.filter(label__iexact=label, is_archived=False).exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError(
            {"label": _("“%(label)s” is already an option of this field.") % {"label": label}}
        )
    return label


def _clean_labels(labels: Iterable[str]) -> list[str]:
    """The options of a new field: blank lines dropped, each label once."""
    cleaned: list[str] = []
    for raw in labels:
        label = _plain_text(raw, attribute="options", max_length=LABEL_LENGTH)
        if not label:
            continue
        if label.casefold() in {other.casefold() for other in cleaned}:
            raise ValidationError({"options": _("“%(label)s” is listed twice.") % {"label": label}})
        cleaned.append(label)
    return cleaned


# -- locks and positions -------------------------------------------------------------------


def _lock_fields() -> None:
    """Serialise changes to the order of fields: every field row, locked in id order."""
    list(CustomField.objects.select_for_update().order_by("pk").values_list("pk", flat=True))


def _locked_field(field: CustomField) -> CustomField:
    _lock_fields()
    return CustomField.objects.select_related("pipeline").get(pk=field.pk)


def _active_field_ids() -> list[int]:
    return active_row_ids(CustomField.objects.all())


def _in_their_places(current: list[int], ordered: list[int]) -> list[int]:
    """``current`` with the ids of ``ordered`` put in that order into the places they
    hold; the other ids stay where they are."""
    chosen = set(ordered)
    places = [index for index, pk in enumerate(current) if pk in chosen]
    result = list(current)
    for index, pk in zip(places, ordered, strict=True):
        result[index] = pk
    return result


def _reorder_fields(
    *, actor: User, old: list[int], new: list[int], moved: list[int] | None = None
) -> None:
    """Renumber every field in the ``new`` order; audit where the ``moved`` ones went
    (by default each field whose place changed)."""
    if new == old:
        return
    renumber(CustomField.objects.all(), new)
    moved = moved or [pk for pk in new if old.index(pk) != new.index(pk)]
    fields = CustomField.objects.in_bulk(moved)
    for pk in moved:
        audit_record(
            actor=actor,
            target=fields[pk],
            action="moved",
            changes={"position": [old.index(pk) + 1, new.index(pk) + 1]},
        )


def _locked_option(option: CustomFieldOption) -> CustomFieldOption:
    """Option changes hold their field's row, so two admins renumber one list in turn."""
    CustomField.objects.select_for_update().get(pk=option.field_id)
    return CustomFieldOption.objects.select_related("field").get(pk=option.pk)


def _record_option(
    actor: User, option: CustomFieldOption, action: str, changes: dict | None = None
) -> None:
    audit_record(
        actor=actor,
        target=option,
        action=action,
        changes=changes,
        object_repr=f"{option.field.name}: {option.label}",
    )


# -- fields --------------------------------------------------------------------------------


@transaction.atomic
def custom_field_create(
    *,
    actor: User,
    pipeline: Pipeline | None = None,
    name: str,
    type: str,
    help_text: str = "",
    show_on_card: bool = False,
    options: Sequence[str] = (),
) -> CustomField:
    """A new field at the end of the order, on ``pipeline``'s deals or (None) on every
    pipeline's; a choice field with its options (labels, in order)."""
    ensure_admin(actor)
    _lock_fields()
    if type not in CustomField.Type.values:
        raise ValidationError({"type": _("Choose one of the types.")})
    name = _clean_name(name)
    clash = _name_clash(name, pipeline_id=pipeline.pk if pipeline else None, exclude_pk=None)
    if clash:
        raise ValidationError({"name": clash})
    labels = _clean_labels(options)
    if type in CHOICE_TYPES and not labels:
        raise ValidationError({"options": _("Give a choice field at least one option.")})
    if type not in CHOICE_TYPES and labels:
        raise ValidationError({"options": _("Only choice fields have options.")})
    top = CustomField.objects.aggregate(top=Max("position"))["top"]
    field = CustomField(
        pipeline=pipeline,
        key=_new_field_key(name),
        name=name,
        help_text=_plain_text(help_text, attribute="help_text", max_length=HELP_LENGTH),
        type=type,
        show_on_card=show_on_card,
        position=0 if top is None else top + 1,
    )
    _save_new_field(field)
    _create_options(field, labels)
    audit_record(
        actor=actor,
        target=field,
        action="created",
        changes={
            "key": field.key,
            "type": field.type,
            "pipeline": pipeline.name if pipeline else _("all pipelines"),
            "help_text": field.help_text,
            "show_on_card": field.show_on_card,
        }
        | ({"options": labels} if labels else {}),
    )
    return field


def _save_new_field(field: CustomField) -> None:
    try:
        with transaction.atomic():
            field.save()
    except IntegrityError:
        # The first field of all, created twice at once: no row was there to lock.
        raise InvalidRequest(
            _("Someone created a field at the same moment; nothing was saved. Try again.")
        ) from None


def _create_options(field: CustomField, labels: list[str]) -> list[CustomFieldOption]:
    taken: set[str] = set()
    options = []
    for position, label in enumerate(labels):
        key = _unique_key(_key_base(label, "option"), taken)
        taken.add(key)
        options.append(CustomFieldOption(field=field, key=key, label=label, position=position))
    return CustomFieldOption.objects.bulk_create(options)


@transaction.atomic
def custom_field_update(
    *, actor: User, field: CustomField, name: str, help_text: str, show_on_card: bool
) -> CustomField:
    """Rename, reword the help text, show on the card or not. The key, the type and the
    values stay; an archived field may be renamed (to restore it beside a namesake)."""
    ensure_admin(actor)
    field = _locked_field(field)
    after = {
        "name": _clean_name(name),
        "help_text": _plain_text(help_text, attribute="help_text", max_length=HELP_LENGTH),
        "show_on_card": bool(show_on_card),
    }
    if not field.is_archived:
        clash = _name_clash(after["name"], pipeline_id=field.pipeline_id, exclude_pk=field.pk)
        if clash:
            raise ValidationError({"name": clash})
    changes = audit_changes({name: getattr(field, name) for name in FIELD_SETTINGS}, after)
    if not changes:
        return field
    for attribute, value in after.items():
        setattr(field, attribute, value)
    field.save(update_fields=list(after))
    action = "renamed" if set(changes) == {"name"} else "edited"
    audit_record(actor=actor, target=field, action=action, changes=changes)
    return field


@transaction.atomic
def custom_field_archive(*, actor: User, field: CustomField) -> CustomField:
    """Hide a field from forms, cards, lists, exports and the API; deals keep the values.

    Checklist items that name it stay: they hold while the deal's kept value meets them.
    """
    ensure_admin(actor)
    field = _locked_field(field)
    if field.is_archived:
        raise InvalidRequest(_("“%(name)s” is already archived.") % {"name": field.name})
    remaining = [pk for pk in _active_field_ids() if pk != field.pk]
    CustomField.objects.filter(pk=field.pk).update(is_archived=True)
    renumber(CustomField.objects.all(), remaining)
    field.is_archived = True
    audit_record(
        actor=actor, target=field, action="archived", changes={"is_archived": [False, True]}
    )
    return field


@transaction.atomic
def custom_field_restore(*, actor: User, field: CustomField) -> CustomField:
    """Show an archived field again, at the end of the order, with the values deals kept."""
    ensure_admin(actor)
    field = _locked_field(field)
    if not field.is_archived:
        raise InvalidRequest(_("“%(name)s” is not archived.") % {"name": field.name})
    clash = _name_clash(field.name, pipeline_id=field.pipeline_id, exclude_pk=field.pk)
    if clash:
        raise InvalidRequest(
            _("%(clash)s Rename one of them before restoring this one.") % {"clash": clash}
        )
    active = _active_field_ids()
    CustomField.objects.filter(pk=field.pk).update(is_archived=False)
    renumber(CustomField.objects.all(), [*active, field.pk])
    field.is_archived = False
    audit_record(
        actor=actor, target=field, action="restored", changes={"is_archived": [True, False]}
    )
    return field


@transaction.atomic
def custom_field_delete(*, actor: User, field: CustomField) -> None:
    """Delete a field no deal holds a value of and no checklist item names (its options
    go with it); otherwise refuse and say why: archiving keeps the values."""
    ensure_admin(actor)
    field = _locked_field(field)
    count = deals_holding(field)
    if count:
        raise InvalidRequest(
            ngettext(
                "%(count)s deal holds a value of “%(name)s”, so it cannot be deleted. "
                "Archive it instead: it disappears from forms and cards, and the value is kept.",
                "%(count)s deals hold values of “%(name)s”, so it cannot be deleted. "
                "Archive it instead: it disappears from forms and cards, and the values are kept.",
                count,
            )
            % {"count": count, "name": field.name}
        )
    stages = sorted(
        {
            f"{item.stage.pipeline.name} › {item.stage.name}"
            for item in field.checklist_items.select_related("stage__pipeline")
        }
    )
    if stages:
        raise InvalidRequest(
            ngettext(
                "A checklist item of %(stages)s names “%(name)s”, so it cannot be deleted. "
                "Point the item at another field or remove it first, or archive the field.",
                "Checklist items of %(stages)s name “%(name)s”, so it cannot be deleted. "
                "Point the items at another field or remove them first, or archive the field.",
                len(stages),
            )
            % {"stages": ", ".join(stages), "name": field.name}
        )
    remaining = [pk for pk in _active_field_ids() if pk != field.pk]
    audit_record(
        actor=actor,
        target=field,
        action="deleted",
        changes={"key": field.key, "type": field.type},
    )
    field.delete()
    renumber(CustomField.objects.all(), remaining)


@transaction.atomic
def custom_fields_reorder(*, actor: User, field_ids: list[int]) -> None:
    """Put the named active fields in the order of ``field_ids``, in the places they hold
    among all fields (a page listing one pipeline's fields reorders only those)."""
    ensure_admin(actor)
    _lock_fields()
    current = _active_field_ids()
    if len(field_ids) != len(set(field_ids)) or not set(field_ids) <= set(current):
        raise InvalidRequest(_("The fields changed meanwhile; the list has been refreshed."))
    _reorder_fields(actor=actor, old=current, new=_in_their_places(current, list(field_ids)))


@transaction.atomic
def custom_field_shift(
    *, actor: User, field: CustomField, offset: int, pipeline: Pipeline | None = None
) -> None:
    """Move a field one place up (-1) or down (+1) in the list as shown: every field, or
    (``pipeline``) those on that pipeline's deals."""
    ensure_admin(actor)
    _lock_fields()
    shown = CustomField.objects.all()
    if pipeline is not None:
        shown = shown.filter(Q(pipeline=pipeline) | Q(pipeline=None))
    new_shown, _from, _to = swapped_with_neighbour(
        active_row_ids(shown),
        field.pk,
        offset,
        archived=_("This field is archived or not in this list."),
        at_end=_("The field cannot move further that way."),
    )
    current = _active_field_ids()
    new = _in_their_places(current, new_shown)
    _reorder_fields(actor=actor, old=current, new=new, moved=[field.pk])


@transaction.atomic
def custom_field_place(*, actor: User, field: CustomField, position: int) -> None:
    """Put a field at index ``position`` (0-based) among all active fields: the API's
    reorder, one field at a time."""
    ensure_admin(actor)
    _lock_fields()
    current = _active_field_ids()
    new = placed_at(current, field.pk, position, archived=_("This field is archived."))
    _reorder_fields(actor=actor, old=current, new=new, moved=[field.pk])


# -- options -------------------------------------------------------------------------------


@transaction.atomic
def custom_field_option_add(*, actor: User, field: CustomField, label: str) -> CustomFieldOption:
    """A new option at the end of a choice field's list; its key comes from the label."""
    ensure_admin(actor)
    field = CustomField.objects.select_for_update().get(pk=field.pk)
    if not field.has_options:
        raise InvalidRequest(_("Only choice fields have options."))
    label = _clean_label(label, field=field)
    taken = set(field.options.values_list("key", flat=True))
    top = field.options.aggregate(top=Max("position"))["top"]
    option = CustomFieldOption.objects.create(
        field=field,
        key=_unique_key(_key_base(label, "option"), taken),
        label=label,
        position=0 if top is None else top + 1,
    )
    active = active_row_ids(field.options.exclude(pk=option.pk))
    renumber(field.options.all(), [*active, option.pk])
    _record_option(actor, option, "created", {"key": option.key, "label": label})
    return option


@transaction.atomic
def custom_field_option_rename(
    *, actor: User, option: CustomFieldOption, label: str
) -> CustomFieldOption:
    """A new label; deals hold the option's key, so they show the new label at once."""
    ensure_admin(actor)
    option = _locked_option(option)
    label = _clean_label(label, field=option.field, exclude_pk=option.pk)
    if label == option.label:
        return option
    old, option.label = option.label, label
    option.save(update_fields=["label"])
    _record_option(actor, option, "renamed", {"label": [old, label]})
    return option


def _reorder_options(
    *, actor: User, option: CustomFieldOption, old: list[int], new: list[int]
) -> None:
    if new == old:
        return
    renumber(option.field.options.all(), new)
    changes = {"position": [old.index(option.pk) + 1, new.index(option.pk) + 1]}
    _record_option(actor, option, "moved", changes)


@transaction.atomic
def custom_field_option_shift(*, actor: User, option: CustomFieldOption, offset: int) -> None:
    """One place up (-1) or down (+1) among the field's offered options."""
    ensure_admin(actor)
    option = _locked_option(option)
    current = active_row_ids(option.field.options.all())
    new, _from, _to = swapped_with_neighbour(
        current,
        option.pk,
        offset,
        archived=_("This option is archived."),
        at_end=_("The option cannot move further that way."),
    )
    _reorder_options(actor=actor, option=option, old=current, new=new)


@transaction.atomic
def custom_field_option_place(*, actor: User, option: CustomFieldOption, position: int) -> None:
    """Put an option at index ``position`` (0-based) among the field's offered options."""
    ensure_admin(actor)
    option = _locked_option(option)
    current = active_row_ids(option.field.options.all())
    new = placed_at(current, option.pk, position, archived=_("This option is archived."))
    _reorder_options(actor=actor, option=option, old=current, new=new)


@transaction.atomic
def custom_field_option_archive(*, actor: User, option: CustomFieldOption) -> CustomFieldOption:
    """No longer offered; deals that hold it keep it (and show its label)."""
    ensure_admin(actor)
    option = _locked_option(option)
    if option.is_archived:
        raise InvalidRequest(_("“%(label)s” is already archived.") % {"label": option.label})
    current = active_row_ids(option.field.options.all())
    if current == [option.pk]:
        raise InvalidRequest(_("A choice field keeps at least one option to offer."))
    CustomFieldOption.objects.filter(pk=option.pk).update(is_archived=True)
    renumber(option.field.options.all(), [pk for pk in current if pk != option.pk])
    option.is_archived = True
    _record_option(actor, option, "archived", {"is_archived": [False, True]})
    return option


@transaction.atomic
def custom_field_option_restore(*, actor: User, option: CustomFieldOption) -> CustomFieldOption:
    """Offer an archived option again, at the end of the list."""
    ensure_admin(actor)
    option = _locked_option(option)
    if not option.is_archived:
        raise InvalidRequest(_("“%(label)s” is not archived.") % {"label": option.label})
    try:
        _clean_label(option.label, field=option.field, exclude_pk=option.pk)
    except ValidationError as error:
        raise InvalidRequest(" ".join(error.messages)) from None
    current = active_row_ids(option.field.options.all())
    CustomFieldOption.objects.filter(pk=option.pk).update(is_archived=False)
    renumber(option.field.options.all(), [*current, option.pk])
    option.is_archived = False
    _record_option(actor, option, "restored", {"is_archived": [True, False]})
    return option


# -- copies for a duplicated pipeline --------------------------------------------------------


def custom_fields_copy(
    *, actor: User, source: Pipeline, target: Pipeline, also: Iterable[int] = ()
) -> dict[int, CustomField]:
    """Copy ``source``'s own active fields (and the archived ones of ``also``: fields its
    checklist items name), with their options, onto ``target``; returns the copies by
    original id. Fields for every pipeline need no copy: they are on ``target`` already.

    Each copy gets a key of its own (keys are unique); options keep theirs, so the
    "is one of" operands of copied checklist items still name them. Called inside
    ``pipeline_duplicate``'s transaction.
    """
    _lock_fields()
    originals = list(
        CustomField.objects.filter(pipeline=source)
        .filter(Q(is_archived=False) | Q(pk__in=list(also)))
        .prefetch_related("options")
        .order_by("is_archived", "position", "pk")
    )
    top = CustomField.objects.aggregate(top=Max("position"))["top"]
    position = -1 if top is None else top
    copies: dict[int, CustomField] = {}
    for original in originals:
        position += 1
        copy = CustomField(
            pipeline=target,
            key=_new_field_key(original.key),
            name=original.name,
            help_text=original.help_text,
            type=original.type,
            show_on_card=original.show_on_card,
            position=position,
            is_archived=original.is_archived,
        )
        _save_new_field(copy)
        CustomFieldOption.objects.bulk_create(
            CustomFieldOption(
                field=copy,
                key=option.key,
                label=option.label,
                position=option.position,
                is_archived=option.is_archived,
            )
            for option in original.options.all()
        )
        audit_record(
            actor=actor,
            target=copy,
            action="created as a copy",
            changes={"copied_from": f"{source.name}: {original.name}", "key": copy.key},
        )
        copies[original.pk] = copy
    return copies


def custom_field_for_item(*, item: ChecklistItem, copies: dict[int, CustomField]) -> int | None:
    """The field a copied checklist item names: the copy of a pipeline's own field, or
    the same field when it is for every pipeline."""
    if item.custom_field_id is None:
        return None
    copy = copies.get(item.custom_field_id)
    return copy.pk if copy else item.custom_field_id
