"""Affiliate partners and 24metrics (SPEC R6.2, R9.3; issue 10): a partner's click is remembered
and 24metrics checks a sign-up or purchase only for visitors and members who allowed affiliate
cookies, through one adapter that is switched off without its key. 24metrics is faked at the
HTTP level with `responses`: any request not registered there fails the test."""

import html
import json
import logging
import re
import time

import pytest
import requests
import responses
from django.core import signing
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from activity import partners, tasks
from activity.models import PartnerCheck
from payments.models import CreditPack, Order
from privacy import cookies, exports, registry
from privacy.models import ConsentPurpose
from privacy.services import has_consent, record_consent
from tests.factories import MemberFactory
from tests.helpers import signup

pytestmark = pytest.mark.django_db

METRICS_URL = "https://api.24metrics.example/v1/checks"
METRICS_KEY = "test-24metrics-key"
IP = "203.0.113.7"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
PARTNER_PAGE = "https://www.datingtips.example/best-sites?utm_source=list&user=42"
LANDING = "/?partner=datingtips&click=c1ick-42.A"


@pytest.fixture
def no_outside_http():
    """Nothing registered: any HTTP request made during the test fails it."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def metrics(settings, no_outside_http):
    """24metrics switched on, answering "ok" unless a test registers another answer."""
    settings.TWENTYFOUR_METRICS_URL = METRICS_URL
    settings.TWENTYFOUR_METRICS_API_KEY = METRICS_KEY
    no_outside_http.add(responses.POST, METRICS_URL, json={"verdict": "ok"})
    return no_outside_http


@pytest.fixture
def browser(committing_client):
    """A visitor's browser: its own IP address and user agent; Celery tasks queued on commit
    run as they would after a real commit (in-process here)."""
    committing_client.defaults.update(REMOTE_ADDR=IP, HTTP_USER_AGENT=USER_AGENT)
    return committing_client


def allow_affiliate(client, allowed: bool = True) -> None:
    """The visitor's choice in the consent cookie, as the cookie banner stores it."""
    client.cookies[cookies.CONSENT_COOKIE] = cookies.cookie_value({cookies.AFFILIATE: allowed})


def choose_on_cookie_page(client, *, affiliate: bool):
    """The cookie page's form (for a member also recorded in the consent ledger)."""
    response = client.post(
        reverse("privacy:cookie_choice"),
        {
            "choice": "save",
            "category": [cookies.AFFILIATE] if affiliate else [],
            "origin": "page",
            "next": "/",
        },
    )
    assert response.status_code == 302
    return response


def land(client, url=LANDING, referrer=PARTNER_PAGE):
    return client.get(url, HTTP_REFERER=referrer)


def start_checkout(client):
    pack = CreditPack.objects.get(name="Plus")
    response = client.post(reverse("payments:checkout"), {"pack": pack.pk, "method": "ideal"})
    assert response.status_code == 302
    return Order.objects.latest("pk")


def posted(rsps) -> list[dict]:
    return [json.loads(call.request.body) for call in rsps.calls]


# --- The landing -------------------------------------------------------------------------------


