"""Admin pages: the lost reasons offered when a deal is marked
lost (docs/domain/deals.md, docs/domain/admin-pages.md)."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from deals.forms import LostForm
from deals.models import LostReason
from deals.services.moves import deal_mark_lost
from pipelinecrm.exceptions import InvalidRequest
from tests.factories import make_deal

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("crm_admin:lost-reasons")


@pytest.fixture
def reasons(db):
    return [
        LostReason.objects.create(name=name, position=i)
        for i, name in enumerate(["Price", "Timing", "Competitor"])
    ]


def _offered() -> list[str]:
    return [reason.name for reason in LostForm().fields["reason"].queryset]


def test_add_a_reason_puts_it_last_and_offers_it(admin_client, company, reasons):
    response = admin_client.post(LIST, {"new-name": " No budget "}, **HTMX)

    assert response.status_code == 200
    assert "“No budget” added." in response.content.decode()
    assert _offered() == ["Price", "Timing", "Competitor", "No budget"]
    reason = LostReason.objects.get(name="No budget")
    assert AuditEntry.objects.get(object_id=str(reason.pk)).action == "created"


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Give the reason a name."), ("price", "There is already a lost reason with that name.")],
)
def test_add_refuses_an_empty_or_taken_name(admin_client, company, reasons, name, message):
    response = admin_client.post(LIST, {"new-name": name}, **HTMX)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert LostReason.objects.count() == 3


def test_rename_changes_the_label_everywhere(admin_client, company, reasons):
    price = reasons[0]

    admin_client.post(
        reverse("crm_admin:lost-reason-edit", args=[price.pk]),
        {f"reason-{price.pk}-name": "Too expensive"},
        **HTMX,
    )

    price.refresh_from_db()
    assert price.name == "Too expensive"
    assert AuditEntry.objects.get(object_id=str(price.pk), action="renamed").changes == {
        "name": ["Price", "Too expensive"]
    }
    refused = admin_client.post(
        reverse("crm_admin:lost-reason-edit", args=[price.pk]),
        {f"reason-{price.pk}-name": "TIMING"},
        **HTMX,
    )
    assert refused.status_code == 422
    assert "There is already a lost reason with that name." in refused.content.decode()


def test_reorder_changes_the_order_deals_are_offered(admin_client, company, reasons):
    competitor = reasons[2]

    admin_client.post(
        reverse("crm_admin:lost-reason-shift", args=[competitor.pk]), {"direction": "up"}, **HTMX
    )
    admin_client.post(
        reverse("crm_admin:lost-reason-shift", args=[competitor.pk]), {"direction": "up"}, **HTMX
    )

    assert _offered() == ["Competitor", "Price", "Timing"]
    assert list(LostReason.objects.values_list("position", flat=True)) == [0, 1, 2]
    refused = admin_client.post(
        reverse("crm_admin:lost-reason-shift", args=[competitor.pk]), {"direction": "up"}, **HTMX
    )
    assert refused.status_code == 400


def test_deactivated_reason_is_no_longer_offered_but_stays_on_its_deals(
    admin_client, company, reasons
):
    price = reasons[0]
    deal = make_deal(company.rep1, company.sales)
    lost = deal_mark_lost(user=company.rep1, deal=deal, version=deal.version, reason=price)

    response = admin_client.post(
        reverse("crm_admin:lost-reason-active", args=[price.pk]), {"active": "0"}, **HTMX
    )

    assert "“Price” is no longer offered." in response.content.decode()
    assert _offered() == ["Timing", "Competitor"]
    lost.refresh_from_db()
    assert lost.lost_reason == price
    other = make_deal(company.rep1, company.sales)
    price.refresh_from_db()
    with pytest.raises(InvalidRequest):
        deal_mark_lost(user=company.rep1, deal=other, version=other.version, reason=price)

    admin_client.post(
        reverse("crm_admin:lost-reason-active", args=[price.pk]), {"active": "1"}, **HTMX
    )
    assert _offered() == ["Price", "Timing", "Competitor"]
    assert [e.action for e in AuditEntry.objects.filter(object_id=str(price.pk))] == [
        "reactivated",
        "deactivated",
    ]


def test_without_javascript_actions_redirect_back_to_the_list(admin_client, company, reasons):
    response = admin_client.post(LIST, {"new-name": "Lost touch"})

    assert response.status_code == 302
    assert response.url == LIST
    assert "Lost touch" in admin_client.get(LIST).content.decode()
