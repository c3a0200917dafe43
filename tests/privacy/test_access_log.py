"""The staff access log (R9.2, issue 7): every staff view of a member's personal data in admin
is written down (who, whom, what, when), readable by superusers only, and holds no content."""

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from messaging.models import Message
from messaging.services import send_message
from moderation import services as moderation
from moderation.models import ContentAccessLog
from payments.models import CreditPack, Order
from payments.services import adjust_credits
from privacy import registry
from privacy.access_log import member_of
from privacy.models import StaffAccessLog
from profiles.models import Place
from tests.factories import MemberFactory, staff_member

from .request_helpers import (
    REQUESTS,
    change_url,
    helpdesk_worker,
    make_request,
    pdf_upload,
    use_request_storage,
)

pytestmark = pytest.mark.django_db

MIDDLEWARE = "privacy.access_log.StaffAccessLogMiddleware"
LOG = "/admin/privacy/staffaccesslog/"
SECRET_TEXT = "Mijn geheime zin 4711"


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield
    # Back to no language at all, as pytest-django starts each test: leaving the override
    # would activate Dutch (the site's default) for the next test in this process.
    translation.deactivate_all()


@pytest.fixture
def bob(db):
    return MemberFactory(username="bob", email="bob@example.org")


@pytest.fixture
def helpdesk(db):
    return staff_member("Helpdesk", username="hilde")


def member_page(member, view="change"):
    return f"/admin/members/member/{member.pk}/{view}/"


def reported_message(alice, bob):
    """bob writes alice a message; alice reports it."""
    adjust_credits(member=bob, credits=10, reason="test", staff=MemberFactory(is_staff=True))
    message = send_message(sender=bob, receiver=alice, text=SECRET_TEXT)
    report = moderation.report_content(
        reporter=alice, items=[message], reason="scam", reported_member=bob
    )
    return report


def test_a_helpdesk_view_of_a_members_page_writes_who_whom_what_when(client, member, helpdesk):
    """R9.2: Helpdesk opens alice's page: one row says Hilde looked at alice's member page,
    and when."""
    client.force_login(helpdesk)
    before = timezone.now()

    response = client.get(member_page(member))

    assert response.status_code == 200
    row = StaffAccessLog.objects.get()
    assert row.staff == helpdesk
    assert row.member == member
    assert row.what == f"member {member.pk}"
    assert row.path == member_page(member)
    assert before <= row.viewed_at <= timezone.now()


def test_the_history_page_is_a_view_of_the_member_too(client, member, helpdesk):
    client.force_login(helpdesk)

    assert client.get(member_page(member, "history")).status_code == 200

    row = StaffAccessLog.objects.get()
    assert (row.member, row.what) == (member, f"member {member.pk} (history)")


def test_a_list_writes_one_row_without_a_member_and_without_the_search_term(
    client, member, bob, helpdesk
):
    """R9.2: a list shows many members: whom stays empty, and the log says only whether a
    search was made, never what was searched (a name or an address)."""
    client.force_login(helpdesk)

    assert client.get("/admin/members/member/").status_code == 200
    assert client.get("/admin/members/member/", {"q": "alice@example.org"}).status_code == 200

    rows = list(StaffAccessLog.objects.order_by("pk"))
    assert [(r.member, r.what) for r in rows] == [
        (None, "list of members (search: no)"),
        (None, "list of members (search: yes)"),
    ]
    assert all(r.path == "/admin/members/member/" and r.staff == helpdesk for r in rows)


def test_objects_of_other_models_are_logged_against_their_member(client, member):
    """R9.2: an order's page is a view of its member's data (Finance looking at alice's
    order)."""
    order = Order.objects.create(
        member=member,
        pack=CreditPack.objects.first(),
        credits=50,
        amount_cents=995,
        method="ideal",
        status=Order.Status.PAID,
    )
    client.force_login(staff_member("Finance"))

    assert client.get(f"/admin/payments/order/{order.pk}/change/").status_code == 200

    row = StaffAccessLog.objects.get()
    assert (row.member, row.what) == (member, f"order {order.pk}")