def test_a_partners_link_with_consent_is_remembered_in_a_signed_cookie(browser):
    """R6.2: partner, click code and the host name of the partner's page (not its path or
    query) in an HttpOnly, SameSite=Lax cookie for 30 days, signed so it cannot be forged."""
    allow_affiliate(browser)

    response = land(browser)

    assert response.status_code == 200
    cookie = response.cookies[cookies.AFFILIATE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == cookies.AFFILIATE_COOKIE_MAX_AGE == 30 * 24 * 3600
    assert cookie.value.startswith("datingtips|c1ick-42.A|www.datingtips.example:")
    assert "best-sites" not in cookie.value and "user=42" not in cookie.value
    request = RequestFactory().get("/")
    request.COOKIES[cookies.AFFILIATE_COOKIE] = cookie.value
    assert partners.click_from_cookie(request) == partners.AffiliateClick(
        "datingtips", "c1ick-42.A", "www.datingtips.example"
    )


def test_the_cookie_is_secure_in_production(browser, settings):
    settings.SESSION_COOKIE_SECURE = True
    allow_affiliate(browser)

    assert land(browser).cookies[cookies.AFFILIATE_COOKIE]["secure"]


@pytest.mark.parametrize("choice", [None, False], ids=["no choice yet", "refused"])
def test_without_consent_a_partners_link_stores_nothing(browser, choice):
    """R6.2: before a choice, or after refusing, the click is not remembered."""
    if choice is not None:
        allow_affiliate(browser, allowed=choice)

    response = land(browser)

    assert response.status_code == 200
    assert cookies.AFFILIATE_COOKIE not in response.cookies


@pytest.mark.parametrize(
    "query",
    [
        "partner=datingtips",  # no click
        "click=abc",  # no partner
        "partner=data tips&click=abc",
        "partner=datingtips&click=<script>",
        "partner=datingtips&click=a|b",
        f"partner={'p' * 41}&click=abc",
        f"partner=datingtips&click={'c' * 65}",
    ],
)
def test_a_malformed_partners_link_is_ignored(browser, query):
    allow_affiliate(browser)

    response = land(browser, url=f"/?{query}")

    assert response.status_code == 200
    assert cookies.AFFILIATE_COOKIE not in response.cookies


def test_a_referrer_on_this_site_itself_is_not_recorded(browser):
    """Accepting cookies on the banner sends the visitor back to the partner's link from this
    site: the click is still remembered, without a referrer."""
    allow_affiliate(browser)

    response = land(browser, referrer="http://testserver/privacy/")

    assert response.cookies[cookies.AFFILIATE_COOKIE].value.startswith("datingtips|c1ick-42.A|:")


# --- Sign-up and checkout ------------------------------------------------------------------------


def test_a_signup_through_a_partners_link_is_checked_once_by_24metrics(browser, metrics):
    """R6.2: with consent, 24metrics gets the click's IP address, user agent and referrer host
    with the partner and click code, through the real sign-up form; the site keeps only the
    partner, the click code and the verdict."""
    allow_affiliate(browser)
    land(browser)

    member = signup(browser)

    assert len(metrics.calls) == 1
    call = metrics.calls[0]
    assert call.request.method == "POST"
    assert call.request.headers["X-Api-Key"] == METRICS_KEY
    assert json.loads(call.request.body) == {
        "event": "signup",
        "click_id": "c1ick-42.A",
        "partner": "datingtips",
        "ip": IP,
        "user_agent": USER_AGENT,
        "referrer": "www.datingtips.example",
        "reference": "",
    }
    check = PartnerCheck.objects.get()
    assert (check.member, check.event, check.partner, check.click_id) == (
        member,
        "signup",
        "datingtips",
        "c1ick-42.A",
    )
    assert (check.status, check.verdict) == (PartnerCheck.Status.SENT, "ok")
    stored = " ".join(str(value) for value in PartnerCheck.objects.values().get().values())
    assert IP not in stored and "Firefox" not in stored and "datingtips.example" not in stored


def test_starting_a_checkout_is_checked_with_the_orders_reference(browser, metrics):
    """R6.2: a member who allowed it and came through a partner's link: 24metrics checks the
    purchase when the order is created, with the order's public reference."""
    member = MemberFactory()
    browser.force_login(member)
    choose_on_cookie_page(browser, affiliate=True)
    assert has_consent(member=member, purpose=ConsentPurpose.OTHER_COOKIES)
    land(browser)

    order = start_checkout(browser)

    assert posted(metrics) == [
        {
            "event": "purchase",
            "click_id": "c1ick-42.A",
            "partner": "datingtips",
            "ip": IP,
            "user_agent": USER_AGENT,
            "referrer": "www.datingtips.example",
            "reference": order.public_id,
        }
    ]
    check = PartnerCheck.objects.get(member=member)
    assert (check.event, check.reference, check.status) == ("purchase", order.public_id, "sent")


def test_without_the_key_nothing_is_sent(browser, no_outside_http, settings):
    """Switched off by default: no HTTP at all; the partner's sign-up is recorded as not
    checked."""
    assert not settings.TWENTYFOUR_METRICS_API_KEY and not settings.TWENTYFOUR_METRICS_URL
    allow_affiliate(browser)
    land(browser)

    signup(browser)

    assert len(no_outside_http.calls) == 0
    assert PartnerCheck.objects.get().status == PartnerCheck.Status.SKIPPED
    assert partners.check(
        event="signup", ip=IP, user_agent="x", referrer="", partner="p", click_id="c"
    ) == partners.Verdict(PartnerCheck.Status.SKIPPED)


def test_the_check_never_runs_in_the_request_itself(
    client, metrics, django_capture_on_commit_callbacks
):
    """The request only queues the task on commit; 24metrics is called after the commit."""
    allow_affiliate(client)
    land(client)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        signup(client)
    assert len(metrics.calls) == 0 and not PartnerCheck.objects.exists()

    for callback in queued:
        callback()
    assert len(metrics.calls) == 1 and PartnerCheck.objects.count() == 1


def test_a_signup_without_a_partners_link_is_not_checked(browser, metrics):
    allow_affiliate(browser)

    signup(browser)

    assert len(metrics.calls) == 0 and not PartnerCheck.objects.exists()


def test_refusing_after_landing_stops_the_check(browser, metrics):
    """R9.3: a visitor who allowed it, came through a link, then refused: nothing is sent at
    sign-up, though the old cookie is still in the browser."""
    allow_affiliate(browser)
    land(browser)
    allow_affiliate(browser, allowed=False)

    signup(browser)

    assert len(metrics.calls) == 0 and not PartnerCheck.objects.exists()


def test_a_member_withdrawing_on_the_consents_page_stops_further_checks(browser, metrics):
    """R9.3: the member withdraws the consent for other cookies on the consents page: the
    affiliate cookie is deleted and the next purchase is not checked."""
    member = MemberFactory()
    browser.force_login(member)
    choose_on_cookie_page(browser, affiliate=True)
    land(browser)
    start_checkout(browser)
    assert len(metrics.calls) == 1

    response = browser.post(
        reverse("privacy:consents"),
        {"purpose": ConsentPurpose.OTHER_COOKIES, "action": "withdraw"},
    )
    assert response.cookies[cookies.AFFILIATE_COOKIE]["max-age"] == 0  # deleted
    start_checkout(browser)

    assert len(metrics.calls) == 1
    assert PartnerCheck.objects.filter(member=member).count() == 1


def test_the_ledger_follows_the_member_to_a_browser_with_the_old_cookie(browser, metrics):
    """R9.3: withdrawn in the ledger (on another device); this browser still holds the consent
    cookie with affiliate allowed and the click: no check, and the click cookie is deleted."""
    member = MemberFactory()
    browser.force_login(member)
    choose_on_cookie_page(browser, affiliate=True)
    land(browser)
    record_consent(  # as the consents page on the other device records it
        member=member,
        purpose=ConsentPurpose.OTHER_COOKIES,
        granted=False,
        wording_version=cookies.policy_version(),
        source="consents page",
    )

    response = browser.get("/")
    start_checkout(browser)

    assert response.cookies[cookies.AFFILIATE_COOKIE]["max-age"] == 0
    assert len(metrics.calls) == 0 and not PartnerCheck.objects.exists()


def test_a_visitor_refusing_on_the_cookie_page_loses_the_click(browser, metrics):
    """R9.3: the cookie page's refusal deletes the affiliate cookie; the sign-up is not
    checked."""
    choose_on_cookie_page(browser, affiliate=True)
    land(browser)

    response = choose_on_cookie_page(browser, affiliate=False)
    signup(browser)

    assert response.cookies[cookies.AFFILIATE_COOKIE]["max-age"] == 0
    assert len(metrics.calls) == 0 and not PartnerCheck.objects.exists()


def test_accepting_on_the_banner_right_after_landing_still_records_the_click(browser, metrics):
    """R6.2: the banner's "Accept all" sends the visitor back to the partner's link, query and
    all, and the click is remembered then (the referrer is this site by then: not sent)."""
    page = land(browser).content.decode()
    assert cookies.AFFILIATE_COOKIE not in browser.cookies
    back_to = html.unescape(re.search(r'name="next" value="([^"]*)"', page)[1])
    assert back_to == LANDING

    accepted = browser.post(
        reverse("privacy:cookie_choice"), {"choice": "accept", "origin": "banner", "next": back_to}
    )
    assert accepted.status_code == 302 and accepted["Location"] == LANDING
    again = browser.get(accepted["Location"], HTTP_REFERER=f"http://testserver{LANDING}")
    assert cookies.AFFILIATE_COOKIE in again.cookies

    signup(browser)

    assert posted(metrics) == [
        {
            "event": "signup",
            "click_id": "c1ick-42.A",
            "partner": "datingtips",
            "ip": IP,
            "user_agent": USER_AGENT,
            "referrer": "",
            "reference": "",
        }
    ]


def signed(value: str, salt: str = partners.COOKIE_SALT) -> str:
    response = HttpResponse()
    response.set_signed_cookie(cookies.AFFILIATE_COOKIE, value, salt=salt)
    return response.cookies[cookies.AFFILIATE_COOKIE].value


@pytest.mark.parametrize(
    "forged",
    [
        lambda: "datingtips|c1ick-42.A|www.datingtips.example",
        lambda: signed("datingtips|c1ick-42.A|", salt="another salt"),
        lambda: signed("datingtips|c1ick-42.A|").replace("datingtips", "evilpartner"),
        lambda: signed("datingtips|<script>|"),  # ours, yet malformed: still not trusted
    ],
    ids=["unsigned", "other salt", "tampered", "malformed"],
)
def test_a_forged_affiliate_cookie_is_ignored(browser, metrics, forged):
    allow_affiliate(browser)
    browser.cookies[cookies.AFFILIATE_COOKIE] = forged()

    signup(browser)

    assert len(metrics.calls) == 0 and not PartnerCheck.objects.exists()


def test_an_expired_affiliate_cookie_is_ignored(browser, metrics, monkeypatch):
    """30 days: the signature carries its time, so a cookie kept longer by the browser does
    not count."""
    signed_31_days_ago = signing.b62_encode(int(time.time()) - 31 * 24 * 3600)
    allow_affiliate(browser)
    with monkeypatch.context() as patch:
        patch.setattr(signing.TimestampSigner, "timestamp", lambda self: signed_31_days_ago)
        land(browser)
    assert browser.cookies[cookies.AFFILIATE_COOKIE].value

    signup(browser)

    assert len(metrics.calls) == 0 and not PartnerCheck.objects.exists()


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 503, "json": {"error": "unavailable"}},
        {"body": requests.ConnectTimeout("timed out")},
        {"status": 200, "body": "<html>not json</html>"},
        {"status": 200, "json": {"result": "ok"}},
    ],
    ids=["5xx", "timeout", "not json", "no verdict"],
)
def test_when_24metrics_fails_the_page_works_and_the_check_is_recorded_failed(
    browser, metrics, answer, caplog
):
    """A failing 24metrics never reaches the member: the sign-up goes on, the check is
    recorded as failed, and the log holds none of the data sent."""
    metrics.replace(responses.POST, METRICS_URL, **answer)
    allow_affiliate(browser)
    land(browser)

    with caplog.at_level(logging.INFO):
        member = signup(browser)  # asserts the usual redirect

    check = PartnerCheck.objects.get(member=member)
    assert (check.status, check.verdict) == (PartnerCheck.Status.FAILED, "")
    assert "partners.check_failed" in caplog.text
    for secret in (IP, USER_AGENT, "c1ick-42.A", "datingtips.example"):
        assert secret not in caplog.text


