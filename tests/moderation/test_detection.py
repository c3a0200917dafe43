"""The site's own check of profile texts (issue 11, "Detection the site does itself"): contact
details, payment and escort terms and the words on the admin list are found, also disguised;
ordinary Dutch and English dating texts are not."""

import logging

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError

from moderation import detection
from moderation.detection import Hit, check_text
from moderation.models import BlockedTerm
from tests.factories import MemberFactory, staff_member

BUILT_IN = ["phone", "email", "web", "payment"]


@pytest.fixture(autouse=True)
def built_in_checks_only(settings, request):
    """Most tests check the patterns alone, without the database; those about the admin list
    turn it on."""
    if "django_db" not in request.keywords:
        settings.MODERATION_TEXT_CHECKS = BUILT_IN


def checks(text: str) -> list[str]:
    return [hit.check for hit in check_text(text)]


PHONE_NUMBERS = [
    "bel me op 06-12345678",
    "bel me: 06 12 34 56 78",
    "06.12.34.56.78",
    "0612345678",
    "0 6 1 2 3 4 5 6 7 8",
    "06 - 123 456 78",
    "06/12345678",
    "020-1234567",
    "010 123 45 67",
    "+31 6 12345678",
    "+31612345678",
    "+31 (0)6 1234 5678",
    "0031 6 1234 5678",
    "0470 12 34 56",
    "0470/12.34.56",
    "+32 470 12 34 56",
    "0032 470 123 456",
    "02 123 45 67",
    "09/123.45.67",
    "+44 7911 123456",
    "nul zes een twee drie vier vijf zes zeven acht",
    "zero six one two three four five six seven eight",
    "o6-12345678",
    "06-1234５６７８",  # full-width digits
    "app me: 06 1234 5678!",
]

EMAIL_ADDRESSES = [
    "jan@gmail.com",
    "mail: lisa.de.vries+dating@ziggo.nl",
    "jan at gmail dot com",
    "jan (at) hotmail (punt) nl",
    "jan [at] telenet [dot] be",
    "jan @ gmail . com",
    "lisa apenstaartje outlook punt com",
    "mail me: lisa93 at hotmail",
    "jan at gmail.com",
]

WEB_ADDRESSES = [
    "kijk op www.mijnsite.nl",
    "https://example.org/over-mij",
    "http ://example.org",
    "mijnsite.nl",
    "lisa.com/fotos",
    "lisa-fotos.be",
    "mijnsite punt nl",
    "lisa dot com",
    "volg me op @lisa_93",
    "snap: lisa93",
    "snapchat lisa_b",
    "insta @lisavdb",
    "ig: lisa.bakker",
    "telegram lisa93",
    "Telegram: lisa",
    "whatsapp me via wa.me/31612345678",
    "t.me/lisa",
    "kik -> lisavdb",
]

PAYMENT_TERMS = [
    "stuur me een tikkie",
    "via tikkie",
    "betaal met paypal",
    "PayPal",
    "p a y p a l",
    "p.a.y.p.a.l",
    "ik wil bitcoin",
    "gift card",
    "een cadeaukaart van de bol.com",
    "steam card",
    "paysafecard",
    "western union",
    "escort service",
    "Escortdame in Antwerpen",
    "100 euro per uur",
    "€50",
    "€ 1.000,-",
    "50 euro",
    "EUR 75",
    "75,- p.u.",
    "$200",
    "sugar daddy gezocht",
    "looking for a sugar baby",
    "OnlyFans link in bio",
    "massage met happy end",
    "tegen betaling",
    "geld lenen",
    "financiële steun gezocht",
    "my rates are negotiable",
    "NL91 ABNA 0417 1643 00",
]


@pytest.mark.parametrize("text", PHONE_NUMBERS)
def test_phone_numbers_are_found(text):
    assert "phone" in checks(text)


@pytest.mark.parametrize("text", EMAIL_ADDRESSES)
def test_email_addresses_are_found(text):
    assert "email" in checks(text)


@pytest.mark.parametrize("text", WEB_ADDRESSES)
def test_web_addresses_and_messenger_handles_are_found(text):
    assert "web" in checks(text)


