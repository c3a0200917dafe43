"""The member's "log-ins and devices" page (R6.1): where the account is logged in now, the
current session marked in words, other sessions ended with one button, and the log-in
history, newest first."""

from datetime import timedelta

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from activity.models import LoginRecord
from tests.factories import PASSWORD, MemberFactory

from .conftest import CHROME_WINDOWS, FIREFOX_ANDROID, IPV6_IP, KPN_IP, SAFARI_IPHONE, ZIGGO_IP

pytestmark = pytest.mark.django_db

DEVICES = "/account/devices/"


def log_in(user_agent, ip, username="alice"):
    browser = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    browser.cookies["django_language"] = "en"
    response = browser.post("/accounts/login/", {"login": username, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def test_the_page_needs_a_login(client):
    response = client.get(DEVICES)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_lists_the_sessions_with_the_current_one_marked_in_words(member, asn_database):
    laptop = log_in(CHROME_WINDOWS, KPN_IP)
    log_in(SAFARI_IPHONE, IPV6_IP)

    response = laptop.get(DEVICES)
    html = response.content.decode()

    assert response.status_code == 200
    sessions = response.context["sessions"]
    assert len(sessions) == 2
    current = sessions[0]  # the current one comes first
    assert current.current is True
    assert current.device.browser == "Chrome 131"
    assert current.provider == "KPN B.V."
    assert current.network == "192.0.2.0/24"
    assert "This device: the session you are using now." in html
    assert html.count("This device") == 1
    assert "Phone, iOS 17.6, Mobile Safari 17" in html
    assert "Example IPv6 Provider" in html and "2001:db8:1::/48" in html
    # Never the full address on the page.
    assert KPN_IP not in html and IPV6_IP not in html
    # One "End this session" button: for the phone; the current one offers logging out.
    assert html.count('name="session"') == 1
    assert "Log out on this device" in html


def test_the_login_history_is_newest_first_and_marks_new_devices(member, asn_database):
    log_in(CHROME_WINDOWS, KPN_IP)
    phone = log_in(FIREFOX_ANDROID, ZIGGO_IP)

    response = phone.get(DEVICES)
    rows = response.context["login_rows"]
    html = response.content.decode()

    assert [row["record"].browser for row in rows] == ["Firefox Mobile 133", "Chrome 131"]
    assert rows[0]["record"].new_device and not rows[1]["record"].new_device
    assert rows[0]["current"] and not rows[1]["current"]
    assert "New device" in html and "This session" in html
    assert "Vodafone Libertel B.V." in html and "198.51.100.0/24" in html
    assert ZIGGO_IP not in html


def test_the_history_is_paginated(member):
    now = timezone.now()
    LoginRecord.objects.bulk_create(
        [
            LoginRecord(member=member, created_at=now - timedelta(hours=n), browser=f"B {n}")
            for n in range(25)
        ]
    )
    browser = Client()
    browser.force_login(member)

    first = browser.get(DEVICES).context["login_rows"]
    second = browser.get(DEVICES + "?page=2").context["login_rows"]

    assert len(first) == 20 and len(second) == 6  # 25 + the force_login's own record
    assert first[1]["record"].browser == "B 0"


def test_a_member_ends_another_session_and_that_device_is_logged_out(member):
    laptop = log_in(CHROME_WINDOWS, KPN_IP)
    phone = log_in(SAFARI_IPHONE, IPV6_IP)
    phone_key = phone.session.session_key
    phone_session = UserSession.objects.get(session_key=phone_key)

    response = laptop.post("/account/devices/end/", {"session": phone_session.pk}, follow=True)

    assert "The session is ended" in response.content.decode()
    assert not UserSession.objects.filter(pk=phone_session.pk).exists()
    assert not Session.objects.filter(session_key=phone_key).exists()
    assert phone.get(DEVICES).status_code == 302  # logged out
    assert laptop.get(DEVICES).status_code == 200  # still logged in


def test_end_all_other_sessions(member):
    laptop = log_in(CHROME_WINDOWS, KPN_IP)
    phone = log_in(SAFARI_IPHONE, IPV6_IP)
    tablet = log_in(FIREFOX_ANDROID, ZIGGO_IP)

    page = laptop.get(DEVICES).content.decode()
    assert "End all 2 other sessions" in page
    laptop.post("/account/devices/end-others/")

    assert phone.get(DEVICES).status_code == 302
    assert tablet.get(DEVICES).status_code == 302
    assert laptop.get(DEVICES).status_code == 200
    assert UserSession.objects.filter(user=member).count() == 1


def test_ending_the_current_session_is_logging_out(member):
    laptop = log_in(CHROME_WINDOWS, KPN_IP)
    own = UserSession.objects.get(session_key=laptop.session.session_key)

    response = laptop.post("/account/devices/end/", {"session": own.pk})

    assert response.status_code == 302
    assert laptop.get(DEVICES).status_code == 302


def test_another_members_session_cannot_be_ended(member):
    bob = MemberFactory(username="bob")
    bobs_browser = log_in(CHROME_WINDOWS, KPN_IP, username="bob")
    bobs_session = UserSession.objects.get(user=bob)
    laptop = log_in(CHROME_WINDOWS, KPN_IP)

    response = laptop.post("/account/devices/end/", {"session": bobs_session.pk}, follow=True)

    assert "That session had already ended." in response.content.decode()
    assert UserSession.objects.filter(pk=bobs_session.pk).exists()
    assert bobs_browser.get(DEVICES).status_code == 200
    # Nothing of bob's shows on alice's page either.
    assert [row["record"].member_id for row in response.context["login_rows"]] == [member.pk]


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_a_missing_or_unknown_session_is_refused_politely(member, value):
    laptop = log_in(CHROME_WINDOWS, KPN_IP)

    response = laptop.post("/account/devices/end/", {"session": value}, follow=True)

    assert response.status_code == 200
    assert "That session had already ended." in response.content.decode()


def test_ending_needs_a_post(member):
    laptop = log_in(CHROME_WINDOWS, KPN_IP)
    assert laptop.get("/account/devices/end-others/").status_code == 405


def test_the_page_is_linked_from_the_account_menu_and_the_privacy_centre(member):
    laptop = log_in(CHROME_WINDOWS, KPN_IP)

    assert f'href="{DEVICES}"' in laptop.get("/accounts/email/").content.decode()
    assert f'href="{DEVICES}"' in laptop.get("/accounts/sessions/").content.decode()
    assert f'href="{DEVICES}"' in laptop.get("/privacy/me/").content.decode()


def test_logging_out_removes_the_session_from_the_list_at_once(member):
    laptop = log_in(CHROME_WINDOWS, KPN_IP)
    phone = log_in(SAFARI_IPHONE, IPV6_IP)
    phone_key = phone.session.session_key

    phone.post("/accounts/logout/")

    assert not UserSession.objects.filter(session_key=phone_key).exists()
    assert len(laptop.get(DEVICES).context["sessions"]) == 1
