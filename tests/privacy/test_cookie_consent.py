"""Cookie consent and Google Analytics (SPEC R6.2, issue 10): the banner asks on every page
until a choice is saved, accepting and refusing alike; the choice lives in a first-party cookie
and, for members, in the consent ledger under the cookie policy version; withdrawing expires
the cookies it had allowed; Google Analytics loads only with an id and consent, with the CSP
nonce, opens the CSP on those responses alone, and never sees a URL."""

import json
import re

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import path, reverse

from members.models import Member
from privacy import cookies
from privacy.models import ConsentRecord
from privacy.services import grant_consent
from tests.profiles.test_search import person

pytestmark = pytest.mark.django_db

COOKIE_PAGE = reverse("privacy:cookies")
CHOICE = reverse("privacy:cookie_choice")
CONSENTS = reverse("privacy:consents")
GA_ID = "G-TEST123"
GA_SCRIPT = f"https://www.googletagmanager.com/gtag/js?id={GA_ID}"
ACCEPTED = "v=2026-11|analytics=1|affiliate=1"
REFUSED = "v=2026-11|analytics=0|affiliate=0"


@pytest.fixture
def visitor(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def alice_client(member_client):
    member_client.cookies["django_language"] = "en"
    return member_client


def has_banner(response) -> bool:
    return 'id="cookie-banner"' in response.content.decode()


def banner_html(response) -> str:
    html = response.content.decode()
    return re.search(r'<section class="cookie-banner".*?</section>', html, re.S)[0]


def ga_settings(response) -> dict | None:
    match = re.search(
        r'<script id="google-analytics-settings" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match[1]) if match else None


def choose(client, choice, next_="/terms/", origin="banner", **extra):
    return client.post(CHOICE, {"choice": choice, "next": next_, "origin": origin, **extra})


def ledger(member) -> list[tuple]:
    return [
        (r.purpose, r.granted, r.wording_version, r.source)
        for r in ConsentRecord.objects.filter(member=member).order_by("created_at", "pk")
    ]


# --- The banner ---------------------------------------------------------------------------------


def test_a_first_visit_gets_the_banner_with_three_equal_choices_and_who_gets_what(visitor):
    """R6.2: on the first layer who processes what and why, and accept, refuse and choose as
    three buttons of one look; no ticked boxes; the page itself is all there (no wall)."""
    response = visitor.get("/")

    assert response.status_code == 200
    banner = banner_html(response)
    assert 'aria-labelledby="cookie-banner-title"' in banner
    assert 'role="dialog"' not in banner and "aria-modal" not in banner
    for category in cookies.CATEGORIES.values():
        assert str(category.processors) in banner
        assert str(category.description).replace("'", "&#x27;") in banner
    buttons = re.findall(r"<button([^>]*)>([^<]*)</button>", banner)
    assert [label for _attributes, label in buttons] == ["Accept all", "Refuse all", "Choose"]
    looks = {re.sub(r'value="\w+"', "", attributes) for attributes, _label in buttons}
    assert len(looks) == 1, looks
    assert "checkbox" not in banner
    assert '<main id="main"' in response.content.decode()


@pytest.mark.parametrize("page", ["/", "/terms/", "/privacy/", "/accounts/login/"])
def test_the_banner_is_on_every_page_until_a_choice_and_a_footer_link_reopens_it(visitor, page):
    response = visitor.get(page)
    assert has_banner(response)
    assert f'<a href="{COOKIE_PAGE}">Cookie settings</a>' in response.content.decode()

    choose(visitor, "refuse")

    response = visitor.get(page)
    assert not has_banner(response)
    assert f'<a href="{COOKIE_PAGE}">Cookie settings</a>' in response.content.decode()


def test_accept_all_with_a_plain_form_post_sets_the_consent_cookie_and_goes_back(visitor):
    response = choose(visitor, "accept")

    assert response.status_code == 302 and response["Location"] == "/terms/"
    cookie = response.cookies[cookies.CONSENT_COOKIE]
    assert cookie.value == ACCEPTED
    assert cookie["max-age"] == 365 * 24 * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert not cookie["domain"]  # first-party, this host only
    assert not has_banner(visitor.get("/terms/"))


def test_refuse_all_is_as_easy_and_the_site_stays_usable(visitor):
    response = choose(visitor, "refuse", next_="/accounts/signup/")

    assert response["Location"] == "/accounts/signup/"
    assert response.cookies[cookies.CONSENT_COOKIE].value == REFUSED
    page = visitor.get("/accounts/signup/")
    assert page.status_code == 200 and not has_banner(page)
    assert 'name="username"' in page.content.decode()


def test_choose_opens_the_cookie_page_with_unticked_boxes_and_saves_per_category(visitor):
    response = choose(visitor, "choose")

    assert response["Location"] == f"{COOKIE_PAGE}?next=%2Fterms%2F"
    assert cookies.CONSENT_COOKIE not in response.cookies
    page = visitor.get(response["Location"])
    html = page.content.decode()
    boxes = re.findall(r'<input type="checkbox"[^>]*>', html)
    assert len(boxes) == len(cookies.OPTIONAL_CATEGORIES)
    assert not any("checked" in box for box in boxes)
    assert not has_banner(page)  # the page is the full form itself
    assert '<input type="hidden" name="next" value="/terms/">' in html

    response = choose(visitor, "save", origin="page", category=["analytics"])

    assert response["Location"] == "/terms/"
    assert response.cookies[cookies.CONSENT_COOKIE].value == "v=2026-11|analytics=1|affiliate=0"
    html = visitor.get(COOKIE_PAGE).content.decode()
    assert re.search(r'<input type="checkbox" name="category" value="analytics"[^>]*checked>', html)
    assert not re.search(r'value="affiliate"[^>]* checked', html)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""]
)
def test_an_unsafe_next_is_refused(visitor, target):
    response = choose(visitor, "accept", next_=target)
    assert response["Location"] == "/"
    response = choose(visitor, "choose", next_=target)
    assert response["Location"] == f"{COOKIE_PAGE}?next=%2F"


