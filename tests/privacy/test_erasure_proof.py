"""The erasure proof (R7.3, SECURITY.md "Ashley Madison"): a member puts a distinctive marker in
every field and file the site can hold, closes the account asking for immediate erasure, and
then every table of the database (every text, JSON and binary column, encrypted columns
decrypted, sessions decoded), the cache and the private storage (file names, bytes, ZIP
contents) are searched for the marker and for the member's identifiers. Any hit fails the test
with where it was found.

The same search run before the erasure must find the marker in the places it was put: proof
that the search can see what it looks for."""

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.mail import EmailMultiAlternatives
from django.db import connection, models
from django.test import Client

from activity.models import LoginRecord, PageVisit
from members.models import Member
from members.services import queue_mail, send_queued_mail
from messaging import services as messaging
from messaging.models import Message, Notify, Participant
from moderation import services as moderation
from moderation.models import Statement
from moderation.services import report_content, reported_items_for_review
from payments import checkout, mollie
from payments.models import CreditPack
from payments.services import adjust_credits, spend_credits
from privacy import crypto, erasure, exports
from privacy import services as privacy
from privacy.fields import EncryptedTextField
from privacy.models import ConsentPurpose, DataExport, ProcessingLimit
from profiles import photos as photo_service
from profiles import services as profile_service
from profiles.models import Interest, Place
from tests.factories import PASSWORD, MemberFactory, staff_member
from tests.profiles.images import add_processed_photo, jpeg_bytes, upload, use_private_storage

pytestmark = pytest.mark.django_db

MARKER = "zqxmarker"
USER_AGENT = "Mozilla/5.0 (X11; Linux) ZQXMARKER-Browser/1.0"
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "ARRAY")


# --- The search ----------------------------------------------------------------------------------


def _like(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _hits_in(text: str, needles) -> list[str]:
    lowered = text.lower()
    return [needle for needle in needles if needle.lower() in lowered]


def search_database(needles) -> list[str]:
    """Every text-like column of every table, cast to text, ILIKE each needle; binary columns
    by their bytes."""
    hits = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name, c.data_type
            FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
            ORDER BY c.table_name, c.ordinal_position
            """
        )
        columns = cursor.fetchall()
        assert len(columns) > 100  # the whole schema, not an empty search
        patterns = [_like(needle) for needle in needles]
        for table, column, data_type in columns:
            quoted = f"{connection.ops.quote_name(table)}.{connection.ops.quote_name(column)}"
            if data_type in TEXT_TYPES:
                expression = f"{quoted}::text"
            elif data_type == "bytea":
                expression = f"encode({quoted}, 'escape')"
            else:
                continue
            cursor.execute(
                f"SELECT {expression} FROM {connection.ops.quote_name(table)} "  # noqa: S608
                f"WHERE {expression} ILIKE ANY(%s) LIMIT 5",
                [patterns],
            )
            for (value,) in cursor.fetchall():
                hits.append(f"{table}.{column}: {_hits_in(value, needles)} in {value[:120]!r}")
    return hits


def search_decrypted(needles) -> list[str]:
    """Encrypted columns hide the marker from a plain search: read them decrypted."""
    hits = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                values = model._base_manager.exclude(**{field.attname: ""}).values_list(
                    "pk", field.attname
                )
                found = [(pk, text) for pk, text in values.iterator() if _hits_in(text, needles)]
            elif field.attname.endswith("_encrypted"):
                values = model._base_manager.exclude(**{field.attname: ""}).values_list(
                    "pk", field.attname
                )
                found = [
                    (pk, text)
                    for pk, token in values.iterator()
                    if _hits_in(text := crypto.decrypt_text(token), needles)
                ]
            else:
                continue
            hits += [
                f"{model._meta.db_table}.{field.column} (decrypted) row {pk}: {t[:80]!r}"
                for pk, t in found
            ]
    return hits


def search_sessions(needles, member_id) -> list[str]:
    """Session data is signed and encoded: decode every session and look inside."""
    hits = []
    for session in Session.objects.all():
        data = session.get_decoded()
        if str(data.get("_auth_user_id")) == str(member_id):
            hits.append(f"django_session {session.pk[:8]}…: logged in as the member")
        if found := _hits_in(repr(data), needles):
            hits.append(f"django_session {session.pk[:8]}…: {found}")
    return hits


def search_references(member_id) -> list[str]:
    """No row anywhere still points at the member: every foreign key to the member, and the
    admin log's generic object ids."""
    hits = []
    member_model = get_user_model()
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if (
                isinstance(field, models.ForeignKey)
                and field.related_model is member_model
                and model._base_manager.filter(**{field.attname: member_id}).exists()
            ):
                hits.append(f"{model._meta.db_table}.{field.column} = {member_id}")
    if member_model._base_manager.filter(pk=member_id).exists():
        hits.append(f"{member_model._meta.db_table}: the member's row")
    about_member = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(member_model), object_id=str(member_id)
    )
    if about_member.exists():
        hits.append(f"django_admin_log: rows about member {member_id}")
    return hits


