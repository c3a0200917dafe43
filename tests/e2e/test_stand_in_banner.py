"""A staging site's banner (PAYMENTS_STAND_IN=1, no MOLLIE_API_KEY) in a real browser: a named
region that says in words, in Dutch and in English, that payments are simulated, on the pages
of visitors and members, passing axe's WCAG 2.2 AA rules (contrast included)."""

import pytest
from playwright.sync_api import expect

from .conftest import LANGUAGES, expect_logged_in, log_in, make_member
from .test_accessibility import assert_accessible
from .test_payments import start_buying_plus

pytestmark = pytest.mark.e2e

WORDS = {
    "nl": ("Testsite", "betalingen op deze site zijn nagebootst"),
    "en": ("Test site", "payments on this site are simulated"),
}


@pytest.fixture(autouse=True)
def _staging(settings):
    settings.MOLLIE_API_KEY = ""
    settings.PAYMENTS_STAND_IN = True


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_banner_is_on_every_page_and_accessible(context_factory, site, language):
    name, words = WORDS[language]
    page = context_factory(language=language).new_page()

    def banner_shown():
        banner = page.get_by_role("region", name=name, exact=True)
        expect(banner).to_be_visible()
        expect(banner).to_contain_text(f"{name}: {words}")
        assert_accessible(page)

    page.goto("/")
    banner_shown()
    page.goto("/accounts/login/")
    banner_shown()

    member = make_member()
    log_in(page, member.username)
    expect_logged_in(page)
    banner_shown()
    start_buying_plus(page)  # the stand-in checkout itself
    banner_shown()