def test_an_unknown_choice_saves_nothing(visitor):
    response = visitor.post(CHOICE, {"choice": "everything", "next": "/"})
    assert response["Location"] == COOKIE_PAGE
    assert cookies.CONSENT_COOKIE not in response.cookies
    response = visitor.post(CHOICE, {"choice": "save", "category": ["tracking"]})
    assert cookies.CONSENT_COOKIE not in response.cookies
    assert visitor.get(CHOICE).status_code == 405


def test_the_cookie_page_is_generated_from_the_declaration(visitor):
    """Every declared cookie with its purpose, lifetime and party, per category; the privacy
    statement links to the page."""
    html = visitor.get(COOKIE_PAGE).content.decode()

    for key in cookies.CATEGORIES:
        table = re.search(
            rf'<table class="cookie-table" aria-labelledby="cookies-{key}">.*?</table>', html, re.S
        )[0]
        for cookie in cookies.cookies_of(key):
            name = re.escape(cookie.name)
            row = re.search(rf"<tr>\s*<td><code>{name}</code></td>.*?</tr>", table, re.S)[0]
            for text in (cookie.purpose, cookie.lifetime, cookie.party):
                assert str(text).replace("'", "&#x27;").replace('"', "&quot;") in row
    assert sum(len(cookies.cookies_of(key)) for key in cookies.CATEGORIES) == len(cookies.COOKIES)
    assert f'href="{COOKIE_PAGE}"' in visitor.get(reverse("privacy:statement")).content.decode()


# --- Members: the consent ledger ------------------------------------------------------------


def test_a_members_choice_is_recorded_in_the_ledger_with_version_and_source(alice_client, member):
    choose(alice_client, "accept")
    assert ledger(member) == [
        ("analytics_cookies", True, "2026-11", "cookie banner"),
        ("other_cookies", True, "2026-11", "cookie banner"),
    ]

    # The cookie page records only what changed.
    choose(alice_client, "save", origin="page", category=["analytics"])
    assert ledger(member)[2:] == [("other_cookies", False, "2026-11", "cookie page")]
    html = alice_client.get(CONSENTS).content.decode()
    assert "on the cookie settings page (wording version 2026-11)" in html


def test_the_choice_follows_the_member_to_a_fresh_browser(alice_client, member, settings):
    settings.GA_MEASUREMENT_ID = GA_ID
    choose(alice_client, "accept")

    elsewhere = Client()
    assert has_banner(elsewhere.get("/"))  # not logged in there: nothing known yet
    elsewhere.force_login(member)
    response = elsewhere.get("/")

    assert not has_banner(response)
    assert ga_settings(response)["id"] == GA_ID


def test_a_choice_made_before_logging_in_becomes_the_members_answer(visitor, member):
    choose(visitor, "refuse")
    visitor.force_login(member)

    assert not has_banner(visitor.get("/"))
    assert ledger(member) == [
        ("analytics_cookies", False, "2026-11", "cookie banner"),
        ("other_cookies", False, "2026-11", "cookie banner"),
    ]
    visitor.get("/terms/")
    assert len(ledger(member)) == 2  # recorded once