def search_cache(needles) -> list[str]:
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return []
    client = backend._cache.get_client()
    hits = []
    for key in client.scan_iter(match=f"{backend.key_prefix}:*"):
        value = client.get(key) or b""
        if found := _hits_in(key.decode() + repr(value), needles):
            hits.append(f"cache {key.decode()}: {found}")
    return hits


def search_files(root: Path, needles, file_names) -> list[str]:
    """Every file under the storage roots: its name and path, its bytes, and what a ZIP holds."""
    hits = []
    encoded = [needle.lower().encode() for needle in needles]
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = str(path.relative_to(root))
        if any(relative.endswith(name) for name in file_names):
            hits.append(f"file {relative}: one of the member's stored files")
        if found := _hits_in(relative, needles):
            hits.append(f"file name {relative}: {found}")
        data = path.read_bytes()
        if any(needle in data.lower() for needle in encoded):
            hits.append(
                f"file {relative}: the bytes hold {_hits_in(data.decode('latin-1'), needles)}"
            )
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    inner = archive.read(info).lower()
                    if _hits_in(info.filename, needles) or any(n in inner for n in encoded):
                        hits.append(f"file {relative} -> {info.filename}: holds the marker")
    return hits


def find_traces(trail: dict, root: Path) -> list[str]:
    needles = trail["needles"]
    return (
        search_database(needles)
        + search_decrypted(needles)
        + search_sessions(needles, trail["member_id"])
        + search_references(trail["member_id"])
        + search_cache(needles)
        + search_files(root, needles, trail["files"])
    )


# --- The member who holds the marker everywhere ---------------------------------------------------


@pytest.fixture
def storage_root(tmp_path, settings, monkeypatch):
    """Photos and exports in a private storage of this test's own; other media too."""
    storage = use_private_storage(tmp_path / "private", settings, monkeypatch)
    monkeypatch.setattr(DataExport._meta.get_field("file"), "storage", storage)
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def give_credits(member, credits=100):
    adjust_credits(
        member=member, credits=credits, reason="test credits", staff=MemberFactory(is_staff=True)
    )


def paid_order(member):
    pack = CreditPack.objects.filter(active=True).order_by("price_cents").first()
    order, _url = checkout.start_checkout(
        member=member, pack=pack, method="ideal", build_url=lambda path: "http://testserver" + path
    )
    mollie.set_stand_in_status(payment_id=order.mollie_payment_id, status="paid")
    return checkout.settle_payment(payment_id=order.mollie_payment_id)


def log_about(staff, obj):
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Status"]}}]',
    )


