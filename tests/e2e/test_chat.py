"""Chat in real browsers (issue 5, R3): two members write to each other live, one runs out of
credits and buys more without losing the text, a receiver's limit is explained to the sender
before paying, a report reaches a moderator who removes the message, the notification mail's
unsubscribe link works; every chat page passes axe's WCAG 2.2 A/AA rules in nl and en."""

from datetime import date
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import Page, expect

from .conftest import LANGUAGES, expect_logged_in, log_in, make_member
from .test_accessibility import assert_language, axe_report
from .test_signup_journey import fresh_totp, wait_for_mail

pytestmark = pytest.mark.e2e

PRICE = 2


@pytest.fixture(autouse=True)
def _chat_settings(settings):
    settings.MOLLIE_API_KEY = ""  # the offline stand-in checkout
    settings.MESSAGE_PRICE_CREDITS = PRICE
    settings.MESSAGE_POLL_SECONDS = 1
    settings.INBOX_POLL_SECONDS = 1
    settings.MESSAGE_RATE_LIMITS = []


def chat_member(username, gender, *, credits=0, place="Utrecht", **profile):
    from payments.services import adjust_credits
    from tests.factories import make_profile

    member = make_member(username=username, email=f"{username}@example.org", gender=gender)
    make_profile(member, place=place, birth_date=date(1990, 1, 1), **profile)
    if credits:
        staff = make_member(username=f"staff_{username}", email=f"staff_{username}@example.org")
        adjust_credits(member=member, credits=credits, reason="test credits", staff=staff)
    return member


def check(page: Page, what: str, problems: list[str]) -> None:
    expect(page.locator("main h1")).to_be_visible()
    report = axe_report(page)
    if report:
        problems.append(f"{what}:\n{report}")


def send(page: Page, text: str) -> None:
    page.fill("#id_text", text)
    page.locator("#composer button[type=submit]").click()


def test_two_members_chat_live_and_one_buys_credits_to_go_on(context_factory):
    from payments.services import get_balance

    alice = chat_member("alice", "woman", credits=PRICE)  # enough for one message
    bob = chat_member("bob", "man", credits=10, seeks_women=True)
    alice_page = context_factory().new_page()
    bob_page = context_factory().new_page()
    log_in(alice_page, "alice")
    log_in(bob_page, "bob")
    expect_logged_in(bob_page)
    bob_page.goto("/messages/")
    expect(bob_page.locator("#unread-badge .unread-count")).to_have_count(0)

    # Alice finds Bob's profile and writes to him.
    alice_page.goto(reverse("profiles:profile", args=[bob.public_id]))
    with alice_page.expect_navigation():
        alice_page.locator(f"main a[href='/messages/to/{bob.public_id}/']").click()
    send(alice_page, "Hoi Bob, zin in koffie?")
    expect(alice_page.locator("#message-list")).to_contain_text("Hoi Bob, zin in koffie?")
    assert get_balance(member=alice) == 0

    # Bob's open inbox and his navigation badge update without a reload.
    expect(bob_page.locator("#inbox-list")).to_contain_text("alice", timeout=8_000)
    expect(bob_page.locator(".inbox-unread-count")).to_contain_text("1")
    expect(bob_page.locator("#unread-badge .unread-count")).to_have_text("1", timeout=8_000)
    # He was told by mail, without the text.
    notification = wait_for_mail(1)[-1]
    assert notification.to == ["bob@example.org"]
    assert "koffie" not in notification.body
    with bob_page.expect_navigation():
        bob_page.locator("#inbox-list a", has_text="alice").click()
    expect(bob_page.locator("#message-list")).to_contain_text("Hoi Bob, zin in koffie?")

    # Alice sees "seen" appear, then Bob's answer, without reloading.
    expect(alice_page.locator(".chat-own .chat-state").last).to_have_text("Gelezen", timeout=8_000)
    send(bob_page, "Leuk! Zaterdag?")
    expect(alice_page.locator("#message-list")).to_contain_text("Leuk! Zaterdag?", timeout=8_000)
    expect(bob_page.locator("#message-list .chat-own")).to_have_count(1)  # shown once

    # Out of credits: the text is kept while Alice buys a pack, and sent afterwards.
    send(alice_page, "Zaterdag is goed, om drie uur?")
    alice_page.wait_for_url("**/credits/?next=*")
    expect(alice_page.locator(".messages")).to_be_visible()
    from payments.models import CreditPack

    plus = CreditPack.objects.get(name="Plus")
    alice_page.locator(f"#pack-{plus.pk}-ideal").check()
    with alice_page.expect_navigation():
        alice_page.locator("li.pack-card", has=alice_page.locator(f"#pack-{plus.pk}-name")).locator(
            "button[type=submit]"
        ).click()
    with alice_page.expect_navigation():
        alice_page.locator("button[name=status][value=paid]").click()
    assert get_balance(member=alice) == 120
    with alice_page.expect_navigation():
        alice_page.locator("main .return-to a").click()
    expect(alice_page.locator("#id_text")).to_have_value("Zaterdag is goed, om drie uur?")
    alice_page.locator("#composer button[type=submit]").click()
    expect(bob_page.locator("#message-list")).to_contain_text("om drie uur", timeout=8_000)
    assert get_balance(member=alice) == 120 - PRICE


