"""A staging site's simulated payments (PAYMENTS_STAND_IN=1 without MOLLIE_API_KEY): every page
says so, in both languages and not by colour alone; `check --deploy` warns; a real key turns
the stand-in off whatever the switch says. (That DEBUG=0 refuses to start without either is
tests/test_deploy.py.)"""

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from payments import checks
from payments.models import CreditPack, StandInPayment

from . import mollie_payloads as mp

pytestmark = pytest.mark.django_db

BANNER = re.compile(
    r'<div class="stand-in-banner" id="stand-in-banner" role="region" aria-label="([^"]+)">'
    r"\s*<p[^>]*><strong>([^<]+)</strong> ([^<]+)</p>"
)


@pytest.fixture
def staging(settings):
    settings.MOLLIE_API_KEY = ""
    settings.PAYMENTS_STAND_IN = True


def banner(response):
    assert response.status_code == 200
    return BANNER.search(response.content.decode())


@pytest.mark.parametrize(
    ("language", "label", "text"),
    [
        ("nl", "Testsite", "betalingen op deze site zijn nagebootst"),
        ("en", "Test site", "payments on this site are simulated"),
    ],
)
def test_every_page_says_payments_are_simulated(staging, member_client, language, label, text):
    visitor = Client()
    for c in (visitor, member_client):
        c.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    pages = [
        visitor.get(reverse("home")),
        visitor.get(reverse("account_login")),
        visitor.get(reverse("privacy:statement")),
        member_client.get(reverse("payments:packs")),
        member_client.get(reverse("profiles:edit")),
        member_client.get(reverse("messaging:inbox")),
    ]
    for page in pages:
        found = banner(page)
        assert found, page.request["PATH_INFO"]
        assert found.group(1) == label
        assert found.group(2) == label + ":"
        assert found.group(3).startswith(text)


def test_the_stand_in_page_itself_carries_the_banner(staging, member_client):
    response = member_client.post(
        reverse("payments:checkout"),
        {"pack": CreditPack.objects.get(name="Plus").pk, "method": "ideal"},
    )
    payment = StandInPayment.objects.get()
    assert response["Location"] == reverse("payments:stand_in", args=[payment.id])
    assert banner(member_client.get(response["Location"]))


@pytest.mark.parametrize(
    ("key", "switch"),
    [
        (mp.TEST_KEY, True),  # a real key: real payments, whatever the switch says
        (mp.TEST_KEY, False),
        ("", False),  # make run (DEBUG=1) or the test suite: no switch, no banner
    ],
)
def test_no_banner_unless_payments_are_simulated_on_purpose(client, settings, key, switch):
    settings.MOLLIE_API_KEY = key
    settings.PAYMENTS_STAND_IN = switch
    assert not banner(client.get(reverse("home")))


def test_a_real_key_closes_the_stand_in_even_with_the_switch(staging, member_client, settings):
    response = member_client.post(
        reverse("payments:checkout"),
        {"pack": CreditPack.objects.get(name="Plus").pk, "method": "ideal"},
    )
    url = response["Location"]
    assert member_client.get(url).status_code == 200
    settings.MOLLIE_API_KEY = mp.TEST_KEY
    assert member_client.get(url).status_code == 404
    assert member_client.post(url, {"status": "paid"}).status_code == 404
    assert StandInPayment.objects.get().status == StandInPayment.Status.OPEN


def test_check_deploy_warns_while_payments_are_simulated(settings):
    settings.MOLLIE_API_KEY = ""
    settings.PAYMENTS_STAND_IN = True
    [warning] = checks.stand_in_checkout(None)
    assert warning.id == "payments.W001"
    assert "PAYMENTS_STAND_IN=1" in warning.msg
    settings.MOLLIE_API_KEY = mp.TEST_KEY
    assert checks.stand_in_checkout(None) == []
