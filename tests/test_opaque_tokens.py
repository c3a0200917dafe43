"""Tokens in links carry no readable database id (SECURITY.md): a signed but readable
`["profile", 50]` or `[1, 10]` tells sign-up order and counts. Each token's payload, decoded
as Django's signing does (base64, zlib), holds ciphertext only; the links still work (the
moderation and privacy tests go through them end to end) and links mailed in the old format
keep working until they expire."""

import json
import zlib
from types import SimpleNamespace

import pytest
from django.core import signing

from members.tokens import dumps_sealed, loads_sealed
from moderation import links, services
from privacy import request_actions, requests
from profiles.models import Profile
from tests.factories import staff_member
from tests.moderation.member_helpers import member_with_photo
from tests.moderation.support import decide

pytestmark = pytest.mark.django_db

DECISION, MEMBER, NOTICE, REQUEST = 123456789, 987654321, 555444333, 222111000


def payload_of(token: str) -> bytes:
    """What anyone can read from a token of django.core.signing: its first part, base64 and,
    when it starts with ".", zlib-compressed."""
    payload = token.split(":")[0]
    data = signing.b64_decode(payload.lstrip(".").encode())
    return zlib.decompress(data) if payload.startswith(".") else data


def readable(data: bytes):
    try:
        return json.loads(data.decode())
    except (UnicodeDecodeError, ValueError):
        return None


def ids_in(data: bytes, ids) -> list[int]:
    return [number for number in ids if str(number).encode() in data]


def test_the_check_reads_the_ids_of_a_plainly_signed_token():
    """The check below would find the ids in the old format (it can fail)."""
    old = signing.dumps([DECISION, MEMBER], salt=services.APPEAL_TOKEN_SALT, compress=True)

    assert readable(payload_of(old)) == [DECISION, MEMBER]
    assert ids_in(payload_of(old), [DECISION, MEMBER]) == [DECISION, MEMBER]


def test_no_token_in_a_link_shows_a_database_id():
    decision, member = SimpleNamespace(pk=DECISION), SimpleNamespace(pk=MEMBER)
    notice, privacy_request = SimpleNamespace(pk=NOTICE), SimpleNamespace(pk=REQUEST)
    export = SimpleNamespace(public_id="exp_opaque")
    bob, photo = member_with_photo("bob")
    tokens = {
        "appeal": services.appeal_token(decision=decision, member=member),
        "notice appeal": services.notice_appeal_token(decision=decision, notice=notice),
        "verification": requests.verification_token(privacy_request, member=member),
        "export link": request_actions.export_token(privacy_request, export),
        "report photo": links.item_token(photo),
        "report profile": links.item_token(Profile.objects.get(member=bob)),
    }
    ids = [DECISION, MEMBER, NOTICE, REQUEST]

    for name, token in tokens.items():
        data = payload_of(token)
        assert readable(data) is None, name
        assert ids_in(data, ids) == [], name
        assert b"profile" not in data and b"photo" not in data, name
    # The same length for small and large ids: the length tells no count either.
    small = services.appeal_token(decision=SimpleNamespace(pk=1), member=SimpleNamespace(pk=2))
    assert len(small) == len(tokens["appeal"])


def test_sealed_tokens_are_signed_timestamped_and_bound_to_their_salt():
    token = dumps_sealed([DECISION, MEMBER], salt="one")

    assert loads_sealed(token, salt="one", max_age=60) == [DECISION, MEMBER]
    with pytest.raises(signing.BadSignature):
        loads_sealed(token, salt="another")
    with pytest.raises(signing.BadSignature):
        loads_sealed(token[:-2] + "xx", salt="one")
    with pytest.raises(signing.SignatureExpired):
        loads_sealed(token, salt="one", max_age=-1)


def test_old_readable_tokens_are_read_only_where_links_were_mailed():
    old = signing.dumps([DECISION, MEMBER], salt="one", compress=True)

    assert loads_sealed(old, salt="one", max_age=60, legacy=True) == [DECISION, MEMBER]
    with pytest.raises(signing.BadSignature):
        loads_sealed(old, salt="one")
    with pytest.raises(signing.SignatureExpired):
        loads_sealed(old, salt="one", max_age=-1, legacy=True)


def test_a_report_link_names_its_item_and_an_old_one_does_not(member):
    _bob, photo = member_with_photo("bob")

    assert links.item_from_token(links.item_token(photo)) == photo
    old = signing.dumps(["photo", photo.pk], salt=links.SALT, compress=True)
    assert links.item_from_token(old) is None


def test_a_verification_link_mailed_in_the_old_format_still_works(member):
    privacy_request = requests.create_request(
        email="alice@example.org",
        subject="Inzage",
        description="Alles graag",
        type="access",
        language="en",
        member=member,
    )
    old = signing.dumps(
        {"r": privacy_request.pk, "m": member.pk}, salt=requests.VERIFY_SALT, compress=True
    )

    assert requests.request_for_token(old) == (privacy_request, member)
    new = requests.verification_token(privacy_request, member=member)
    assert requests.request_for_token(new) == (privacy_request, member)


def test_appeal_links_mailed_in_the_old_format_still_work(member):
    bob, photo = member_with_photo("bob")
    notice = services.submit_notice(
        item=photo,
        category="scam",
        explanation="Dit is mijn foto, niet de hare.",
        good_faith=True,
        name="Vera Visser",
        email="vera@example.org",
        language="nl",
    )
    decision = decide(notice.report, staff_member("Moderators"), services.REMOVE)
    old_member = signing.dumps(
        [decision.pk, bob.pk], salt=services.APPEAL_TOKEN_SALT, compress=True
    )
    old_visitor = signing.dumps(
        [decision.pk, notice.pk], salt=services.NOTICE_APPEAL_TOKEN_SALT, compress=True
    )

    assert services.read_appeal_token(old_member) == (decision, bob)
    assert services.read_notice_appeal_token(old_visitor) == (decision, notice)
    new = services.appeal_token(decision=decision, member=bob)
    assert services.read_appeal_token(new) == (decision, bob)
