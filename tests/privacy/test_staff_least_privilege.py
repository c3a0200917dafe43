"""Staff see only what their role needs (R9.2, issue 7): Helpdesk never sees a message's text or
a member's payment details, wherever they go in admin; Moderators and Finance never see
privacy requests; only superusers read the staff access log."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from messaging.services import send_message, update_receiving_settings
from moderation import services as moderation
from payments.models import CreditPack, Order
from payments.services import adjust_credits
from privacy.models import PrivacyRequest, RequestType, StaffAccessLog
from privacy.services import grant_consent
from tests.factories import MemberFactory, staff_member
from tests.helpers import every_admin_url

from .request_helpers import helpdesk_worker, make_request

pytestmark = pytest.mark.django_db

MESSAGE_TEXT = "Zwaluwstaart-bericht 5521"
PAYMENT_ID = "tr_PAYMARKER77"
AMOUNT_CENTS = 98765
PAYMENT_MARKERS = (PAYMENT_ID, "98765", "987,65", "987.65")
REQUESTS = "/admin/privacy/privacyrequest/"
ACCESS_LOG = "/admin/privacy/staffaccesslog/"


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield
    # Back to no language at all, as pytest-django starts each test: leaving the override
    # would activate Dutch (the site's default) for the next test in this process.
    translation.deactivate_all()


@pytest.fixture
def seeded(member):
    """alice, with a message from bob that she reported, an order paid by credit card, credits
    given by Finance, message settings and a consent."""
    bob = MemberFactory(username="bob", email="bob@example.org")
    finance = staff_member("Finance", username="fien")
    adjust_credits(member=bob, credits=20, reason="welcome", staff=finance)
    message = send_message(sender=bob, receiver=member, text=MESSAGE_TEXT)
    report = moderation.report_content(
        reporter=member, items=[message], reason="scam", reported_member=bob
    )
    pack = CreditPack.objects.first()
    order = Order.objects.create(
        member=member,
        pack=pack,
        credits=pack.credits,
        amount_cents=AMOUNT_CENTS,
        method="creditcard",
        status=Order.Status.PAID,
        mollie_payment_id=PAYMENT_ID,
        paid_at=timezone.now(),
    )
    adjust_credits(member=member, credits=7, reason="goodwill", staff=finance)
    update_receiving_settings(member=member, notify="daily")
    grant_consent(member=member, purpose="promotional_email", wording_version="1", source="test")
    return {"bob": bob, "message": message, "report": report, "order": order}


def privacy_request(member) -> PrivacyRequest:
    now = timezone.now()
    return PrivacyRequest.objects.create(
        reference="HC-TEST-1",
        type=RequestType.ERASURE,
        requester_email=member.email,
        member=member,
        subject="Please erase my account",
        description="Everything, please.",
        received_at=now,
        due_at=now + timedelta(days=30),
    )


def test_helpdesk_cannot_open_reports_or_payments(client, member, seeded):
    """R9.2: the report queue and a case (where message text is shown) and every payments page
    (orders, the ledger, wallets) are 403 for Helpdesk."""
    client.force_login(staff_member("Helpdesk"))
    report, order = seeded["report"], seeded["order"]
    wallet = member.wallet
    ledger_entry = member.ledger_entries.get()

    refused = [
        "/admin/moderation/report/",
        f"/admin/moderation/report/{report.pk}/change/",
        "/admin/payments/order/",
        f"/admin/payments/order/{order.pk}/change/",
        "/admin/payments/ledgerentry/",
        f"/admin/payments/ledgerentry/{ledger_entry.pk}/change/",
        "/admin/payments/wallet/",
        f"/admin/payments/wallet/{wallet.pk}/change/",
    ]
    for path in refused:
        response = client.get(path)
        assert response.status_code == 403, path
        assert MESSAGE_TEXT not in response.content.decode()


def test_no_admin_page_helpdesk_reaches_shows_message_text_or_payment_details(
    client, member, seeded
):
    """R9.2, issue 7: Helpdesk walks every admin page (lists, object pages, history, the
    member's own pages, her privacy request) with alice's reported message, her card payment
    and her credits in the database: none shows the message text, the payment id or the
    amount."""
    privacy_request = make_request(member=member)
    helpdesk = helpdesk_worker()  # with the request permissions the role is getting (issue 7)
    client.force_login(helpdesk)

    reached = []
    for path in every_admin_url():
        response = client.get(path)
        assert response.status_code in {200, 302, 403, 404}, path
        page = response.content.decode()
        assert MESSAGE_TEXT not in page, path
        for marker in PAYMENT_MARKERS:
            assert marker not in page, f"{marker} on {path}"
        if response.status_code == 200:
            reached.append(path)

    # The walk did reach Helpdesk's pages about alice (so it could have found a leak).
    assert f"/admin/members/member/{member.pk}/change/" in reached
    assert f"/admin/members/member/{member.pk}/history/" in reached
    assert "/admin/messaging/receivingsettings/" in reached
    assert "/admin/privacy/consentrecord/" in reached
    assert f"/admin/privacy/privacyrequest/{privacy_request.pk}/change/" in reached
    assert f"/admin/moderation/report/{seeded['report'].pk}/change/" not in reached
    assert f"/admin/payments/order/{seeded['order'].pk}/change/" not in reached
    # And the views of alice's data were written to the access log.
    assert StaffAccessLog.objects.filter(staff=helpdesk, member=member).exists()


def test_moderators_cannot_see_privacy_requests_or_the_access_log(client, member):
    """R9.2, issue 7: Moderators get no privacy request (list or page) and no access log."""
    request = privacy_request(member)
    client.force_login(staff_member("Moderators"))

    for path in (REQUESTS, f"{REQUESTS}{request.pk}/change/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Please erase my account" not in response.content.decode()
    assert client.get(ACCESS_LOG).status_code == 403
    index = client.get("/admin/").content.decode()
    assert REQUESTS not in index and ACCESS_LOG not in index


def test_finance_cannot_see_privacy_requests(client, member):
    """R9.2, issue 7: Finance gets no privacy request either."""
    request = privacy_request(member)
    client.force_login(staff_member("Finance"))

    for path in (REQUESTS, f"{REQUESTS}{request.pk}/change/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Please erase my account" not in response.content.decode()
    assert client.get(ACCESS_LOG).status_code == 403