@pytest.fixture
def marked(storage_root, django_capture_on_commit_callbacks):
    """The member and everything they can leave on the site, each with the marker where the
    member chooses the content. Returns what to look for afterwards."""
    member = MemberFactory(
        username="zqxmarker_1",
        email="zqxmarker@example.org",
        first_name="Zqxmarker",
        last_name="Zqxmarkerson",
        language="en",
    )
    bob = MemberFactory(username="bob_other", email="bob@example.org")
    carol = MemberFactory(username="carol_other", email="carol@example.org")
    staff = staff_member("superuser", username="staff_one")
    moderator = staff_member("Moderators", username="moderator_one")

    # A session on a browser whose user agent holds the marker (allauth's session list), logged in
    # before two-factor is set up.
    device = Client(HTTP_USER_AGENT=USER_AGENT)
    device.post("/accounts/login/", {"login": "zqxmarker_1", "password": PASSWORD})
    assert "_auth_user_id" in device.session
    # What the site records by itself (activity): that log-in, with the marker where an
    # internet provider's name goes, and a page visited in that session.
    login = LoginRecord.objects.get(member=member)
    LoginRecord.objects.filter(pk=login.pk).update(provider="Zqxmarker Telecom")
    PageVisit.objects.create(
        member=member,
        route="zqxmarker:page",
        visited_at=login.created_at,
        session_digest=login.session_digest,
    )

    # Account: a second, unconfirmed address with its confirmation; two-factor.
    extra = EmailAddress.objects.create(user=member, email="zqxmarker.new@example.org")
    EmailConfirmation.create(extra)
    TOTP.activate(member, generate_totp_secret())
    RecoveryCodes.activate(member)

    # Profile, free tags, place, interests, special-category data with explicit consent.
    profile_service.update_profile(
        member=member,
        description="About me: ZQXMARKER likes long walks.",
        free_tags=["zqxmarker-tag", "Zqxmarker vinyl"],
        place=Place.objects.get(name="Utrecht", country="NL"),
        birth_date=date(1990, 5, 31),
        seeks_men=True,
        interests=list(Interest.objects.all()[:3]),
        relationship_type="dating",
    )
    profile_service.give_special_category_consent(member=member)
    profile_service.set_sexual_preferences(member=member, preferences=["bisexual", "queer"])

    # Photos: real image files through the photo service, one approved and main.
    first = add_processed_photo(
        member=member, upload=upload(jpeg_bytes(comment=True), name="zqxmarker.jpg")
    )
    second = add_processed_photo(member=member, upload=upload(jpeg_bytes((600, 800))))
    photo_service.approve_photos(photos=[first], moderator=moderator)
    photo_service.set_photo_premium(photo=second, premium=True)

    # Consents, processing limits, statement acceptances.
    for purpose in (ConsentPurpose.PROMOTIONAL_EMAIL, ConsentPurpose.SUGGESTIONS):
        privacy.set_consent(member=member, purpose=purpose, granted=True, source="consents_page")
    privacy.set_consent(
        member=member, purpose=ConsentPurpose.PROMOTIONAL_EMAIL, granted=False, source="mail"
    )
    privacy.set_processing_limit(
        member=member, kind=ProcessingLimit.OBJECT_DIRECT_MARKETING, active=True, source="page"
    )
    privacy.set_processing_limit(
        member=member, kind=ProcessingLimit.RESTRICTION, active=True, source="page"
    )
    privacy.set_processing_limit(
        member=member, kind=ProcessingLimit.RESTRICTION, active=False, source="page"
    )
    privacy.accept_statement(member=member, version="2026-01", source="signup")

    # Payments: a purchase through the (stand-in) checkout, spending, a staff adjustment.
    give_credits(member)
    give_credits(bob)
    give_credits(carol)
    paid_order(member)
    spend_credits(member=member, amount=1, reason="test spend")

    # Messages sent and received, a report with the marker in its explanation (the member's),
    # a report about the member's message (by Bob) seen by a moderator.
    messaging.update_receiving_settings(member=member, notify=Notify.DAILY, max_new_per_day=5)
    messaging.send_message(sender=member, receiver=bob, text="Hello Bob, ZQXMARKER writes")
    received = messaging.send_message(sender=bob, receiver=member, text="Hi there")
    mine = messaging.send_message(sender=member, receiver=carol, text="Zqxmarker says hi, Carol")
    messaging.send_message(sender=carol, receiver=member, text="Hello back")
    reported_by_member = report_content(
        reporter=member,
        items=[received],
        reason="spam",
        explanation="ZQXMARKER explains the report",
        reported_member=bob,
    )
    about_member = report_content(
        reporter=carol, items=[mine], reason="spam", explanation="", reported_member=member
    )
    reported_items_for_review(report=about_member, staff=moderator)
    # Moderation of issue 11: a note naming the member, a decision with a statement of reasons
    # (kept without the member), a restriction and a strike, the member's appeal, and their
    # standing as a reporter (their report of Bob's message dismissed).
    moderation.add_case_note(report=about_member, staff=moderator, text="zqxmarker_1 again")
    restricted = moderation.decide_case(
        report=about_member,
        moderator=moderator,
        action=moderation.RESTRICT,
        days=30,
        statement=moderation.StatementInput(
            ground=Statement.Ground.INCOMPATIBLE,
            terms_clause="4.2",
            ground_explanation="Asking for money is against the terms.",
            facts="A message asked for money.",
        ),
    )
    moderation.file_appeal(
        decision=restricted, appellant=member, explanation="ZQXMARKER did nothing wrong"
    )
    moderation.decide_case(
        report=reported_by_member, moderator=moderator, action=moderation.DISMISS
    )

    # Favourites and blocks, both ways.
    profile_service.add_favourite(member=member, target=bob)
    profile_service.add_favourite(member=bob, target=member)
    profile_service.block_member(member=carol, target=member)

    # A data export, built (the ZIP holds the marker) and its ready mail.
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.request_export(member=member)
    export.refresh_from_db()
    assert export.status == DataExport.Status.READY, "the export was not built"

    # Mail: one sent (the body cleared, the address kept), one pending with the marker.
    sent = queue_mail(
        message=EmailMultiAlternatives("Welcome", "Hi ZQXMARKER", to=[member.email]),
        kind="welcome",
        member=member,
    )
    send_queued_mail(mail_id=sent.pk)
    queue_mail(
        message=EmailMultiAlternatives("Digest", "ZQXMARKER, news", to=[member.email]),
        kind="digest",
        member=member,
    )

    # Admin log rows about the member and their objects.
    member.refresh_from_db()
    log_about(staff, member)
    log_about(staff, first)
    log_about(staff, member.profile)

    photos = [first, second]
    return {
        "member": member,
        "bob": bob,
        "member_id": member.pk,
        "needles": [
            MARKER,
            member.public_id,
            export.public_id,
            *(photo.public_id for photo in photos),
            *(name for photo in photos for name in (photo.image.name, photo.thumbnail.name)),
        ],
        "files": [
            *(name for photo in photos for name in (photo.image.name, photo.thumbnail.name)),
            export.file.name,
        ],
    }


