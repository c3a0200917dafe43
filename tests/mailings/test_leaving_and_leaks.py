"""What a security review of issue 9 found, each as a story that fails if it comes back:
leaving stops queued campaign mail at once, links in mail carry no profile id, campaign links
are absolute, the text part is not HTML-escaped, and the "not paying" audience survives an
erased member's order."""

import pytest

from mailings import sending, services
from mailings.content import clean_body, render_campaign
from mailings.models import Campaign, Delivery, MailKind
from payments.models import CreditPack, Order, PaymentMethod
from tests.mailings.test_sending import make_campaign, promo_member, started

pytestmark = pytest.mark.django_db


def test_unsubscribing_skips_campaign_mail_already_queued_or_being_sent():
    alice, bob = promo_member(), promo_member()
    campaign = started(make_campaign())
    Delivery.objects.filter(campaign=campaign, member=bob).update(
        status=Delivery.Status.CLAIMED, claim="batch-1"
    )

    services.set_mail_choice(
        member=alice, kind=MailKind.PROMOTIONS, wanted=False, source=services.SOURCES["link"]
    )
    services.set_mail_choice(
        member=bob, kind=MailKind.PROMOTIONS, wanted=False, source=services.SOURCES["one_click"]
    )

    rows = {row.member_id: row for row in Delivery.objects.filter(campaign=campaign)}
    assert rows[alice.pk].status == rows[bob.pk].status == Delivery.Status.SKIPPED
    assert rows[bob.pk].reason == "unsubscribed" and rows[bob.pk].claim == ""
    # The batch holding bob's row can no longer mark it sent.
    assert sending.commit_sent(rows[bob.pk].pk, "batch-1", "<id@example>") is None


def test_the_unsubscribe_token_reveals_no_profile_id_and_works_only_for_its_kind():
    member = promo_member()
    token = services.unsubscribe_token(member, MailKind.PROMOTIONS)

    assert member.public_id not in token
    assert member.username not in token and member.email.split("@")[0] not in token
    assert services.public_id_from_token(MailKind.PROMOTIONS, token) == member.public_id
    assert services.public_id_from_token(MailKind.SUGGESTIONS, token) is None
    assert services.public_id_from_token(MailKind.PROMOTIONS, token[:-2] + "xx") is None
    assert services.public_id_from_token(MailKind.PROMOTIONS, member.public_id) is None


def test_only_absolute_web_and_mailto_links_stay_in_a_campaign_text():
    cleaned = clean_body(
        '<a href="/admin/">a</a><a href="//evil.example/x">b</a>'
        '<a href="javascript:alert(1)">c</a><a href="https://example.org/x">d</a>'
        '<a href="mailto:info@example.org">e</a>'
    )

    assert "/admin/" not in cleaned and "evil.example" not in cleaned
    assert "javascript" not in cleaned
    assert 'href="https://example.org/x"' in cleaned
    assert 'href="mailto:info@example.org"' in cleaned


def test_the_plain_text_part_is_not_html_escaped():
    campaign = make_campaign(
        body_en='<p>We\'re open &amp; <a href="https://example.org/?a=1&amp;b=2">here</a></p>'
    )

    text = render_campaign(campaign, "en").text

    assert "We're open & here (https://example.org/?a=1&b=2)" in text
    assert "&amp;" not in text and "&#x27;" not in text


def test_an_erased_members_order_does_not_empty_the_not_paying_audience():
    payer, other = promo_member(), promo_member()
    pack = CreditPack.objects.first()
    for member in (payer, None):  # None: the order of an erased member (SET_NULL)
        Order.objects.create(
            member=member,
            pack=pack,
            credits=pack.credits,
            amount_cents=pack.price_cents,
            method=PaymentMethod.IDEAL,
            status=Order.Status.PAID,
        )
    campaign = make_campaign(paying=Campaign.Paying.NOT_PAYING)

    assert list(sending.audience(campaign).values_list("pk", flat=True)) == [other.pk]


def test_a_campaign_whose_audience_fell_below_the_minimum_goes_back_to_draft(settings):
    settings.CAMPAIGN_MIN_AUDIENCE = 2
    alice, _bob = promo_member(), promo_member()
    campaign = make_campaign()
    sending.schedule_campaign(campaign=campaign, staff=None)
    services.set_mail_choice(
        member=alice, kind=MailKind.PROMOTIONS, wanted=False, source=services.SOURCES["link"]
    )

    assert sending.start_campaign(campaign.pk) is False
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not Delivery.objects.filter(campaign=campaign).exists()
