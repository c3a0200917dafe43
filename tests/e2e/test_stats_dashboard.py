"""The statistics dashboard in a real browser (issue 10, R8.3): a Management worker with
two-factor sees the charts, drawn with no script and no request to another host, and the page
passes axe's WCAG 2.2 A/AA rules in nl and en."""

import os
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from .conftest import LANGUAGES, log_in, make_member
from .test_accessibility import assert_language, axe_report
from .test_signup_journey import fresh_totp

pytestmark = pytest.mark.e2e

DASHBOARD = "/admin/stats/statistic/"


def management_login(context, username):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.models import Group

    worker = make_member(username=username, email=f"{username}@example.org", is_staff=True)
    worker.groups.add(Group.objects.get(name="Management"))
    secret = generate_totp_secret()
    TOTP.activate(worker, secret)
    page = context.new_page()
    log_in(page, username)
    page.fill("#id_code", fresh_totp(secret))
    with page.expect_navigation():
        page.locator("#id_code").press("Enter")
    return page


def computed_statistics():
    """A few dozen members over provinces, genders and ages, some messages: shown and
    suppressed cells in every table."""
    from django.utils import timezone

    from messaging.models import Conversation, Message
    from stats.services import compute_statistics
    from tests.factories import make_profile

    now = timezone.now()
    members = []
    for number, (place, gender, age) in enumerate(
        [("Haarlem", "woman", 30)] * 20 + [("Utrecht", "man", 50)] * 12 + [("Gent", "", 70)] * 3
    ):
        member = make_member(
            username=f"m{number}",
            email=f"m{number}@example.org",
            gender=gender,
            date_joined=now - timedelta(weeks=1 + number % 3),
        )
        make_profile(member, place=place, birth_date=now.date().replace(year=now.year - age - 1))
        members.append(member)
    receiver = members[-1]
    for sender in members[:12]:
        conversation = Conversation.objects.create(member_low=sender, member_high=receiver)
        Message.objects.create(
            conversation=conversation, sender=sender, created_at=now - timedelta(days=1)
        )
    compute_statistics()


@pytest.mark.parametrize("language", LANGUAGES)
def test_dashboard_shows_charts_and_passes_axe(context_factory, site, language):
    computed_statistics()
    context = context_factory(language=language)
    other_hosts = []
    context.on(
        "request",
        lambda request: (
            other_hosts.append(request.url)
            if not request.url.startswith(site) and not request.url.startswith("data:")
            else None
        ),
    )
    page = management_login(context, f"directie_{language}")

    page.goto(DASHBOARD)

    assert_language(page, language)
    charts = page.locator("svg.stats-chart")
    expect(charts).to_have_count(9)
    expect(charts.first).to_be_visible()
    box = charts.first.bounding_box()
    assert box["width"] > 300 and box["height"] > 100  # drawn, not collapsed
    # The CSP let the page through without a violation: no inline style was refused.
    assert page.evaluate("() => document.querySelectorAll('[style]').length") == 0
    if os.environ.get("STATS_SCREENSHOT"):
        page.screenshot(path=os.environ["STATS_SCREENSHOT"] + f"-{language}.png", full_page=True)
    report = axe_report(page)
    assert not report, f"axe violations ({language}):\n{report}"
    assert other_hosts == []