@pytest.mark.parametrize("text", PAYMENT_TERMS)
def test_payment_and_escort_terms_are_found(text):
    assert "payment" in checks(text)


ORDINARY_TEXTS = [
    "ik ben 1.80 m",
    "Ik ben 1,65 lang en heb 2 kinderen (6 en 9).",
    "Mijn lengte: 1,80m, gewicht 75kg",
    "born in 1990",
    "I like 3 things: coffee, dogs and long walks.",
    "Ik fiets graag langs de Maas.",
    "Ik ben 45 jaar en woon in Utrecht, 2 kinderen (8 en 10).",
    "ik ben 35 en zoek iemand tussen 30-40",
    "ik werk van 09.00-17.00 5 dagen per week",
    "Werkdagen 08:30-17:00, weekend vrij",
    "Ik sta om 06.30 op en werk tot 17.00",
    "geboren op 01-05-1990, 2 kinderen",
    "getrouwd van 05-06-2001 tot 2015",
    "Postcode 1234 AB, huisnummer 12",
    "Top 5: 1. koken 2. fietsen 3. lezen 4. reizen 5. muziek",
    "Love to travel: been to 12 countries. 2019 was Japan, 2022 Peru.",
    "Tussen 1990 en 2000 woonde ik in 3 landen",
    "een twee drie vier vijf zes zeven acht negen",
    "score 10/10, would date again",
    "ik fiets 20 km per uur",
    "I run 10 miles per hour on a good day",
    "Ik hou van films met een happy end",
    "ik ben een tikkie eigenwijs",
    "ik rij in een Ford Escort",
    "Johnny Cash fan",
    "I live at home. Be yourself, that is what I like.",
    "Let's meet at the lake. Me and my dog go there every day.",
    "Ik ben net verhuisd.Net als jij hou ik van fietsen.",
    "Ik woon in Gent.Be welkom!",
    "I love snapchat and instagram",
    "ik zit op insta en snap, maar liever in het echt",
    "ik supporter sc heerenveen",
    "Signal is important in communication",
    "Dit is m.i. de beste e.g. i.e. etc.",
    "Mr.Bean is grappig",
    "ik drink graag een biertje of 2",
    "Ik betaal de eerste date, jij de tweede!",
    "I work 40 hours per week, 9 to 5",
    "Op zoek naar een leuke date 😊 ik ben spontaan, eerlijk en hou van koken.",
    "Je cherche quelqu'un de gentil à Liège.",
    "",
]


@pytest.mark.parametrize("text", ORDINARY_TEXTS)
def test_ordinary_dating_texts_do_not_match(text):
    assert checks(text) == []


def test_a_text_can_hit_several_checks_in_a_fixed_order():
    assert checks("€100 per uur, mail lisa@example.nl of bel 0612345678") == [
        "phone",
        "email",
        "payment",
    ]


def test_each_group_can_be_switched_off(settings):
    text = "bel 0612345678 of mail lisa@example.nl"
    settings.MODERATION_TEXT_CHECKS = ["email"]
    assert checks(text) == ["email"]
    settings.MODERATION_TEXT_CHECKS = []
    assert checks(text) == []


def test_an_unknown_check_in_the_setting_is_an_error(settings):
    settings.MODERATION_TEXT_CHECKS = ["phone", "horoscope"]
    with pytest.raises(ValueError, match="horoscope"):
        check_text("hallo")


def test_a_hit_names_the_check_and_holds_no_text():
    """A hit can be stored and logged: it says which check matched, never what."""
    (hit,) = check_text("bel 0612345678")
    assert hit == Hit("phone")
    assert str(hit.label) == "Phone number"
    assert "0612345678" not in repr(hit)


def test_checking_logs_nothing_of_the_text(caplog):
    with caplog.at_level(logging.DEBUG):
        check_text("bel me op 0612345678 of mail geheim@example.org")
    assert "0612345678" not in caplog.text and "geheim" not in caplog.text


# --- The list in admin --------------------------------------------------------------------------


