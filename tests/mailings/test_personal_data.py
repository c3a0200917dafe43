"""Delivery rows are personal data (issue 9, "Delivery"; R7.3, R7.4, R8.1): the mailings
models are in the privacy registry, so the "my data" page says what is held, the export lists
which campaigns went out when and whom suggestion mails named, and erasure removes them (and
the member from others' suggestion lists)."""

import json
import re
import zipfile
from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone

from mailings.models import Campaign, Delivery, MailedSuggestion, SuggestionMailState
from members.models import Member, UndeliverableAddress
from members.services import mark_undeliverable
from privacy import erasure, exports, registry
from privacy.models import DataExport
from tests.factories import MemberFactory
from tests.profiles.images import use_private_storage

pytestmark = pytest.mark.django_db


def campaign(name, subject_nl, subject_en):
    return Campaign.objects.create(
        name=name,
        subject_nl=subject_nl,
        subject_en=subject_en,
        body_nl="<p>Hallo</p>",
        body_en="<p>Hello</p>",
        status=Campaign.Status.FINISHED,
    )


@pytest.fixture
def mailed():
    """Alice (English) got two campaigns and a suggestion mail naming Bob and Carol; Bob got a
    campaign and a suggestion mail naming Alice; Alice's address bounced once."""
    alice = MemberFactory(username="alice", language=Member.Language.ENGLISH)
    bob = MemberFactory(username="bob")
    carol = MemberFactory(username="carol")
    spring = campaign("Spring 2026 re-engagement", "Lente-actie", "Spring offer")
    summer = campaign("Summer", "Zomer", "Summer news")
    sent_at = timezone.now() - timedelta(days=3)
    Delivery.objects.create(
        campaign=spring, member=alice, status=Delivery.Status.SENT, sent_at=sent_at
    )
    Delivery.objects.create(
        campaign=summer, member=alice, status=Delivery.Status.SKIPPED, reason="unsubscribed"
    )
    Delivery.objects.create(campaign=spring, member=bob, status=Delivery.Status.SENT)
    SuggestionMailState.objects.create(member=alice, last_sent_at=sent_at)
    SuggestionMailState.objects.create(member=bob, last_sent_at=sent_at)
    MailedSuggestion.objects.create(member=alice, suggested=bob)
    MailedSuggestion.objects.create(member=alice, suggested=carol)
    MailedSuggestion.objects.create(member=bob, suggested=alice)
    MailedSuggestion.objects.create(member=bob, suggested=carol)
    mark_undeliverable(email="Alice@example.org", reason="bounce")
    return {"alice": alice, "bob": bob, "carol": carol, "sent_at": sent_at}


def test_the_export_lists_which_campaigns_went_out_when_and_whom_suggestion_mails_named(mailed):
    exported = registry.export_member(mailed["alice"])

    assert exported["mailings.delivery"] == [
        {
            "subject": "Spring offer",  # in Alice's language
            "status": "sent",
            "sent_at": mailed["sent_at"].isoformat(),
        },
        {"subject": "Summer news", "status": "skipped", "sent_at": None},
    ]
    assert exported["mailings.suggestionmailstate"] == [
        {"last_sent_at": mailed["sent_at"].isoformat()}
    ]
    assert [row["member"] for row in exported["mailings.mailedsuggestion"]] == ["bob", "carol"]
    assert exported["members.undeliverableaddress"][0]["email"] == "alice@example.org"
    # Nothing about other recipients, nor that Bob was mailed Alice's name.
    text = json.dumps({k: v for k, v in exported.items() if k.startswith("mailings.")})
    assert "alice" not in text


def test_a_dutch_member_sees_the_dutch_subject(mailed):
    (row,) = registry.export_member(mailed["bob"])["mailings.delivery"]
    assert row["subject"] == "Lente-actie"


def test_the_export_zip_holds_the_mailings_file(mailed, settings, tmp_path, monkeypatch):
    use_private_storage(tmp_path, settings, monkeypatch)
    export = exports.request_export(member=mailed["alice"])
    exports.build_export(export_id=export.pk)

    export.refresh_from_db()
    assert export.status == DataExport.Status.READY
    with export.file.storage.open(export.file.name, "rb") as handle:
        archive = zipfile.ZipFile(BytesIO(handle.read()))
    data = json.loads(archive.read("data/mailings.json"))["models"]
    assert [row["subject"] for row in data["mailings.delivery"]] == ["Spring offer", "Summer news"]
    assert [row["member"] for row in data["mailings.mailedsuggestion"]] == ["bob", "carol"]
    schema = json.loads(archive.read("schema.json"))["models"]
    assert schema["mailings.delivery"]["fields"]["sent_at"]
    index = archive.read("index.html").decode()
    assert "Promotional mailings sent to you" in index and "Spring offer" in index


def test_the_registry_erases_the_rows_both_ways(mailed):
    """Each handler on its own, the Member row still there: Alice's deliveries, her state,
    her mailed suggestions and the rows that suggested her to Bob are gone; Bob's own rows
    about others stay."""
    alice, bob = mailed["alice"], mailed["bob"]
    models = (Delivery, SuggestionMailState, MailedSuggestion, UndeliverableAddress)
    for _round in range(2):  # idempotent: a re-run after a crash midway is harmless
        for model in models:
            registry.entry_for(model).erase(alice)

    assert not Delivery.objects.filter(member=alice).exists()
    assert not SuggestionMailState.objects.filter(member=alice).exists()
    assert not MailedSuggestion.objects.filter(member=alice).exists()
    assert not MailedSuggestion.objects.filter(suggested=alice).exists()
    assert not UndeliverableAddress.objects.exists()
    assert Delivery.objects.filter(member=bob).count() == 1
    assert list(
        MailedSuggestion.objects.filter(member=bob).values_list("suggested__username", flat=True)
    ) == ["carol"]
    assert Campaign.objects.count() == 2  # staff's, not Alice's


def test_erasing_the_account_removes_every_trace(mailed, django_capture_on_commit_callbacks):
    alice, bob = mailed["alice"], mailed["bob"]
    with django_capture_on_commit_callbacks(execute=True):
        erasure.close_account(member=alice, erase_immediately=True)

    assert not Member.objects.filter(pk=alice.pk).exists()
    assert not Delivery.objects.filter(member_id=alice.pk).exists()
    assert not MailedSuggestion.objects.filter(suggested_id=alice.pk).exists()
    assert not UndeliverableAddress.objects.filter(email="alice@example.org").exists()
    assert Delivery.objects.filter(member=bob).exists()


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_the_my_data_page_says_what_the_mailings_hold(client, mailed):
    client.force_login(mailed["alice"])
    client.cookies["django_language"] = "en"

    text = text_of(client.get(reverse("privacy:my_data")))

    assert "Which promotional mailings went to you, and when." in text
    assert "2 mailings" in text
    assert "2 members suggested" in text
    assert "Last one sent on" in text
    assert "1 undeliverable address" in text