def test_the_task_run_twice_checks_once(metrics, member):
    """A retried task (or a double submit) finds the PartnerCheck and sends nothing more."""
    captured = {
        "partner": "datingtips",
        "click_id": "c1",
        "referrer": "",
        "ip": IP,
        "user_agent": USER_AGENT,
    }
    tasks.check_partner_click(member.pk, "purchase", "ORDER1", captured)
    tasks.check_partner_click(member.pk, "purchase", "ORDER1", captured)

    assert len(metrics.calls) == 1
    assert PartnerCheck.objects.filter(member=member).count() == 1


def test_the_task_for_an_erased_member_does_nothing(metrics):
    tasks.check_partner_click(999999, "signup", "", {"partner": "p", "click_id": "c"})

    assert len(metrics.calls) == 0 and not PartnerCheck.objects.exists()


# --- Personal data -----------------------------------------------------------------------------


def test_partner_checks_are_in_the_export_and_gone_after_erasure(member):
    """R7.3, R7.4: the member's export lists each check, every field documented; erasure
    removes them."""
    other = MemberFactory()
    PartnerCheck.objects.create(
        member=member,
        event="purchase",
        partner="datingtips",
        click_id="c1",
        reference="ORDER1",
        status=PartnerCheck.Status.SENT,
        verdict="ok",
    )
    PartnerCheck.objects.create(member=other, event="signup", partner="x", status="skipped")

    entry = registry.entry_for(PartnerCheck)
    assert entry.purpose == "partner_checks" and entry.basis == registry.Basis.CONSENT
    rows = registry.export_member(member)["activity.partnercheck"]
    assert [(r["partner"], r["reference"], r["verdict"]) for r in rows] == [
        ("datingtips", "ORDER1", "ok")
    ]
    assert all(exports.field_description("activity.partnercheck", key) for key in rows[0])

    registry.erase_member_data(member)

    assert not PartnerCheck.objects.filter(member_id=member.pk).exists()
    assert PartnerCheck.objects.filter(member=other).exists()


@pytest.mark.django_db
def test_a_check_queued_before_a_withdrawal_sends_nothing(metrics, settings):
    """R9.3: consent withdrawn (on another device, say) between the request and the task: the
    task asks the ledger again and 24metrics gets nothing."""
    member = MemberFactory()
    record_consent(
        member=member,
        purpose=ConsentPurpose.OTHER_COOKIES,
        granted=False,
        wording_version=settings.COOKIE_POLICY_VERSION,
        source="consents page",
    )
    result = partners.run_check(
        member_id=member.pk,
        event=PartnerCheck.Event.SIGNUP,
        reference="",
        partner="datingtips",
        click_id="c1",
        referrer="partner.example",
        ip="192.0.2.1",
        user_agent="Mozilla/5.0",
    )
    assert result is None
    assert len(metrics.calls) == 0
    assert not PartnerCheck.objects.filter(member=member).exists()
