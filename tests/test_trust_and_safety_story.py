"""Issue 11, "Done when", walked end to end through the pages people use (the Django test
client, no browser): every step goes through HTTP, and each checks what the person sees, so the
story fails when any link of the chain breaks.

A visitor without an account reports a photo; a member reports a message and a profile text; a
moderator decides each from one queue with a statement of reasons that the member receives (in
their language); the member appeals and a second moderator reverses it; one suspected-minor
report waits, urgent, for a moderator, and a second member's report hides the account at once;
a selfie verification is granted and the selfie is gone; a spending limit stops a checkout;
permissions included.

Each test builds the state it needs with the step helpers below, which go through the same pages
and assert on the way, so a test names the step that broke. Nobody grants moderators any
permission here: the Moderators role must have what it needs from the role migration
(moderation/0007_trust_and_safety_roles).
"""

import re
from dataclasses import dataclass
from datetime import date

import pytest
import responses
from django.conf import settings
from django.test import Client
from django.urls import reverse

from members.models import Member, OutgoingMail
from messaging.models import Message
from messaging.services import send_message
from moderation.models import Appeal, ModerationAction, Report
from payments.models import CreditPack, Order
from payments.services import adjust_credits
from profiles.models import Photo, Profile, VerificationRequest
from tests.factories import MemberFactory, make_profile, staff_member
from tests.payments import mollie_payloads as mp
from tests.profiles import images

pytestmark = pytest.mark.django_db

QUEUE = "/admin/moderation/report/"
AUDIT_LOG = "/admin/moderation/moderationaction/"
VERIFICATIONS = "/admin/profiles/verificationrequest/"
NOTICE_FORM = "/report/"
MY_DECISIONS = "/account/decisions/"
SEARCH = "/search/"
CREDITS = "/credits/"
SET_LIMIT = "/credits/limit/"
CHECKOUT = "/credits/checkout/"

# A statement of reasons as a moderator types it on the case page (DecisionForm).
STATEMENT = {
    "ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    "terms_clause": "4.2",
    "ground_explanation": "Content must be your own and must not harass other members.",
    "facts": "The reported content breaks the rule named.",
}


# --- The people -----------------------------------------------------------------------------


@dataclass
class Cast:
    bob: Member  # English; his photo is reported by a visitor
    dirk: Member  # Dutch; his message is reported by alice
    eva: Member  # Dutch; her profile text is reported by alice
    frank: Member  # reported as a suspected minor
    alice: Member  # a member who reports
    greta: Member  # a member who only looks
    photo: Photo
    moderator: Member
    second_moderator: Member


def person(username, *, language=Member.Language.DUTCH, description="Ik fiets graag."):
    """A member others can find: confirmed e-mail (the factory's default), a profile with a
    birth date and a place."""
    member = MemberFactory(username=username, email=f"{username}@example.org", language=language)
    make_profile(member, description=description, place="Utrecht", birth_date=date(1990, 5, 31))
    return member


def approved_photo(member) -> Photo:
    return Photo.objects.create(
        member=member,
        image=f"photos/{member.username}.jpg",
        thumbnail=f"photos/{member.username}_thumb.jpg",
        width=600,
        height=600,
        status=Photo.Status.APPROVED,
        is_main=True,
    )


@pytest.fixture
def cast(db) -> Cast:
    bob = person("bob", language=Member.Language.ENGLISH, description="I love sailing.")
    dirk = person("dirk")
    eva = person("eva", description="Bel me op 06-12345678 voor een afspraak, 100 euro.")
    alice = person("alice")
    staff = MemberFactory(is_staff=True)
    for sender in (dirk, alice):
        adjust_credits(member=sender, credits=100, reason="test credits", staff=staff)
    return Cast(
        bob=bob,
        dirk=dirk,
        eva=eva,
        frank=person("frank"),
        alice=alice,
        greta=person("greta"),
        photo=approved_photo(bob),
        moderator=staff_member("Moderators", username="mod1"),
        second_moderator=staff_member("Moderators", username="mod2"),
    )


def client_of(member=None, *, language=None) -> Client:
    """A browser of its own: logged in as `member` (None: a visitor), with a language cookie."""
    client = Client()
    if language:
        client.cookies["django_language"] = language
    if member is not None:
        client.force_login(member)
    return client


def page(response) -> str:
    return response.content.decode()


