"""Each log-in is recorded with time, IP address, device, system, browser and internet provider,
and a log-in from a new device is told to the member by mail (R6.1, ASVS 2.5.5)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.utils import timezone

from activity import logins
from activity.models import LoginRecord
from members.models import OutgoingMail
from tests.factories import PASSWORD, MemberFactory

from .conftest import (
    CHROME_WINDOWS,
    CHROME_WINDOWS_NEWER,
    FIREFOX_ANDROID,
    IPV6_IP,
    KPN_IP,
    SAFARI_IPHONE,
    ZIGGO_IP,
)

pytestmark = pytest.mark.django_db


def log_in(user_agent, ip, username="alice", **extra):
    """A browser logs in through the real allauth form; returns the client."""
    browser = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip, **extra)
    response = browser.post("/accounts/login/", {"login": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return browser


def new_device_mails(member):
    return OutgoingMail.objects.filter(member=member, kind=logins.NEW_DEVICE_MAIL_KIND)


def test_a_login_through_the_form_is_recorded(member, asn_database):
    browser = log_in(CHROME_WINDOWS, KPN_IP)

    record = LoginRecord.objects.get(member=member)
    assert record.ip_address == KPN_IP
    assert record.ip_truncated is False
    assert (record.device_type, record.operating_system, record.browser) == (
        "desktop",
        "Windows 10",
        "Chrome 131",
    )
    assert record.provider == "KPN B.V."
    # The session is named by a keyed digest: never the key that could log in.
    key = browser.session.session_key
    assert record.session_digest == logins.session_digest(key)
    assert key not in record.session_digest and len(record.session_digest) == 32
    assert record.new_device is False  # the first log-in: nothing to compare with


def test_ipv6_log_in_with_its_provider(member, asn_database):
    log_in(FIREFOX_ANDROID, IPV6_IP)

    record = LoginRecord.objects.get(member=member)
    assert record.ip_address == "2001:db8:1:2::5"
    assert record.provider == "Example IPv6 Provider"
    assert record.device_type == "mobile"


def test_without_an_asn_database_the_provider_stays_empty_and_login_works(member, settings):
    settings.ASN_DATABASE_PATH = ""
    log_in(CHROME_WINDOWS, KPN_IP)

    assert LoginRecord.objects.get(member=member).provider == ""


def test_behind_a_trusted_proxy_the_clients_address_is_recorded(member, asn_database, settings):
    """The same address allauth's session list shows: X-Forwarded-For, read as far as
    ALLAUTH_TRUSTED_PROXY_COUNT proxies are trusted."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    log_in(CHROME_WINDOWS, "10.0.0.2", HTTP_X_FORWARDED_FOR=f"1.1.1.1, {ZIGGO_IP}")

    record = LoginRecord.objects.get(member=member)
    assert record.ip_address == ZIGGO_IP
    assert record.provider == "Vodafone Libertel B.V."


def test_a_failed_login_records_nothing(member):
    browser = Client(HTTP_USER_AGENT=CHROME_WINDOWS)
    browser.post("/accounts/login/", {"login": "alice", "password": "wrong password"})

    assert not LoginRecord.objects.exists()


def test_a_new_device_is_told_by_mail_once(
    member, asn_database, django_capture_on_commit_callbacks
):
    log_in(CHROME_WINDOWS, KPN_IP)
    assert not new_device_mails(member).exists()  # the first log-in ever: no notice

    with django_capture_on_commit_callbacks(execute=True):
        log_in(SAFARI_IPHONE, IPV6_IP)

    record = LoginRecord.objects.filter(member=member).first()  # newest first
    assert record.new_device is True
    assert new_device_mails(member).count() == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["alice@example.org"]
    body = sent.body
    assert "iOS 17.6" in body and "Mobile Safari 17" in body
    assert "Example IPv6 Provider" in body
    assert "2001:db8:1::/48" in body
    assert IPV6_IP not in body and IPV6_IP not in sent.alternatives[0][0]  # never the full IP
    assert "/account/devices/" in body
    assert "/accounts/password/change/" in body

    # The same phone again, and the computer of the first log-in: known devices, no mail.
    log_in(SAFARI_IPHONE, IPV6_IP)
    log_in(CHROME_WINDOWS_NEWER, ZIGGO_IP)  # a browser update is no new device
    assert new_device_mails(member).count() == 1
    assert LoginRecord.objects.filter(member=member, new_device=True).count() == 1


def test_the_notice_is_in_the_members_language(asn_database):
    member = MemberFactory(username="anna", email="anna@example.org", language="en")
    log_in(CHROME_WINDOWS, KPN_IP, username="anna")
    log_in(FIREFOX_ANDROID, KPN_IP, username="anna")

    notice = new_device_mails(member).get()
    assert "new device" in notice.subject
    assert "Android 14" in notice.body_text
    assert "KPN B.V." in notice.body_text
    assert "192.0.2.0/24" in notice.body_text
    assert KPN_IP not in notice.body_text


def test_a_device_seen_only_before_the_retention_period_is_new_again(member, settings):
    """Only log-ins still kept count: one older than ACTIVITY_LOGIN_RETENTION_MONTHS does not
    make a device known (the retention task deletes it anyway)."""
    log_in(CHROME_WINDOWS, KPN_IP)
    LoginRecord.objects.filter(member=member).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    log_in(CHROME_WINDOWS, KPN_IP)

    assert LoginRecord.objects.filter(member=member).first().new_device is True
    assert new_device_mails(member).count() == 1


def test_no_notice_without_a_confirmed_address(asn_database):
    member = MemberFactory(username="bram", verified_email=False)
    logins.record_login(member=member, request=None)  # the first: an unknown device
    request = RequestFactory().get("/", HTTP_USER_AGENT=SAFARI_IPHONE, REMOTE_ADDR=KPN_IP)
    record = logins.record_login(member=member, request=request)

    assert record.new_device is True
    assert not new_device_mails(member).exists()


def test_a_failure_while_recording_does_not_stop_the_login(member, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("database trouble")

    monkeypatch.setattr(logins, "record_login", broken)
    browser = log_in(CHROME_WINDOWS, KPN_IP)

    assert browser.get("/account/devices/").status_code == 200
    assert "login.record_failed" in caplog.text
    assert "alice" not in caplog.text
