"""The member's data export (R7.4 access and portability): asked for on the privacy page, built
by a Celery task into a ZIP in private storage (JSON per app with documented fields, a readable
HTML index, the photo files), announced by mail, downloadable only by the member while it has
not expired, then deleted by the sweep; at most one per 24 hours."""

import json
import logging
import zipfile
from datetime import timedelta
from io import BytesIO

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from messaging import services as messaging
from payments.services import adjust_credits
from privacy import exports, registry
from privacy.models import ConsentPurpose, DataExport, ProcessingLimit
from privacy.services import accept_statement, grant_consent, set_processing_limit
from profiles.services import add_favourite, block_member
from tests.factories import MemberFactory, make_profile
from tests.profiles.images import add_processed_photo, jpeg_bytes, upload, use_private_storage

pytestmark = pytest.mark.django_db

SENT_TEXT = "Zullen we zaterdag naar het Rijksmuseum?"
RECEIVED_TEXT = "Graag! Ik neem de trein van 10 uur."


@pytest.fixture(autouse=True)
def storage(settings, tmp_path, monkeypatch):
    """Photos and exports in a temporary private storage."""
    storage = use_private_storage(tmp_path, settings, monkeypatch)
    monkeypatch.setattr(DataExport._meta.get_field("file"), "storage", storage)
    return storage


@pytest.fixture
def alice(member):
    member.language = Member.Language.ENGLISH
    member.save(update_fields=["language"])
    return member