def profile_url(member) -> str:
    return reverse("profiles:profile", args=[member.public_id])


def photo_path(photo) -> str:
    return reverse("profiles:photo_file", args=[photo.public_id, "full"])


def href(html: str, pattern: str) -> str:
    """The first link in `html` whose address matches `pattern`."""
    found = re.search(rf'href="({pattern})"', html)
    assert found, f"no link matching {pattern!r}"
    return found[1]


def mails(kind, to) -> list[OutgoingMail]:
    return list(OutgoingMail.objects.filter(kind=kind, to=to).order_by("pk"))


def case_url(report) -> str:
    return f"{QUEUE}{report.pk}/change/"


def queue_cases(response) -> list[Report]:
    return list(response.context["cl"].result_list)


# --- Step 1: a visitor without an account reports a photo ----------------------------------


def visitor_reports_photo(cast) -> str:
    """The public notice form, with the photo's address pasted; returns the receipt's
    reference (shown on the page and in the receipt mail, in the visitor's language: Dutch)."""
    assert cast.photo.public_id in page(client_of(cast.greta).get(profile_url(cast.bob)))
    visitor = client_of()
    form = visitor.get(NOTICE_FORM)
    assert form.status_code == 200 and 'name="link"' in page(form)

    response = visitor.post(
        NOTICE_FORM,
        {
            "link": settings.SITE_URL.rstrip("/") + photo_path(cast.photo),
            "reason": "non_consensual",
            "explanation": "Dit is mijn foto; ik heb nooit toestemming gegeven.",
            "name": "Vera Visser",
            "email": "vera@example.org",
            "good_faith": "on",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("moderation:notice_sent")
    [receipt] = mails("moderation_notice_receipt", "vera@example.org")
    reference = re.search(r"melding (\S+) ontvangen", receipt.subject)[1]
    assert reference in page(response)
    assert reference in receipt.body_text
    return reference


def test_1_a_visitor_reports_a_photo_and_gets_a_receipt_with_the_reference(cast):
    reference = visitor_reports_photo(cast)

    report = Report.objects.get(notices__public_id=reference)
    assert report.reported_member == cast.bob
    assert report.items.get().object_id == cast.photo.pk


# --- Step 2: a member reports a message and a profile text -----------------------------------


def member_reports_message(cast) -> Message:
    """Dirk writes to alice; alice reports it from the message's report page."""
    message = send_message(sender=cast.dirk, receiver=cast.alice, text="Je bent lelijk en dom.")
    alice = client_of(cast.alice, language="en")
    conversation = reverse("messaging:conversation", args=[message.conversation.public_id])
    assert "Je bent lelijk en dom." in page(alice.get(conversation))
    url = reverse("messaging:report_message", args=[message.public_id])
    assert url in page(alice.get(conversation))
    assert alice.get(url).status_code == 200

    response = alice.post(
        url,
        {"reason": "harassment", "explanation": "He insults me.", "good_faith": "on"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Thank you. A moderator will look at it." in page(response)
    return message


def member_reports_profile_text(cast) -> str:
    """Alice opens eva's profile, follows its "Report the profile" link and reports the text;
    returns the receipt's reference."""
    alice = client_of(cast.alice, language="en")
    profile = page(alice.get(profile_url(cast.eva)))
    assert "06-12345678" in profile
    report_link = href(profile, r"/report/[^/\"]+/")
    form = alice.get(report_link)
    assert "the profile of eva" in page(form)

    response = alice.post(
        report_link,
        {"reason": "spam", "explanation": "Phone number and a price.", "good_faith": "on"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("moderation:notice_sent")
    receipt = mails("moderation_notice_receipt", cast.alice.email)[-1]
    reference = re.search(r"melding (\S+) ontvangen", receipt.subject)[1]  # alice reads Dutch
    assert reference in page(response)
    return reference


def test_2_a_member_reports_a_message_and_a_profile_text(cast):
    message = member_reports_message(cast)
    reference = member_reports_profile_text(cast)

    message_case = Report.objects.get(reported_member=cast.dirk)
    assert message_case.items.get().object_id == message.pk
    text_case = Report.objects.get(notices__public_id=reference)
    assert text_case.reported_member == cast.eva
    assert text_case.items.get().object_id == Profile.objects.get(member=cast.eva).pk


# --- Step 3: a moderator decides each from the one queue --------------------------------------


def all_three_reported(cast):
    """(photo case, message case, profile text case, visitor's receipt reference)."""
    reference = visitor_reports_photo(cast)
    member_reports_message(cast)
    member_reports_profile_text(cast)
    return (
        Report.objects.get(reported_member=cast.bob),
        Report.objects.get(reported_member=cast.dirk),
        Report.objects.get(reported_member=cast.eva),
        reference,
    )


def remove_from_case_page(moderator_client, report):
    """Opens the case, ticks its reported item and removes it with a statement of reasons."""
    case_page = moderator_client.get(case_url(report))
    assert case_page.status_code == 200
    items = re.findall(r'name="items" value="(\d+)"', page(case_page))
    assert len(items) == 1, "the case page offers its one reported item to remove"

    response = moderator_client.post(
        case_url(report), {"form": "decision", "action": "remove", "items": items, **STATEMENT}
    )

    assert response.status_code == 302, response.context["decision_form"].errors
    done = moderator_client.get(response["Location"])
    assert "The chosen content is removed; the member gets the statement." in page(done)


def moderator_decides_all_three(cast):
    photo_case, message_case, text_case, reference = all_three_reported(cast)
    moderator = client_of(cast.moderator, language="en")
    queue = moderator.get(QUEUE)
    assert queue.status_code == 200
    assert {photo_case, message_case, text_case} <= set(queue_cases(queue))
    for case in (photo_case, message_case, text_case):
        assert case.public_id in page(queue)
        remove_from_case_page(moderator, case)
    return photo_case, message_case, text_case, reference


def test_3_a_moderator_decides_each_case_from_one_queue_and_everyone_is_told(cast):
    photo_case, message_case, text_case, reference = moderator_decides_all_three(cast)

    # The effect: greta no longer sees bob's photo nor eva's text; alice no longer the message.
    greta = client_of(cast.greta)
    assert cast.photo.public_id not in page(greta.get(profile_url(cast.bob)))
    assert "06-12345678" not in page(greta.get(profile_url(cast.eva)))
    message = Message.objects.get(pk=message_case.items.get().object_id)
    conversation = reverse("messaging:conversation", args=[message.conversation.public_id])
    assert "Je bent lelijk en dom." not in page(client_of(cast.alice).get(conversation))

    # The statement of reasons reaches each member, in their language, with the way to appeal.
    [to_bob] = mails("moderation_statement", cast.bob.email)
    assert to_bob.subject.endswith("Our decision: Content removed")
    assert "4.2" in to_bob.body_text and "Appeal with us" in to_bob.body_text
    # Its appeal link works without logging in (a suspended member cannot log in).
    appeal_link = re.search(r"https?://\S+(/appeal/[^/\s]+/)", to_bob.body_text)[1]
    by_link = client_of(language="en").get(appeal_link)
    assert by_link.status_code == 200 and 'name="explanation"' in page(by_link)
    [to_dirk] = mails("moderation_statement", cast.dirk.email)
    assert to_dirk.subject.endswith("Ons besluit: Inhoud verwijderd")
    assert "Besluit: Inhoud verwijderd" in to_dirk.body_text
    assert STATEMENT["facts"] in to_dirk.body_text
    [to_eva] = mails("moderation_statement", cast.eva.email)
    assert to_eva.subject.endswith("Ons besluit: Inhoud verwijderd")

    # Those who reported hear the outcome: the visitor at the address given, alice twice.
    [to_visitor] = mails("moderation_notice_outcome", "vera@example.org")
    assert to_visitor.subject.endswith(f"De uitkomst van je melding {reference}")
    assert len(mails("moderation_notice_outcome", cast.alice.email)) == 2

    # The queue shows the three cases decided.
    for case in (photo_case, message_case, text_case):
        case.refresh_from_db()
        assert not case.is_open and case.decided_by == cast.moderator


# --- Step 4: the member appeals; a second moderator reverses it ------------------------------


def bob_appeals(cast) -> Appeal:
    bob = client_of(cast.bob, language="en")
    decisions = page(bob.get(MY_DECISIONS))
    appeal_link = href(decisions, r"/account/decisions/[^/\"]+/appeal/")
    assert bob.get(appeal_link).status_code == 200

    response = bob.post(
        appeal_link, {"explanation": "It is my own photo; I can show the original."}, follow=True
    )

    assert response.redirect_chain[-1][0] == MY_DECISIONS
    assert "Your appeal has been received." in page(response)
    return Appeal.objects.get(appellant=cast.bob)


def test_4_the_member_appeals_and_a_second_moderator_reverses_it(cast):
    photo_case, *_rest = moderator_decides_all_three(cast)
    appeal = bob_appeals(cast)

    # The appeal is a case in the same queue.
    first = client_of(cast.moderator, language="en")
    queue = first.get(QUEUE)
    assert appeal.case in queue_cases(queue)
    assert appeal.case.appeal_of.report == photo_case

    # The moderator who decided is refused.
    reverse_it = {"form": "appeal", "outcome": "reverse", "reasons": "Bob showed the original."}
    refused = first.post(case_url(appeal.case), reverse_it)
    assert refused.status_code == 200
    assert "Another moderator must decide this appeal" in page(refused)
    appeal.refresh_from_db()
    assert appeal.outcome == ""

    # Another moderator reverses it: the photo is back for others, and bob is told.
    second = client_of(cast.second_moderator, language="en")
    response = second.post(case_url(appeal.case), reverse_it)
    assert response.status_code == 302, response.context["appeal_form"].errors
    assert "The decision is reversed" in page(second.get(response["Location"]))

    greta = client_of(cast.greta)
    assert cast.photo.public_id in page(greta.get(profile_url(cast.bob)))
    [outcome] = mails("moderation_appeal_outcome", cast.bob.email)
    assert outcome.subject.endswith("Your appeal: we reversed the decision")
    assert "Bob showed the original." in outcome.body_text
    decisions = page(client_of(cast.bob, language="en").get(MY_DECISIONS))
    assert "Outcome: we reversed the decision." in decisions


# --- Step 5: suspected-minor reports of two members hide the account at once ------------------


def found_in_search(client) -> list[str]:
    response = client.get(SEARCH)
    assert response.status_code == 200
    return [profile.member.username for profile in response.context["page"].object_list]


def report_as_minor(client, member_page: str):
    report_link = href(page(client.get(member_page)), r"/report/[^/\"]+/")
    response = client.post(
        report_link,
        {"reason": "minor", "explanation": "He says he is 15.", "good_faith": "on"},
    )
    assert response.status_code == 302


def test_5_suspected_minor_reports_of_two_members_hide_the_account_at_once(cast):
    visitor_reports_photo(cast)  # an older case of normal priority
    bob = client_of(cast.bob)
    assert "frank" in found_in_search(bob)
    assert bob.get(profile_url(cast.frank)).status_code == 200

    # One member's report: urgent in the queue, but one person never hides an account.
    report_as_minor(client_of(cast.alice, language="en"), profile_url(cast.frank))
    assert bob.get(profile_url(cast.frank)).status_code == 200
    moderator = client_of(cast.moderator, language="en")
    queue = moderator.get(QUEUE)
    [case] = [c for c in queue_cases(queue) if c.reported_member_id == cast.frank.pk]
    assert queue_cases(queue)[0] == case, "urgent cases come first"
    assert case.hidden_at is None
    assert 'id="urgent-waiting"' in page(moderator.get("/admin/"))

    # A second, independent member reports him too: hidden at once, pending review.
    greta = client_of(cast.greta, language="en")
    report_as_minor(greta, profile_url(cast.frank))
    assert bob.get(profile_url(cast.frank)).status_code == 404
    assert "frank" not in found_in_search(bob)
    assert greta.get(profile_url(cast.frank)).status_code == 404
    # The case waits in the queue as urgent, marked hidden pending review.
    queue = moderator.get(QUEUE)
    assert queue_cases(queue)[0] == case
    assert "Open, hidden pending review" in page(queue)


# --- Step 6: a selfie verification is granted and the selfie is gone ---------------------------


def test_6_a_selfie_verification_is_granted_and_the_selfie_is_gone(
    cast, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    storage = images.use_private_storage(tmp_path / "private", settings, monkeypatch)
    monkeypatch.setattr(VerificationRequest._meta.get_field("selfie"), "storage", storage)
    bob = client_of(cast.bob, language="en")
    form = bob.get(reverse("profiles:verification"))
    assert 'name="selfie"' in page(form)  # the page shows the gesture and the upload

    selfie = images.upload(images.jpeg_bytes((900, 1200)), name="selfie.jpg")
    with django_capture_on_commit_callbacks(execute=True):  # the selfie is processed after
        response = bob.post(reverse("profiles:verification"), {"selfie": selfie}, follow=True)
    assert "Your selfie is sent." in page(response)
    verification = VerificationRequest.objects.get(member=cast.bob)
    selfie_name = verification.selfie.name
    assert storage.exists(selfie_name)

    greta = client_of(cast.greta)
    assert '<span class="verified-badge">' not in page(greta.get(profile_url(cast.bob)))
    moderator = client_of(cast.moderator, language="en")
    assert verification.member.username in page(moderator.get(VERIFICATIONS))
    review = f"{VERIFICATIONS}{verification.pk}/change/"
    assert moderator.get(review).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        granted = moderator.post(review, {"decision": "grant", "reason": ""})
    assert granted.status_code == 302

    assert '<span class="verified-badge">' in page(greta.get(profile_url(cast.bob)))
    assert not storage.exists(selfie_name)
    assert images.stored_files(tmp_path / "private") == []
    verification.refresh_from_db()
    assert verification.selfie.name == ""


# --- Step 7: a spending limit stops a checkout ------------------------------------------------


def test_7_a_spending_limit_stops_a_checkout(cast, settings):
    settings.MOLLIE_API_KEY = mp.TEST_KEY
    starter = CreditPack.objects.get(name="Starter")
    alice = client_of(cast.alice, language="en")
    assert alice.get(CREDITS).status_code == 200
    with responses.RequestsMock() as mollie:
        # Without a limit, the checkout goes to Mollie.
        mp.mock_create(mollie, "tr_first")
        first = alice.post(CHECKOUT, {"pack": starter.pk, "method": "ideal"})
        assert first.status_code == 302 and "mollie.com" in first["Location"]
        assert len(mollie.calls) == 1

        # A limit below what another pack would bring the month to stops the next one.
        limit = alice.post(SET_LIMIT, {"limit": "10"}, follow=True)
        assert limit.status_code == 200
        refused = alice.post(CHECKOUT, {"pack": starter.pk, "method": "ideal"})

        assert refused.status_code == 409
        assert "This purchase would go over your monthly spending limit of €10.00." in page(refused)
        assert len(mollie.calls) == 1, "no second call to Mollie"
    assert Order.objects.filter(member=cast.alice).count() == 1


# --- Step 8: permissions ---------------------------------------------------------------------


def test_8_only_moderators_work_the_queue_and_only_superusers_read_the_audit_log(cast):
    photo_case, message_case, *_rest = moderator_decides_all_three(cast)
    appeal = bob_appeals(cast)
    client_of(cast.second_moderator).post(
        case_url(appeal.case),
        {"form": "appeal", "outcome": "reverse", "reasons": "Bob showed the original."},
    )

    helpdesk = client_of(staff_member("Helpdesk", username="help"))
    for url in (QUEUE, case_url(photo_case), case_url(appeal.case)):
        response = helpdesk.get(url)
        assert response.status_code in (302, 403), url
        assert photo_case.public_id not in page(response)
    refused = helpdesk.post(case_url(message_case), {"form": "decision", "action": "dismiss"})
    assert refused.status_code in (302, 403)
    message_case.refresh_from_db()
    assert message_case.decision == "content_removed"

    moderator = client_of(cast.moderator)
    assert moderator.get(AUDIT_LOG).status_code == 403

    superuser = client_of(staff_member("superuser", username="root"), language="en")
    log = superuser.get(AUDIT_LOG)
    assert log.status_code == 200
    entries = list(log.context["cl"].result_list)
    done = {(entry.action, entry.staff, entry.report_id) for entry in entries}
    assert ("decision.content_removed", cast.moderator, photo_case.pk) in done
    assert ("decision.content_removed", cast.moderator, message_case.pk) in done
    assert ("appeal.reversed", cast.second_moderator, appeal.case.pk) in done
    assert ("item.restored", cast.second_moderator, photo_case.pk) in done
    statement_ids = set(
        ModerationAction.objects.filter(action="decision.content_removed").values_list(
            "statement_reference", flat=True
        )
    )
    assert all(reference in page(log) for reference in statement_ids)