def test_a_receivers_limit_is_explained_to_the_sender_before_paying(context_factory):
    from messaging.models import Message
    from payments.services import get_balance

    alice = chat_member("alice", "woman", credits=10)
    chat_member("bob", "man", seeks_men=True)  # Bob looks for men only
    bob_page = context_factory().new_page()
    log_in(bob_page, "bob")
    bob_page.goto("/messages/settings/")
    bob_page.locator("#id_only_matching").check()
    with bob_page.expect_navigation():
        bob_page.locator(".chat-settings-form button[type=submit]").click()
    expect(bob_page.locator(".messages")).to_be_visible()

    alice_page = context_factory().new_page()
    log_in(alice_page, "alice")
    from members.models import Member

    alice_page.goto(f"/messages/to/{Member.objects.get(username='bob').public_id}/")
    refusal = alice_page.locator("#send-refusal")
    expect(refusal).to_contain_text("bob")
    expect(alice_page.locator("#id_text")).to_have_count(0)  # nothing to type, nothing to pay
    assert Message.objects.count() == 0
    assert get_balance(member=alice) == 10


def test_a_report_reaches_a_moderator_who_removes_the_message(context_factory):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.models import Group

    from messaging import services
    from messaging.models import Message
    from moderation.models import ContentAccessLog

    alice = chat_member("alice", "woman", credits=10)
    bob = chat_member("bob", "man")
    message = services.send_message(sender=alice, receiver=bob, text="Stuur me je bankgegevens")

    bob_page = context_factory().new_page()
    log_in(bob_page, "bob")
    bob_page.goto(f"/messages/c/{message.conversation.public_id}/")
    with bob_page.expect_navigation():
        bob_page.locator(f"#msg-{message.public_id} .chat-report a").click()
    bob_page.locator("input[name=reason][value=scam]").check()
    bob_page.locator("input[name=good_faith]").check()
    with bob_page.expect_navigation():
        bob_page.locator(".report-form button[type=submit]").click()
    expect(bob_page.locator(".messages")).to_be_visible()

    moderator = make_member(username="mod", email="mod@example.org", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    secret = generate_totp_secret()
    TOTP.activate(moderator, secret)
    page = context_factory().new_page()
    log_in(page, "mod")
    page.fill("#id_code", fresh_totp(secret))
    with page.expect_navigation():
        page.locator("#id_code").press("Enter")
    page.goto("/admin/moderation/report/")
    with page.expect_navigation():
        page.locator("#result_list tbody tr a").first.click()
    expect(page.locator("main, #content").first).to_contain_text("Stuur me je bankgegevens")
    assert ContentAccessLog.objects.filter(staff=moderator).count() == 1
    page.locator("input[name=items]").first.check()
    decision = page.locator("#decision-form")
    decision.locator("input[name=action][value=remove]").check()
    decision.locator("input[name=ground][value=DECISION_GROUND_INCOMPATIBLE_CONTENT]").check()
    page.fill("#id_terms_clause", "4.2")
    page.fill("#id_ground_explanation", "Asking for bank details is against the terms.")
    page.fill("#id_facts", "A message asked another member for bank details.")
    with page.expect_navigation():
        decision.locator("[type=submit]").click()

    message.refresh_from_db()
    assert message.status == Message.Status.REMOVED and message.text == ""
    bob_page.goto(f"/messages/c/{message.conversation.public_id}/")
    expect(bob_page.locator(f"#msg-{message.public_id}")).to_contain_text("moderator")
    expect(bob_page.locator("#message-list")).not_to_contain_text("bankgegevens")


@pytest.mark.parametrize("language", LANGUAGES)
def test_chat_pages_are_accessible(context_factory, language):
    """Inbox, conversation (with a refusal and with the form), older messages, settings,
    delete confirmation, report pages and the unsubscribe pages: 0 axe violations."""
    from messaging import services
    from messaging.notifications import unsubscribe_url

    alice = chat_member("alice", "woman", credits=50)
    bob = chat_member("bob", "man", credits=50)
    carol = chat_member("carol", "woman")
    for number in range(35):
        sender, receiver = (alice, bob) if number % 2 else (bob, alice)
        services.send_message(sender=sender, receiver=receiver, text=f"Bericht {number}\nregel 2")
    services.stop_receiving_messages(member=carol)
    conversation = services.conversation_between(alice, bob)
    last = conversation.messages.filter(sender=bob).order_by("-id").first()

    page = context_factory(language=language).new_page()
    log_in(page, "alice")
    problems: list[str] = []
    pages = [
        ("inbox", "/messages/"),
        ("conversation", f"/messages/c/{conversation.public_id}/"),
        ("older messages", f"/messages/c/{conversation.public_id}/older/?before={last.pk}"),
        ("refused start", f"/messages/to/{carol.public_id}/"),
        ("settings", "/messages/settings/"),
        ("delete confirmation", f"/messages/c/{conversation.public_id}/delete/"),
        ("report message", f"/messages/m/{last.public_id}/report/"),
        ("report conversation", f"/messages/c/{conversation.public_id}/report/"),
    ]
    for what, path in pages:
        page.goto(path)
        assert_language(page, language)
        check(page, what, problems)
    # Older messages loaded in place with htmx, and an invalid settings form.
    page.goto(f"/messages/c/{conversation.public_id}/")
    page.locator(".chat-older a, .chat-older button").first.click()
    expect(page.locator("li.chat-message")).to_have_count(35, timeout=8_000)
    check(page, "conversation with older messages", problems)
    page.goto("/messages/settings/")
    page.fill("#id_max_new_per_day", "0")
    # The browser's own check (min=1) would stop it first; the server's message is tested here.
    page.locator(".chat-settings-form").evaluate("form => { form.noValidate = true; }")
    with page.expect_navigation():
        page.locator(".chat-settings-form button[type=submit]").click()
    check(page, "settings with an error", problems)

    # The unsubscribe pages work without a session.
    anonymous = context_factory(language=language).new_page()
    anonymous.goto(urlsplit(unsubscribe_url(alice)).path)
    check(anonymous, "unsubscribe question", problems)
    with anonymous.expect_navigation():
        anonymous.locator("main form button[type=submit]").click()
    check(anonymous, "unsubscribed", problems)
    assert services.receiving_settings_for(alice).notify == "never"
    assert reverse("messaging:settings") in anonymous.content()

    assert not problems, "\n\n".join(problems)


def test_unread_messages_are_not_told_by_colour_alone(context_factory):
    """The unread count reads as text in the navigation and in the inbox."""
    from messaging import services

    alice = chat_member("alice", "woman", credits=10)
    bob = chat_member("bob", "man")
    services.send_message(sender=alice, receiver=bob, text="Hoi")
    mail.outbox.clear()
    page = context_factory(language="en").new_page()
    log_in(page, "bob")
    page.goto("/messages/")
    expect(page.locator("#unread-badge")).to_contain_text("(1 unread)")
    expect(page.locator(".inbox-unread-count")).to_have_text("1 unread")


@pytest.mark.parametrize("width", [640, 320])
def test_chat_reflows_and_works_by_keyboard_at_200_and_400_percent_zoom(context_factory, width):
    """640 CSS px is a 1280 px window at 200% zoom, 320 px is WCAG 1.4.10's reflow width: the
    inbox and the conversation need no sideways scrolling, and a message can be written and
    sent with the keyboard alone."""
    from messaging import services

    alice = chat_member("alice", "woman", credits=10)
    bob = chat_member("bob", "man", credits=10)
    services.send_message(sender=bob, receiver=alice, text="Een heel lang woord: " + "a" * 120)
    conversation = services.conversation_between(alice, bob)
    page = context_factory(
        viewport={"width": width, "height": 640}, device_scale_factor=2
    ).new_page()
    log_in(page, "alice")
    for path in ("/messages/", f"/messages/c/{conversation.public_id}/"):
        page.goto(path)
        sizes = page.evaluate(
            "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        assert sizes["scroll"] <= sizes["inner"], f"{path} at {width}px scrolls sideways: {sizes}"

    page.locator("#id_text").focus()
    page.keyboard.type("Getypt met alleen het toetsenbord")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    expect(page.locator("#message-list .chat-own")).to_contain_text("alleen het toetsenbord")