@pytest.mark.django_db
def test_blocked_terms_match_whole_words_ignoring_case_accents_and_spacing():
    BlockedTerm.objects.create(term="sugar baby")
    BlockedTerm.objects.create(term="Fernandó")
    BlockedTerm.objects.create(term="cash only", active=False)

    assert checks("Zoek een Sugar   Baby") == ["payment", "blocked_terms"]
    assert checks("FERNANDO zoekt vrienden") == ["blocked_terms"]
    assert checks("fernandos") == []  # a whole word only
    assert checks("cash only") == []  # inactive


@pytest.mark.django_db
def test_the_blocked_terms_check_can_be_switched_off(settings):
    BlockedTerm.objects.create(term="kaasschaaf")
    settings.MODERATION_TEXT_CHECKS = ["phone"]
    assert checks("ik heb een kaasschaaf") == []
    settings.MODERATION_TEXT_CHECKS = ["blocked_terms"]
    assert checks("ik heb een kaasschaaf") == ["blocked_terms"]


@pytest.mark.django_db
def test_a_term_is_on_the_list_once_whatever_its_capitals():
    BlockedTerm.objects.create(term="Kaasschaaf")
    with pytest.raises(IntegrityError):
        BlockedTerm.objects.create(term="kaasSCHAAF")


def blocked_term_staff(*codenames):
    member = staff_member("Helpdesk")
    member.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="moderation", codename__in=codenames)
    )
    return member


ADMIN = "/admin/moderation/blockedterm/"
ALL_PERMISSIONS = (
    "view_blockedterm",
    "add_blockedterm",
    "change_blockedterm",
    "delete_blockedterm",
)


@pytest.mark.django_db
def test_staff_with_the_permissions_keep_the_list_and_are_recorded(client):
    """The list in admin: add, change and delete need their permission; who added a term is
    recorded from the log-in, not from the form."""
    staff = blocked_term_staff(*ALL_PERMISSIONS)
    someone_else = MemberFactory(username="iemand")
    client.force_login(staff)
    client.cookies["django_language"] = "en"

    response = client.post(
        f"{ADMIN}add/",
        {
            "term": "  sugar   baby ",
            "note": "spam wave",
            "active": "on",
            "added_by": someone_else.pk,
        },
    )

    assert response.status_code == 302
    term = BlockedTerm.objects.get()
    assert term.term == "sugar baby"
    assert term.added_by == staff
    assert "sugar baby" in client.get(ADMIN).content.decode()
    response = client.post(f"{ADMIN}{term.pk}/change/", {"term": "sugar baby", "note": ""})
    assert response.status_code == 302
    term.refresh_from_db()
    assert not term.active
    assert client.post(f"{ADMIN}{term.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not BlockedTerm.objects.exists()


@pytest.mark.django_db
def test_a_duplicate_or_one_letter_term_is_refused_with_a_message(client):
    client.force_login(blocked_term_staff(*ALL_PERMISSIONS))
    client.cookies["django_language"] = "en"
    BlockedTerm.objects.create(term="Kaasschaaf")

    duplicate = client.post(f"{ADMIN}add/", {"term": "kaasschaaf", "active": "on"})
    too_short = client.post(f"{ADMIN}add/", {"term": " é ", "active": "on"})

    assert "already on the list" in duplicate.content.decode()
    assert "at least 2 letters" in too_short.content.decode()
    assert BlockedTerm.objects.count() == 1


@pytest.mark.django_db
def test_staff_without_the_permissions_cannot_open_or_change_the_list(client):
    BlockedTerm.objects.create(term="kaasschaaf")
    client.force_login(blocked_term_staff("view_blockedterm"))

    assert client.get(ADMIN).status_code == 200
    assert client.post(f"{ADMIN}add/", {"term": "nieuw", "active": "on"}).status_code == 403
    assert BlockedTerm.objects.count() == 1

    client.force_login(staff_member("Helpdesk"))
    assert client.get(ADMIN).status_code == 403


def test_normalising_joins_spaced_letters_and_drops_accents_and_invisible_characters():
    assert detection.normalise("P a y P a l") == "paypal"
    assert detection.normalise("Café\u200b Zoë") == "cafe zoe"
    assert detection.normalise("0 6 1 2") == "0 6 1 2"  # digits stay for the phone check