def test_for_a_member_the_ledger_wins_over_this_browsers_cookie(visitor, member, settings):
    settings.GA_MEASUREMENT_ID = GA_ID
    for purpose in ("analytics_cookies", "other_cookies"):
        grant_consent(member=member, purpose=purpose, wording_version="2026-11", source="test")
    visitor.cookies[cookies.CONSENT_COOKIE] = REFUSED
    visitor.force_login(member)

    assert ga_settings(visitor.get("/"))["id"] == GA_ID


def test_a_member_costs_one_small_query_for_the_choice(alice_client, member, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.GA_MEASUREMENT_ID = GA_ID
    alice_client.get("/")
    with CaptureQueriesContext(connection) as queries:
        alice_client.get("/")
    cookie_queries = [q["sql"] for q in queries.captured_queries if "other_cookies" in q["sql"]]
    assert len(cookie_queries) == 1, cookie_queries
    assert "DISTINCT ON" in cookie_queries[0]


# --- Withdrawing, and a new policy version --------------------------------------------------


def expired(response, name) -> bool:
    morsel = response.cookies.get(name)
    return (
        morsel is not None
        and cookies.is_deletion(morsel)
        and morsel["path"] == "/"
        and not morsel["domain"]
    )


def test_refusing_expires_the_cookies_it_had_allowed(visitor):
    visitor.cookies[cookies.CONSENT_COOKIE] = ACCEPTED
    for name in ("_ga", "_ga_TEST123", "_ga_OTHER9", cookies.AFFILIATE_COOKIE):
        visitor.cookies[name] = "1"

    response = choose(visitor, "refuse")

    for name in ("_ga", "_ga_TEST123", "_ga_OTHER9", cookies.AFFILIATE_COOKIE):
        assert expired(response, name), name
    assert response.cookies[cookies.CONSENT_COOKIE].value == REFUSED
    assert not expired(response, "sessionid") and not expired(response, "django_language")


def test_withdrawing_one_category_expires_only_its_cookies(visitor):
    visitor.cookies[cookies.CONSENT_COOKIE] = ACCEPTED
    visitor.cookies["_ga"] = "1"
    visitor.cookies[cookies.AFFILIATE_COOKIE] = "1"

    response = choose(visitor, "save", origin="page", category=["affiliate"])

    assert expired(response, "_ga")
    assert cookies.AFFILIATE_COOKIE not in response.cookies


def test_any_page_expires_cookies_the_choice_does_not_allow(visitor):
    """Also without a click: a browser that kept `_ga` after refusing, or before choosing."""
    visitor.cookies["_ga"] = "1"
    assert expired(visitor.get("/terms/"), "_ga")

    visitor.cookies[cookies.CONSENT_COOKIE] = ACCEPTED
    visitor.cookies["_ga"] = "1"
    assert "_ga" not in visitor.get("/terms/").cookies


def test_a_new_policy_version_asks_again(visitor, member, settings):
    settings.GA_MEASUREMENT_ID = GA_ID
    choose(visitor, "accept")
    visitor.cookies["_ga"] = "1"
    assert not has_banner(visitor.get("/"))

    settings.COOKIE_POLICY_VERSION = "2027-01"

    response = visitor.get("/")
    assert has_banner(response)
    assert ga_settings(response) is None
    assert expired(response, "_ga")

    # A member's answers under the old version count no more either; the same answer given
    # again is recorded again, under the new version.
    settings.COOKIE_POLICY_VERSION = "2026-11"
    for purpose in ("analytics_cookies", "other_cookies"):
        grant_consent(member=member, purpose=purpose, wording_version="2026-11", source="test")
    member_client = Client()
    member_client.force_login(member)
    assert not has_banner(member_client.get("/"))
    settings.COOKIE_POLICY_VERSION = "2027-01"
    assert has_banner(member_client.get("/"))
    choose(member_client, "accept")
    assert [row[:3] for row in ledger(member)[2:]] == [
        ("analytics_cookies", True, "2027-01"),
        ("other_cookies", True, "2027-01"),
    ]
    assert not has_banner(member_client.get("/"))


# --- The consents page stays in sync --------------------------------------------------------


def test_the_consents_page_gives_and_withdraws_the_same_consents(alice_client, member):
    response = alice_client.post(CONSENTS, {"purpose": "analytics_cookies", "action": "give"})

    assert ledger(member) == [("analytics_cookies", True, "2026-11", "consents page")]
    # Only one of two answered: analytics counts, the banner still asks about the rest.
    assert cookies.CONSENT_COOKIE not in response.cookies
    page = alice_client.get("/")
    assert has_banner(page)

    response = alice_client.post(CONSENTS, {"purpose": "other_cookies", "action": "give"})
    assert response.cookies[cookies.CONSENT_COOKIE].value == ACCEPTED
    assert not has_banner(alice_client.get("/"))

    alice_client.cookies["_ga"] = "1"
    response = alice_client.post(CONSENTS, {"purpose": "analytics_cookies", "action": "withdraw"})
    assert expired(response, "_ga")
    assert response.cookies[cookies.CONSENT_COOKIE].value == "v=2026-11|analytics=0|affiliate=1"
    assert ledger(member)[-1] == ("analytics_cookies", False, "2026-11", "consents page")


def test_the_consents_page_shows_a_banner_choice_and_not_an_outdated_one(
    alice_client, member, settings
):
    choose(alice_client, "accept")
    html = alice_client.get(CONSENTS).content.decode()
    assert re.search(r'id="consent-analytics_cookies-state">.*?On', html, re.S)
    assert "with the cookie banner" in html
    assert "Affiliate partners and fraud checks" in html

    settings.COOKIE_POLICY_VERSION = "2027-01"
    html = alice_client.get(CONSENTS).content.decode()
    state = re.search(r'id="consent-analytics_cookies-state">(.*?)</p>', html, re.S)[1]
    assert "Off" in state


# --- Google Analytics -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measurement_id", "consent", "loads"),
    [
        ("", ACCEPTED, False),
        (GA_ID, None, False),
        (GA_ID, REFUSED, False),
        (GA_ID, "v=2026-11|analytics=0|affiliate=1", False),
        (GA_ID, "v=2025-01|analytics=1|affiliate=1", False),
        (GA_ID, ACCEPTED, True),
    ],
)
def test_google_analytics_loads_only_with_an_id_and_consent(
    visitor, settings, measurement_id, consent, loads
):
    settings.GA_MEASUREMENT_ID = measurement_id
    if consent:
        visitor.cookies[cookies.CONSENT_COOKIE] = consent

    response = visitor.get("/")

    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert ("googletagmanager.com" in html) is loads
    assert ("googletagmanager.com" in policy) is loads
    assert ("google-analytics.com" in policy) is loads
    if loads:
        nonce = re.search(r"'nonce-([^']+)'", policy)[1]
        assert f'<script async src="{GA_SCRIPT}" nonce="{nonce}"></script>' in html
        assert re.search(rf'<script nonce="{re.escape(nonce)}">\s*\(function', html)
        config = ga_settings(response)["config"]
        assert config["allow_google_signals"] is False
        assert config["allow_ad_personalization_signals"] is False
        assert config["cookie_domain"] == "none"
        assert config["cookie_expires"] == 395 * 24 * 3600
        assert 'ad_storage: "denied"' in html and 'analytics_storage: "granted"' in html
        assert 'ad_user_data: "denied"' in html and 'ad_personalization: "denied"' in html