def test_a_moderators_case_view_is_logged_with_the_reported_member(client, member, bob):
    """R9.2, R10.1: the case page writes moderation's content log and the staff access log,
    whom being the reported member."""
    report = reported_message(member, bob)
    moderator = staff_member("Moderators")
    client.force_login(moderator)

    response = client.get(f"/admin/moderation/report/{report.pk}/change/")

    assert response.status_code == 200
    assert ContentAccessLog.objects.filter(staff=moderator, report=report).exists()
    row = StaffAccessLog.objects.get()
    assert (row.staff, row.member, row.what) == (moderator, bob, f"case {report.pk}")


def test_logging_costs_one_insert_and_no_other_query(settings, member, helpdesk):
    """One INSERT per view: a list and an object page cost exactly one query more than
    without the log."""
    with_log = list(settings.MIDDLEWARE)
    settings.MIDDLEWARE = [m for m in with_log if m != MIDDLEWARE]
    plain_client = Client()  # a client loads the middleware on its first request
    plain_client.force_login(helpdesk)
    plain_client.get("/admin/")
    settings.MIDDLEWARE = with_log
    logging_client = Client()
    logging_client.force_login(helpdesk)
    logging_client.get("/admin/")

    for path in ("/admin/members/member/", member_page(member)):
        plain_client.get(path)  # first view: sessions and "last active" settle
        logging_client.get(path)
        with CaptureQueriesContext(connection) as plain:
            assert plain_client.get(path).status_code == 200
        with CaptureQueriesContext(connection) as logged:
            assert logging_client.get(path).status_code == 200

        assert len(logged) == len(plain) + 1, path
        extra = [q["sql"] for q in logged if "privacy_staffaccesslog" in q["sql"]]
        assert len(extra) == 1 and extra[0].startswith("INSERT"), path


def test_a_privacy_request_and_its_attachment_are_logged_against_the_member(
    client, member, tmp_path, settings, monkeypatch
):
    """R9.2: a helpdesk worker opening alice's request, and downloading its attachment (a view
    the request admin adds through `access_log_views`), writes a row for each."""
    use_request_storage(tmp_path, settings, monkeypatch)
    privacy_request = make_request(member=member, attachments=[pdf_upload()])
    attachment = privacy_request.attachments.get()
    worker = helpdesk_worker(username="hilde")
    client.force_login(worker)

    assert client.get(change_url(privacy_request)).status_code == 200
    download = client.get(f"{REQUESTS}{privacy_request.pk}/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")  # read, and closed

    rows = StaffAccessLog.objects.order_by("pk")
    assert [(r.staff, r.member, r.what) for r in rows] == [
        (worker, member, f"privacy request {privacy_request.pk}"),
        (worker, member, f"privacy request {privacy_request.pk} (attachment)"),
    ]


def test_pages_without_member_data_refusals_and_own_pages_write_nothing(client, member, helpdesk):
    """Not logged: pages outside admin, the admin index, reference data, pages refused (403)
    and the staff member's own account page."""
    client.force_login(helpdesk)
    place = Place.objects.first()

    assert client.get("/").status_code in {200, 302}
    assert client.get("/privacy/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/moderation/report/").status_code == 403
    assert client.get(member_page(helpdesk)).status_code == 200  # her own account
    client.force_login(staff_member("superuser"))
    assert client.get(f"/admin/profiles/place/{place.pk}/change/").status_code == 200
    assert client.get("/admin/payments/creditpack/").status_code == 200
    client.force_login(member)  # a member, not staff
    assert client.get("/privacy/me/").status_code == 200

    assert not StaffAccessLog.objects.exists()


