"""Notifications and their emails in the recipient's language (docs/i18n.md): the text is
stored as written when the notice is created, in the language of the one who reads it,
whoever's request or job created it; each email is written in its recipient's language.

The tests of German and Dutch words need the compiled catalogs (``make test`` compiles
them)."""

from django.core import mail
from django.utils import translation

from deals.models import Notification
from deals.services.editing import deal_reassign
from deals.services.handover import user_offboard
from deals.services.notifications import (
    REASSIGNED_SUBJECT,
    Notice,
    deal_notify_reassigned,
    notices_email,
)
from tests.factories import make_deal, speaking


def _reassigned(company, new_owner):
    deal = make_deal(company.rep1, company.sales, title="Acme rollout")
    deal_reassign(user=company.manager, deal=deal, new_owner=new_owner, version=None)
    return deal


def test_an_english_recipient_is_told_in_english(company):
    deal = _reassigned(company, speaking(company.rep2, "en"))

    with translation.override("de"):  # whoever runs the job: the recipient's language
        assert deal_notify_reassigned(deal_id=deal.pk, new_owner_id=company.rep2.pk)

    notice = Notification.objects.get(recipient=company.rep2)
    assert notice.text == "“Acme rollout” was reassigned to you by Manager Test."


def test_a_german_recipient_is_told_in_german(company):
    """Needs the compiled catalogs."""
    deal = _reassigned(company, speaking(company.rep2, "de"))

    assert deal_notify_reassigned(deal_id=deal.pk, new_owner_id=company.rep2.pk)

    notice = Notification.objects.get(recipient=company.rep2)
    assert notice.text == "„Acme rollout“ wurde Ihnen von Manager Test zugewiesen."


def test_each_email_is_written_in_its_recipients_language(
    company, settings, django_capture_on_commit_callbacks
):
    """Needs the compiled catalogs."""
    settings.EMAIL_NOTIFICATIONS = True
    speaking(company.rep1, "de")
    speaking(company.rep2, "nl")
    speaking(company.rep3, "en")
    notices = [
        Notice(recipient_id=user.pk, kind="reassigned", text=f"Notice for {user.username}")
        for user in (company.rep1, company.rep2, company.rep3)
    ]

    with django_capture_on_commit_callbacks(execute=True):
        notices_email(notices=notices, subject=REASSIGNED_SUBJECT)

    sent = {message.to[0]: message for message in mail.outbox}
    german, dutch, english = (sent[f"{name}@example.com"] for name in ("rep1", "rep2", "rep3"))
    assert german.subject == "PipelineCRM: Ihnen wurde ein Deal zugewiesen"
    assert german.body.startswith("Hallo Rep1 Test,\n\n- Notice for rep1\n")
    assert "Sie finden diese unter Benachrichtigungen" in german.body
    assert dutch.subject == "PipelineCRM: er is een deal aan je toegewezen"
    assert dutch.body.startswith("Hallo Rep2 Test,")
    assert english.subject == "PipelineCRM: a deal was reassigned to you"
    assert "You will find these under Notifications (the bell) in PipelineCRM." in english.body


def test_the_hand_over_notice_is_in_the_successors_language(company):
    """Needs the compiled catalogs."""
    make_deal(company.rep1, company.sales)
    make_deal(company.rep1, company.sales)
    successor = speaking(company.rep2, "de")

    user_offboard(actor=company.admin, user=company.rep1, deals_to=successor)

    notice = Notification.objects.get(recipient=successor, kind="handover")
    assert notice.text == "2 offene Deals von Rep1 Test gehören jetzt Ihnen."