def test_other_responses_keep_the_strict_csp_even_with_consent(visitor, settings):
    """Only pages that load the tag get Google's hosts: not the redirect of saving a choice,
    nor a page that does not render the site's layout."""
    settings.GA_MEASUREMENT_ID = GA_ID
    visitor.cookies[cookies.CONSENT_COOKIE] = ACCEPTED
    response = choose(visitor, "accept")
    assert "google" not in response.get("Content-Security-Policy", "")
    response = visitor.get("/healthz")
    assert "google" not in response.get("Content-Security-Policy", "")


def test_google_analytics_gets_the_route_name_never_the_url(client, settings):
    """A profile page's URL names the member, a search URL its filters: Google gets the route's
    name for the page, the title and the referrer."""
    settings.GA_MEASUREMENT_ID = GA_ID
    viewer = person("viewer", gender=Member.Gender.MAN)
    bram = person("bramvandijk")
    client.force_login(viewer)
    client.cookies[cookies.CONSENT_COOKIE] = ACCEPTED
    profile_url = reverse("profiles:profile", args=[bram.public_id])
    search_url = reverse("profiles:search") + "?seeks=bisexual-women&place=Utrecht"

    response = client.get(profile_url, HTTP_REFERER=f"http://testserver{search_url}")

    assert "bramvandijk" in response.content.decode()  # the page itself names him
    ga = ga_settings(response)
    sent = json.dumps(ga)
    for secret in ("bramvandijk", bram.public_id, "bisexual", "Utrecht", "?"):
        assert secret not in sent, secret
    assert ga["config"]["page_location"] == "http://testserver/profiles:profile"
    assert ga["config"]["page_title"] == "/profiles:profile"
    assert ga["config"]["page_referrer"] == "http://testserver/profiles:search"
    assert ga["page"] == {k: ga["config"][k] for k in ga["page"]}

    response = client.get(search_url, HTTP_REFERER="https://www.example.com/some/secret?page=1")
    assert ga_settings(response)["config"]["page_referrer"] == "https://www.example.com/"
    assert "secret" not in json.dumps(ga_settings(response))


