"""Writes that a form (or an API body) makes in one step: a new deal with its contacts
named in words, and an edit that may also hand the deal to someone else.

Each is one transaction, so a refusal half-way (a version conflict, a reassignment the
user may not make) leaves no new organization, person or half-applied edit behind.
"""

import datetime
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from deals.models import Deal, Organization, Person
from deals.services.contacts import organization_get_or_create, person_get_or_create
from deals.services.deals import deal_create
from deals.services.editing import deal_reassign, deal_update
from pipelines.models import Pipeline, Stage


@transaction.atomic
def deal_create_with_contacts(
    *,
    user: User,
    title: str,
    pipeline: Pipeline,
    stage: Stage,
    owner: User,
    value: Decimal | None,
    expected_close_date: datetime.date | None,
    organization_name: str,
    person_name: str,
    custom_fields: dict | None = None,
) -> Deal:
    """The board's "+" dialog: organization and person by name, found or created."""
    organization = organization_get_or_create(name=organization_name)
    person = person_get_or_create(name=person_name, organization=organization)
    return deal_create(
        user=user,
        title=title,
        pipeline=pipeline,
        stage=stage,
        owner=owner,
        value=value,
        organization=organization,
        person=person,
        expected_close_date=expected_close_date,
        custom_fields=custom_fields,
    )


@transaction.atomic
def deal_edit(*, user: User, deal: Deal, version: int, owner: User | None = None, **fields) -> Deal:
    """Edit fields (``deal_update``) and then reassign to ``owner`` if given, together or
    not at all. The reassignment continues from the version the edit produced: the edit
    already checked the caller's."""
    if fields:
        before = deal.version
        deal = deal_update(user=user, deal=deal, version=version, **fields)
        if deal.version != before:
            version = deal.version
    if owner is not None and owner.pk != deal.owner_id:
        deal = deal_reassign(user=user, deal=deal, new_owner=owner, version=version)
    return deal


@transaction.atomic
def deal_edit_with_contacts(
    *,
    user: User,
    deal: Deal,
    version: int,
    organization_name: str,
    person_name: str,
    owner: User | None = None,
    **fields,
) -> Deal:
    """The deal page's edit form: contacts by name, found or created, then ``deal_edit``."""
    organization: Organization | None = organization_get_or_create(name=organization_name)
    person: Person | None = person_get_or_create(name=person_name, organization=organization)
    return deal_edit(
        user=user,
        deal=deal,
        version=version,
        owner=owner,
        organization=organization,
        person=person,
        **fields,
    )
