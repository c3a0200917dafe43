"""Message text (and the profile's special-category data) encrypted at rest with keys from the
settings, rotatable by a command that re-encrypts (R9.1, R8.1)."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from messaging import services
from messaging.models import Message
from payments.services import adjust_credits
from profiles.models import Profile
from profiles.services import give_special_category_consent, set_sexual_preferences
from tests.factories import MemberFactory, make_profile

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Mijn adres is Prinsengracht 263 en ik ben op zoek naar een vrouw"
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def send(text=SECRET_TEXT) -> Message:
    alice = MemberFactory(username="alice_geheim")
    bob = MemberFactory(username="bob_geheim")
    adjust_credits(member=alice, credits=10, reason="test", staff=MemberFactory(is_staff=True))
    return services.send_message(sender=alice, receiver=bob, text=text)


def raw_rows(table: str) -> list[tuple]:
    """Every column of every row, as a database dump would show it."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (fixed table names)
        return cursor.fetchall()


def raw_text(message) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM messaging_message WHERE id = %s", [message.pk])
        return cursor.fetchone()[0]


def fresh_text(message) -> str:
    return Message.objects.get(pk=message.pk).text


def rotate() -> str:
    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    return out.getvalue()


def test_a_database_dump_shows_no_message_text():
    """R9.1: the stored column holds a Fernet token; no column of the table holds the text or
    any word of it."""
    message = send()

    dump = " ".join(str(value) for row in raw_rows("messaging_message") for value in row)
    assert SECRET_TEXT not in dump
    # Whole words: a number like 263 may well be part of an id ("3263") in the dump.
    words = set(dump.replace(",", " ").split())
    for word in ("Prinsengracht", "263", "vrouw"):
        assert word not in words
    assert "Prinsengracht" not in dump
    assert raw_text(message).startswith("gAAAA")  # a Fernet token
    assert fresh_text(message) == SECRET_TEXT


def test_old_rows_still_decrypt_after_a_new_key_is_put_first(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    message = send()

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert fresh_text(message) == SECRET_TEXT

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(ValueError):
        fresh_text(message)


def test_the_rotation_command_re_encrypts_messages_and_special_category_data(settings):
    """After `rotate_encryption_keys` every row decrypts with the new key alone, so the old one
    can be dropped; the profile's sexual preferences rotate with the messages."""
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    message = send()
    removed = send_removed_message()
    member = MemberFactory(username="carol_bijzonder")
    make_profile(member, place="Utrecht")
    give_special_category_consent(member=member)
    set_sexual_preferences(member=member, preferences=["bisexual"])
    old_token = raw_text(message)

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    output = rotate()
    assert "messaging.Message.text: 1 re-encrypted" in output
    assert "profiles.Profile.sexual_preferences_encrypted: 1 re-encrypted" in output

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert raw_text(message) != old_token
    assert fresh_text(message) == SECRET_TEXT
    assert Profile.objects.get(member=member).sexual_preferences == ["bisexual"]
    assert raw_text(removed) == ""  # nothing to encrypt stays empty
    # Running it again (after a crash midway, say) is harmless.
    rotate()
    assert fresh_text(message) == SECRET_TEXT

    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    with pytest.raises(ValueError):
        fresh_text(message)


def send_removed_message() -> Message:
    carol = MemberFactory()
    dave = MemberFactory()
    adjust_credits(member=carol, credits=10, reason="test", staff=MemberFactory(is_staff=True))
    message = services.send_message(sender=carol, receiver=dave, text="Weg ermee")
    services.remove_message(message=message)
    return message