def test_superusers_read_the_log_and_reading_it_is_not_logged(client, member, bob, helpdesk):
    """R9.2: the superuser sees when, who, whom, what and the page; filters by staff and
    date; searches by the member's username. Reading the log adds nothing to it."""
    client.force_login(helpdesk)
    client.get(member_page(member))
    client.get(member_page(bob))
    client.force_login(staff_member("superuser", username="root"))

    listing = client.get(LOG)
    searched = client.get(LOG, {"q": "bob"})
    by_staff = client.get(LOG, {"staff__id__exact": helpdesk.pk})
    today = timezone.localdate()
    by_date = client.get(
        LOG,
        {
            "viewed_at__year": today.year,
            "viewed_at__month": today.month,
            "viewed_at__day": today.day,
        },
    )
    other_day = client.get(LOG, {"viewed_at__year": today.year - 1})
    one = client.get(f"{LOG}{StaffAccessLog.objects.first().pk}/change/")

    assert listing.status_code == 200
    page = listing.content.decode()
    assert "hilde" in page and "alice" in page and "bob" in page
    assert f"member {member.pk}" in page
    assert [r.member for r in searched.context["cl"].result_list] == [bob]
    assert len(by_staff.context["cl"].result_list) == 2
    assert len(by_date.context["cl"].result_list) == 2
    assert len(other_day.context["cl"].result_list) == 0
    assert one.status_code == 200
    assert "Save" not in one.content.decode()  # read-only
    assert StaffAccessLog.objects.count() == 2
    assert client.get(f"{LOG}add/").status_code == 403
    row = StaffAccessLog.objects.first()
    assert client.post(f"{LOG}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert StaffAccessLog.objects.count() == 2


@pytest.mark.parametrize("role", ["Helpdesk", "Moderators", "Finance"])
def test_other_staff_get_403_on_the_log(client, member, role):
    """R9.2: only superusers read the log; it is not in other staff's admin index."""
    row = StaffAccessLog.objects.create(
        staff=staff_member("Helpdesk"), member=member, what="member 1", path="/admin/"
    )
    client.force_login(staff_member(role))

    assert client.get(LOG).status_code == 403
    assert client.get(f"{LOG}{row.pk}/change/").status_code == 403
    assert LOG not in client.get("/admin/").content.decode()


def test_the_log_holds_no_addresses_names_or_texts(client, member, bob, helpdesk):
    """R9.2: a searched address, a member's name and a reported message's text never reach
    the log: it holds ids and model names only."""
    report = reported_message(member, bob)
    client.force_login(helpdesk)
    client.get("/admin/members/member/", {"q": "alice@example.org"})
    client.get(member_page(member))
    client.get("/admin/account/emailaddress/", {"q": "bob"})
    client.force_login(staff_member("Moderators"))
    client.get(f"/admin/moderation/report/{report.pk}/change/")
    client.get("/admin/moderation/report/", {"q": SECRET_TEXT})

    rows = list(StaffAccessLog.objects.values_list("what", "path"))
    assert len(rows) >= 4
    for what, path in rows:
        for secret in ("@", "alice", "bob", "4711", "geheime"):
            assert secret not in what and secret not in path


def test_who_belongs_to_an_object(member, bob):
    """The `member_of` rule: the member itself, else its member, user, sender or reported
    member; nothing for reference data."""
    report = reported_message(member, bob)
    order = Order.objects.create(
        member=member, pack=CreditPack.objects.first(), credits=5, amount_cents=100, method="ideal"
    )
    message = Message.objects.get(sender=bob)
    assert member_of(member) == member.pk
    assert member_of(order) == member.pk
    assert member_of(EmailAddress.objects.get(user=bob)) == bob.pk
    assert member_of(message) == bob.pk
    assert member_of(report) == bob.pk
    assert member_of(Place.objects.first()) is None
    assert member_of(None) is None


def test_a_member_exports_who_looked_by_role_and_erasure_removes_it(client, member, helpdesk):
    """R7.4, Art. 15: alice's export says which role looked at what and when, never the staff
    member's name; erasing alice deletes the rows about her; erasing the staff member keeps
    what she looked at, without her."""
    client.force_login(helpdesk)
    client.get(member_page(member))
    client.get("/admin/members/member/")
    entry = registry.entry_for(StaffAccessLog)

    rows = list(entry.export(member))
    staff_rows = list(entry.export(helpdesk))

    assert rows == [
        {
            "viewed_at": StaffAccessLog.objects.get(member=member).viewed_at.isoformat(),
            "staff_role": "Helpdesk",
            "what": f"member {member.pk}",
            "by_you": False,
        }
    ]
    assert "hilde" not in str(rows)
    assert [(r["what"], r["by_you"]) for r in staff_rows] == [
        (f"member {member.pk}", True),
        ("list of members (search: no)", True),
    ]

    entry.erase(member)
    entry.erase(member)  # idempotent
    assert not StaffAccessLog.objects.filter(member=member).exists()
    assert StaffAccessLog.objects.filter(staff=helpdesk).count() == 1

    entry.erase(helpdesk)
    assert list(StaffAccessLog.objects.values_list("staff", "what")) == [
        (None, "list of members (search: no)")
    ]