@pytest.fixture
def alice_client(client, alice, django_capture_on_commit_callbacks):
    """Alice logged in, English pages, requests that run their on-commit callbacks (the build
    task, eager in tests, and the mail)."""
    client.force_login(alice)
    client.cookies["django_language"] = "en"

    class Committing:
        def get(self, *args, **kwargs):
            return client.get(*args, **kwargs)

        def post(self, *args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return client.post(*args, **kwargs)

    return Committing()


def give_credits(member, credits=100):
    adjust_credits(
        member=member, credits=credits, reason="test", staff=MemberFactory(is_staff=True)
    )


@pytest.fixture
def history(alice):
    """Alice has a profile, two photos, a favourite, a consent, and chatted with Bob."""
    bob = MemberFactory(username="bob")
    make_profile(alice, place="Utrecht", description="Ik wandel graag langs de Vecht.")
    photos = [
        add_processed_photo(member=alice, upload=upload(jpeg_bytes(color=c)))
        for c in [(9, 9, 9), (1, 200, 3)]
    ]
    add_favourite(member=alice, target=bob)
    grant_consent(
        member=alice, purpose=ConsentPurpose.SUGGESTIONS, wording_version="1", source="test"
    )
    give_credits(alice)
    give_credits(bob)
    messaging.send_message(sender=alice, receiver=bob, text=SENT_TEXT)
    messaging.send_message(sender=bob, receiver=alice, text=RECEIVED_TEXT)
    return {"bob": bob, "photos": photos}


def ask(alice_client):
    return alice_client.post(reverse("privacy:exports"), follow=True)


def latest_export(member) -> DataExport:
    return DataExport.objects.filter(member=member).latest("requested_at")


def open_zip(export: DataExport) -> zipfile.ZipFile:
    with export.file.storage.open(export.file.name, "rb") as handle:
        return zipfile.ZipFile(BytesIO(handle.read()))


def test_the_export_holds_every_app_as_json_the_index_and_the_photo_files(
    alice_client, alice, history
):
    """R7.4: one JSON file per registered app, the readable HTML index, the README and schema,
    and the photo files as stored, byte for byte."""
    ask(alice_client)

    export = latest_export(alice)
    assert export.status == DataExport.Status.READY
    archive = open_zip(export)
    assert archive.testzip() is None
    names = set(archive.namelist())
    apps = {entry.model._meta.app_label for entry in registry.entries()}
    assert {f"data/{app}.json" for app in apps} <= names
    assert {"index.html", "README.txt", "schema.json"} <= names
    for photo in history["photos"]:
        with photo.image.storage.open(photo.image.name, "rb") as stored:
            assert archive.read(f"photos/{photo.public_id}.jpg") == stored.read()
    assert export.size_bytes == export.file.size > 0


def test_the_json_is_valid_and_holds_the_messages_sent_and_received(alice_client, alice, history):
    """R7.4: machine-readable, every message in both directions with the other party."""
    ask(alice_client)

    archive = open_zip(latest_export(alice))
    data = {
        name: json.loads(archive.read(name))
        for name in archive.namelist()
        if name.endswith(".json")
    }
    messages = data["data/messaging.json"]["models"]["messaging.message"]
    by_text = {row["text"]: row for row in messages}
    assert by_text[SENT_TEXT]["direction"] == "sent"
    assert by_text[RECEIVED_TEXT]["direction"] == "received"
    assert by_text[RECEIVED_TEXT]["other_party"] == "bob"
    assert data["data/members.json"]["models"]["members.member"][0]["username"] == "alice"
    profile = data["data/profiles.json"]["models"]["profiles.profile"][0]
    assert profile["description"] == "Ik wandel graag langs de Vecht."
    photo_rows = data["data/profiles.json"]["models"]["profiles.photo"]
    assert {row["file"] for row in photo_rows} == {
        f"photos/{photo.public_id}.jpg" for photo in history["photos"]
    }
    consents = data["data/privacy.json"]["models"]["privacy.consentrecord"]
    assert consents[0]["purpose"] == "suggestions"
    assert data["schema.json"]["models"]["messaging.message"]["fields"]["text"]


def test_the_html_index_is_readable_in_the_members_language_and_self_contained(
    alice_client, alice, history
):
    ask(alice_client)

    html = open_zip(latest_export(alice)).read("index.html").decode()
    assert '<html lang="en">' in html
    assert "Your data on" in html
    assert SENT_TEXT in html and RECEIVED_TEXT in html
    for photo in history["photos"]:
        assert f'href="photos/{photo.public_id}.jpg"' in html
    # Nothing loaded from elsewhere: no scripts, no style sheets, images or fonts by URL.
    assert "<script" not in html and "<link" not in html and "url(" not in html
    assert "http://" not in html and "https://" not in html and 'src="//' not in html


def test_text_a_member_wrote_is_escaped_in_the_html_index(alice_client, alice, history):
    give_credits(alice)
    messaging.send_message(
        sender=alice, receiver=history["bob"], text="<img src=x onerror=alert(1)>"
    )

    ask(alice_client)

    html = open_zip(latest_export(alice)).read("index.html").decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_every_exported_field_is_documented(alice, history):
    """The README and schema explain every field the entries return: a new field without a
    description in privacy.exports.EXPORT_DOCS fails here."""
    grant_consent(
        member=alice, purpose=ConsentPurpose.PROMOTIONAL_EMAIL, wording_version="1", source="test"
    )
    set_processing_limit(
        member=alice, kind=ProcessingLimit.OBJECT_PROFILING, active=True, source="test"
    )
    accept_statement(member=alice, version="2026-11", source="test")
    block_member(member=alice, target=MemberFactory(username="pest"))
    messaging.update_receiving_settings(member=alice, max_new_per_day=3)
    exports.build_export(export_id=exports.request_export(member=alice).pk)  # mail and request
    undocumented = []
    for entry in registry.entries():
        assert entry.label in exports.EXPORT_DOCS, f"{entry.label} has no description"
        assert exports.model_about(entry.label)
        for row in entry.export(alice):
            for key in exports._keys_of(row):
                if not exports.field_description(entry.label, key):
                    undocumented.append(f"{entry.label}.{key}")
    assert undocumented == []


def test_the_messages_export_is_a_generator_so_long_histories_stream(alice, history):
    """Memory stays flat for 50000 messages (bench/exports.py measures it): the messages'
    entry yields rows from a database cursor instead of building a list."""
    rows = registry.entry_for(messaging.Message).export(alice)
    assert not isinstance(rows, list)
    assert {row["text"] for row in rows} == {SENT_TEXT, RECEIVED_TEXT}


def test_at_most_one_export_per_24_hours(alice_client, alice):
    """R7.4: a second request within the interval is refused, saying from when it is possible."""
    ask(alice_client)
    first = latest_export(alice)

    response = ask(alice_client)

    assert DataExport.objects.filter(member=alice).count() == 1
    text = response.content.decode()
    assert "You can ask for one export every 24 hours" in text
    assert "you can ask for a new one." in text
    assert 'id="export-request-form"' not in text

    DataExport.objects.filter(pk=first.pk).update(requested_at=timezone.now() - timedelta(hours=25))
    ask(alice_client)
    assert DataExport.objects.filter(member=alice).count() == 2


def test_a_failed_export_does_not_count_for_the_interval(alice_client, alice):
    DataExport.objects.create(member=alice, status=DataExport.Status.FAILED, attempts=5)

    ask(alice_client)

    assert latest_export(alice).status == DataExport.Status.READY


def test_the_member_gets_a_mail_in_their_language_without_data(alice_client, alice, history):
    ask(alice_client)

    [message] = [m for m in mail.outbox if "export" in m.subject.lower()]
    assert message.to == ["alice@example.org"]
    assert "Your data export is ready" in message.subject
    assert reverse("privacy:exports") in message.body
    assert SENT_TEXT not in message.body and "bob" not in message.body
    html = message.alternatives[0][0]
    assert reverse("privacy:exports") in html


def test_the_member_downloads_the_zip_with_their_session(client, alice_client, alice, history):
    ask(alice_client)
    export = latest_export(alice)

    response = alice_client.get(reverse("privacy:export_download", args=[export.public_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    archive = zipfile.ZipFile(BytesIO(b"".join(response.streaming_content)))
    assert "index.html" in archive.namelist()
    export.refresh_from_db()
    assert export.downloaded_at is not None

    client.logout()
    anonymous = client.get(reverse("privacy:export_download", args=[export.public_id]))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_another_member_cannot_download_it(client, alice, caplog):
    exports.request_export(member=alice)
    exports.build_export(export_id=latest_export(alice).pk)
    export = latest_export(alice)
    mallory = MemberFactory(username="mallory")
    client.force_login(mallory)
    caplog.set_level(logging.WARNING)

    response = client.get(reverse("privacy:export_download", args=[export.public_id]))

    assert response.status_code == 404
    assert f"access.denied data_export member={mallory.pk}" in caplog.text
    assert DataExport.objects.get(pk=export.pk).downloaded_at is None


def test_an_expired_export_says_so_and_the_sweep_deletes_its_file(alice_client, alice, storage):
    """R7.4: available for 7 days; then the file is gone, the row stays to show it expired."""
    ask(alice_client)
    export = latest_export(alice)
    assert export.expires_at - export.ready_at == timedelta(days=7)
    name = export.file.name
    assert storage.exists(name)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = alice_client.get(reverse("privacy:export_download", args=[export.public_id]))
    assert response.status_code == 410
    assert "This export has expired" in response.content.decode()

    assert exports.sweep_exports()["expired"] == 1
    export.refresh_from_db()
    assert export.status == DataExport.Status.EXPIRED
    assert export.file.name == ""
    assert not storage.exists(name)
    assert exports.sweep_exports()["expired"] == 0
    page = alice_client.get(reverse("privacy:exports")).content.decode()
    assert "Expired" in page and "The file has been deleted." in page


def test_building_twice_makes_one_file_and_one_mail(alice, storage, tmp_path):
    export = exports.request_export(member=alice)

    exports.build_export(export_id=export.pk)
    exports.build_export(export_id=export.pk)

    export.refresh_from_db()
    assert export.status == DataExport.Status.READY and export.attempts == 1
    assert [p.name for p in (tmp_path / "exports").iterdir()] == [export.file.name.split("/")[-1]]
    from members.models import OutgoingMail

    assert OutgoingMail.objects.filter(member=alice, kind="data_export_ready").count() == 1


def test_a_build_that_keeps_failing_is_retried_by_the_sweep_then_marked_failed(
    alice, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    """A storage that cannot be written (here: its folder is a file) fails the build; the sweep
    tries again while attempts are left, then marks the export failed, logging ids only."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    broken = use_private_storage(blocked, settings, monkeypatch)
    monkeypatch.setattr(DataExport._meta.get_field("file"), "storage", broken)
    caplog.set_level(logging.INFO)
    export = exports.request_export(member=alice)

    exports.build_export(export_id=export.pk)
    export.refresh_from_db()
    assert (export.status, export.attempts) == (DataExport.Status.PENDING, 1)
    for _attempt in range(4):
        DataExport.objects.filter(pk=export.pk).update(
            requested_at=timezone.now() - timedelta(minutes=11)
        )
        with django_capture_on_commit_callbacks(execute=True):
            exports.sweep_exports()

    export.refresh_from_db()
    assert (export.status, export.attempts) == (DataExport.Status.FAILED, 5)
    assert f"export.failed member={alice.pk} export={export.pk}" in caplog.text
    assert "alice" not in caplog.text.replace(f"member={alice.pk}", "")
    # A failed export does not hold up a new request.
    assert exports.next_export_at(alice) is None


def test_the_sweep_builds_an_export_whose_task_was_lost(alice, django_capture_on_commit_callbacks):
    """A request whose task never ran (broker down) is a row: the sweep enqueues it again."""
    export = DataExport.objects.create(
        member=alice, requested_at=timezone.now() - timedelta(minutes=11)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert exports.sweep_exports()["retried"] == 1

    export.refresh_from_db()
    assert export.status == DataExport.Status.READY


def test_the_page_polls_while_an_export_is_being_prepared(client, alice):
    """The list refreshes itself with htmx while pending and stops, announcing it, when ready;
    without JavaScript a reload shows the same."""
    client.force_login(alice)
    client.cookies["django_language"] = "en"
    export = exports.request_export(member=alice)  # not built: the task runs on commit

    page = client.get(reverse("privacy:exports")).content.decode()
    assert 'hx-trigger="every 3s"' in page
    assert "Being prepared" in page
    assert 'id="export-announce" role="status"' in page

    exports.build_export(export_id=export.pk)
    fragment = client.get(reverse("privacy:exports"), headers={"HX-Request": "true"})
    text = fragment.content.decode()
    assert "hx-trigger" not in text
    assert "Your export is ready to download." in text
    assert reverse("privacy:export_download", args=[export.public_id]) in text
    assert "<html" not in text


def test_a_logged_out_poll_stops_polling(client):
    response = client.get(reverse("privacy:exports"), headers={"HX-Request": "true"})
    assert response.status_code == 286


def test_the_export_page_needs_a_login(client):
    response = client.get(reverse("privacy:exports"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_registry_lists_export_requests_and_erases_their_files(alice, storage):
    """R7.3: erasure deletes the files and the rows, twice without harm; the member's own
    export lists the requests, not what was in them."""
    export = exports.request_export(member=alice)
    exports.build_export(export_id=export.pk)
    export.refresh_from_db()
    entry = registry.entry_for(DataExport)

    [row] = entry.export(alice)
    assert row["status"] == "ready" and row["requested_at"] and row["size_bytes"] > 0
    assert set(row) == {
        "requested_at",
        "status",
        "ready_at",
        "expires_at",
        "downloaded_at",
        "size_bytes",
    }

    entry.erase(alice)
    entry.erase(alice)
    assert not DataExport.objects.filter(member=alice).exists()
    assert not storage.exists(export.file.name)


def test_a_file_left_by_a_killed_build_is_found_and_deleted(alice, settings, tmp_path, monkeypatch):
    """A worker killed mid-build: its file was named on the row before writing, so the retry
    that writes a new one leaves an orphan the sweep deletes once it is old enough."""
    storage = use_private_storage(tmp_path, settings, monkeypatch)
    monkeypatch.setattr(DataExport._meta.get_field("file"), "storage", storage)
    export = exports.request_export(member=alice)
    orphan = storage.save("exports/killed-build.zip", ContentFile(b"PK partial"))
    DataExport.objects.filter(pk=export.pk).update(file=orphan)

    exports.build_export(export_id=export.pk)  # the retry: a new file, the row names it
    export.refresh_from_db()
    assert export.status == DataExport.Status.READY and export.file.name != orphan
    assert exports.sweep_exports()["orphans"] == 0  # too young: could still be written
    later = timezone.now() + timedelta(minutes=11)
    monkeypatch.setattr(exports.timezone, "now", lambda: later)
    assert exports.sweep_exports()["orphans"] == 1
    assert not storage.exists(orphan) and storage.exists(export.file.name)
