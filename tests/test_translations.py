"""Dutch is complete (locale/nl), and the compiled catalogue is the current one."""

from pathlib import Path

import polib
from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def test_every_dutch_entry_is_translated_and_none_is_fuzzy():
    po = polib.pofile(str(LOCALE / "nl/LC_MESSAGES/django.po"))

    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    assert len(po.translated_entries()) > 50


def test_the_compiled_catalogue_matches_the_translations():
    """`make messages` was run after the last edit: the .mo holds what the .po says."""
    po = polib.pofile(str(LOCALE / "nl/LC_MESSAGES/django.po"))
    mo = polib.mofile(str(LOCALE / "nl/LC_MESSAGES/django.mo"))
    compiled = {
        (entry.msgctxt, entry.msgid): entry.msgstr for entry in mo if not entry.msgid_plural
    }
    for entry in po.translated_entries():
        if not entry.msgid_plural:
            assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, entry.msgid


def test_the_same_word_can_mean_two_things():
    """A closed account is "opgeheven", a closed helpdesk request "afgesloten"."""
    with translation.override("nl"):
        assert translation.gettext("Closed") == "Opgeheven"
        assert translation.pgettext("privacy request", "Closed") == "Afgesloten"


def test_dutch_is_served():
    with translation.override("nl"):
        assert translation.gettext("Log in") == "Inloggen"