# --- The cookie declaration check ------------------------------------------------------------


def sets(name, value="1"):
    def view(request):
        response = HttpResponse("ok")
        response.set_cookie(name, value)
        return response

    return view


urlpatterns = [
    path("undeclared/", sets("tracker")),
    path("affiliate/", sets(cookies.AFFILIATE_COOKIE)),
    path("language/", sets("django_language", "en")),
]


def request_with(consent=None, user=None):
    request = RequestFactory().get("/x/")
    if consent:
        request.COOKIES[cookies.CONSENT_COOKIE] = consent
    if user is not None:
        request.user = user
    return request


def test_the_check_reports_an_undeclared_cookie():
    request = request_with()
    problems = cookies.undeclared_or_unconsented(request, sets("tracker")(request))
    assert len(problems) == 1 and "'tracker'" in problems[0] and "not declared" in problems[0]


def test_the_check_reports_an_optional_cookie_without_consent_and_allows_it_with():
    view = sets(cookies.AFFILIATE_COOKIE)
    problems = cookies.undeclared_or_unconsented(request_with(), view(request_with()))
    assert len(problems) == 1 and "without consent" in problems[0]
    refused = request_with(REFUSED)
    assert cookies.undeclared_or_unconsented(refused, view(refused))
    old_version = request_with("v=2025-01|analytics=1|affiliate=1")
    assert cookies.undeclared_or_unconsented(old_version, view(old_version))

    accepted = request_with(ACCEPTED)
    assert cookies.undeclared_or_unconsented(accepted, view(accepted)) == []


def test_the_check_counts_the_choice_the_response_saves_and_ignores_expiries():
    request = request_with(REFUSED)
    response = HttpResponse()
    response.set_cookie(cookies.CONSENT_COOKIE, ACCEPTED)
    response.set_cookie("_ga_ABC", "1")
    response.delete_cookie("tracker")
    assert cookies.undeclared_or_unconsented(request, response) == []


def test_the_check_reads_a_members_ledger(member):
    request = request_with(user=member)
    view = sets(cookies.AFFILIATE_COOKIE)
    assert cookies.undeclared_or_unconsented(request, view(request))
    grant_consent(member=member, purpose="other_cookies", wording_version="2026-11", source="t")
    request = request_with(user=member)
    assert cookies.undeclared_or_unconsented(request, view(request)) == []


def test_the_middleware_drops_an_optional_cookie_set_without_consent():
    """Defence in depth: a bug elsewhere cannot give the browser such a cookie, and the check
    still reports it."""
    from privacy.cookie_middleware import CookieConsentMiddleware

    middleware = CookieConsentMiddleware(sets(cookies.AFFILIATE_COOKIE))
    request = request_with(REFUSED)
    response = middleware(request)
    assert cookies.AFFILIATE_COOKIE not in response.cookies
    assert "without consent" in cookies.undeclared_or_unconsented(request, response)[0]

    request = request_with(ACCEPTED)
    response = middleware(request)
    assert response.cookies[cookies.AFFILIATE_COOKIE].value == "1"
    assert cookies.undeclared_or_unconsented(request, response) == []


@pytest.mark.urls(__name__)
def test_the_suite_fails_a_request_that_sets_such_a_cookie(client):
    """The autouse fixture in tests/conftest.py runs the check on every test-client response."""
    with pytest.raises(AssertionError, match="'tracker'.*not declared"):
        client.get("/undeclared/")
    with pytest.raises(AssertionError, match="without consent"):
        client.get("/affiliate/")
    assert client.get("/language/").status_code == 200
    client.cookies[cookies.CONSENT_COOKIE] = ACCEPTED
    assert client.get("/affiliate/").status_code == 200
