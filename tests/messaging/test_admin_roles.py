"""Staff and chat (R9.2, R10.1): helpdesk sees a member's message settings (to answer "why do I
get no mail?") but no conversation or message; moderators see messages only through reports."""

import pytest

from messaging import services
from payments.services import adjust_credits
from tests.factories import MemberFactory, staff_member


@pytest.fixture
def chat(db):
    alice = MemberFactory(username="alice")
    bob = MemberFactory(username="bob")
    adjust_credits(member=alice, credits=10, reason="test", staff=MemberFactory(is_staff=True))
    services.send_message(sender=alice, receiver=bob, text="Een prive bericht")
    services.update_receiving_settings(member=bob, notify="daily")
    return alice, bob


@pytest.mark.parametrize(
    ("role", "settings_status"), [("Helpdesk", 200), ("Moderators", 403), ("Finance", 403)]
)
def test_only_helpdesk_sees_message_settings_and_nobody_sees_messages(
    client, chat, role, settings_status
):
    client.force_login(staff_member(role))

    assert client.get("/admin/messaging/receivingsettings/").status_code == settings_status
    for path in ("/admin/messaging/message/", "/admin/messaging/conversation/"):
        assert client.get(path).status_code == 404
    page = client.get("/admin/")
    assert "Een prive bericht" not in page.content.decode()


def test_helpdesk_reads_the_settings_but_cannot_change_them(client, chat):
    _alice, bob = chat
    client.force_login(staff_member("Helpdesk"))

    listing = client.get("/admin/messaging/receivingsettings/")
    assert "bob" in listing.content.decode()
    row = bob.receiving_settings
    change = client.post(
        f"/admin/messaging/receivingsettings/{row.pk}/change/", {"notify": "never"}
    )
    row.refresh_from_db()
    assert row.notify == "daily"
    assert change.status_code in {403, 200}