def close_and_erase(member, django_capture_on_commit_callbacks):
    """The member closes the account asking for immediate erasure; the eager task runs on
    commit, as a worker would within minutes."""
    with django_capture_on_commit_callbacks(execute=True):
        erasure.close_account(member=member, erase_immediately=True)


# --- The proof -----------------------------------------------------------------------------------


def test_the_search_sees_the_marker_where_it_was_put(marked, storage_root):
    """The search is able to fail: before erasure it finds the marker in each kind of place."""
    traces = "\n".join(find_traces(marked, storage_root))

    for place in (
        "members_member.username",
        "members_member.email",
        "members_member.first_name",
        "account_emailaddress.email",
        "profiles_profile.description",
        "profiles_profile.free_tags",
        "moderation_notice.explanation",
        "moderation_appeal.explanation",
        "moderation_casenote.text",
        "usersessions_usersession.user_agent",
        "activity_loginrecord.provider",
        "activity_pagevisit.route",
        "django_admin_log.object_repr",
        "members_outgoingmail.to",
        "members_outgoingmail.body_text",
        "members_member.public_id",
        "profiles_photo.image",
        "messaging_message.text (decrypted)",
        "django_session",
        "members_member: the member's row",
        "one of the member's stored files",
    ):
        assert place in traces, f"the search did not find the marker in {place}:\n{traces}"
    assert ".zip -> " in traces  # inside the export ZIP


def test_after_erasure_nothing_of_the_member_is_left(
    marked, storage_root, django_capture_on_commit_callbacks
):
    """R7.3: no table, column, decrypted value, session, cache key or file holds the marker or
    the member's identifiers; no row points at them."""
    close_and_erase(marked["member"], django_capture_on_commit_callbacks)

    traces = find_traces(marked, storage_root)

    assert traces == [], "the erased member left traces:\n" + "\n".join(traces)
    # Statements of reasons that must be kept are kept, without the person (DSA Art. 17).
    assert Statement.objects.filter(member__isnull=True, language="").exists()


def test_erasure_run_again_finds_nothing_to_do(
    marked, storage_root, django_capture_on_commit_callbacks
):
    close_and_erase(marked["member"], django_capture_on_commit_callbacks)

    assert erasure.erase_member(member_id=marked["member_id"]) is False
    assert erasure.erase_due_accounts() == 0
    assert find_traces(marked, storage_root) == []


def test_the_other_member_keeps_a_conversation_with_a_removed_member(
    marked, storage_root, django_capture_on_commit_callbacks, client
):
    """R3.1, R7.3: Bob's conversation still opens; his own message is there, the erased
    member's is not, and they are shown as a removed member he can no longer write to."""
    bob = marked["bob"]
    side = Participant.objects.get(member=bob)
    conversation_url = f"/messages/c/{side.conversation.public_id}/"
    close_and_erase(marked["member"], django_capture_on_commit_callbacks)
    client.cookies["django_language"] = "en"
    client.force_login(bob)

    inbox = client.get("/messages/").content.decode()
    response = client.get(conversation_url)

    assert "Removed member" in inbox
    assert response.status_code == 200
    page = response.content.decode()
    assert "Conversation with Removed member" in page
    assert "Hi there" in page  # Bob's own message
    assert "This message is no longer available." in page
    assert MARKER not in page.lower()
    assert "This member cannot receive messages." in page
    assert Message.objects.filter(conversation=side.conversation, sender=bob).count() == 1
    with pytest.raises(messaging.SendRefused):
        messaging.check_can_send(sender=bob, receiver=None, conversation=side.conversation)
    assert Member.objects.filter(pk=bob.pk, status=Member.Status.ACTIVE).exists()
