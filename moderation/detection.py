"""The site's own check of texts members write on their profile (issue 11, "Detection the
site does itself"): does a text hold contact details or payment and escort terms that belong in
a private conversation on the site, not on a public profile?

`check_text(text)` returns the checks that matched, as `Hit`s, and nothing of the text: callers
store and log the check names only. Which checks run is a setting:

    MODERATION_TEXT_CHECKS = ["phone", "email", "web", "payment", "blocked_terms"]

- phone: Dutch and Belgian numbers (06-12345678, 020 123 4567, 0470 12 34 56, +31 6 ...,
  0032 ...), any number written with "+" or "00" and a country code, also with spaces, dots,
  dashes or slashes between the digits, and digits written as words ("nul zes een twee ...").
- email: addresses, also written as "name at domain dot com", "naam (at) gmail punt nl".
- web: http(s) links, www. addresses, domain names (mysite.nl), "@handle", links to messengers
  (wa.me, t.me) and a messenger name followed by a handle ("snap: lisa_93", "insta @lisa").
- payment: payment and escort terms in Dutch and English (built-in lists below) and amounts of
  money ("€ 50", "50 euro").
- blocked_terms: the words and phrases moderators keep in admin (models.BlockedTerm).

Texts are compared in a normalised form (Unicode NFKC, lower case, accents and zero-width
characters removed, letters spaced out as "p a y p a l" joined), so simple disguises match.
The checks are tuned not to match ordinary dating texts: heights ("1.80 m"), years ("born in
1990"), ages, dates, prices without a currency and speeds ("20 km per uur") do not match.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

PHONE = "phone"
EMAIL = "email"
WEB = "web"
PAYMENT = "payment"
BLOCKED_TERMS = "blocked_terms"

CHECK_LABELS = {
    PHONE: _("Phone number"),
    EMAIL: _("E-mail address"),
    WEB: _("Web address or messenger handle"),
    PAYMENT: _("Payment or escort terms"),
    BLOCKED_TERMS: _("A word on the list of blocked terms"),
}
ALL_CHECKS = list(CHECK_LABELS)
DEFAULT_CHECKS = ALL_CHECKS


@dataclass(frozen=True)
class Hit:
    """One check that matched. Holds no part of the text, so it can be stored and logged."""

    check: str

    @property
    def label(self):
        return CHECK_LABELS.get(self.check, self.check)


def enabled_checks() -> list[str]:
    checks = getattr(settings, "MODERATION_TEXT_CHECKS", DEFAULT_CHECKS)
    unknown = set(checks) - set(ALL_CHECKS)
    if unknown:
        raise ValueError(f"unknown MODERATION_TEXT_CHECKS: {sorted(unknown)}")
    return list(checks)


# --- Normalising --------------------------------------------------------------------------------

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# Separators people put between digits or letters to get past a filter.
SEPARATOR = r"[\s.\-/\\_*|~,()\[\]]"
SPACED_LETTERS = re.compile(rf"\b(?:[a-z0-9]{SEPARATOR}{{1,2}}){{3,}}[a-z0-9]\b", re.IGNORECASE)


def normalise(text: str, *, keep_case: bool = False) -> str:
    """Lower case (unless `keep_case`), NFKC (full-width and styled letters become plain
    ones), no accents, no zero-width characters, and letters spaced out as "p a y p a l" or
    "p.a.y.p.a.l" joined."""
    text = unicodedata.normalize("NFKC", text or "").translate(ZERO_WIDTH)
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    if keep_case:
        return SPACED_LETTERS.sub(_join_spaced, text)
    return SPACED_LETTERS.sub(_join_spaced, text.casefold())


def _join_spaced(match: re.Match) -> str:
    joined = re.sub(SEPARATOR, "", match.group(0))
    # Spaced digits stay spaced: the phone check reads them, and "1 2 3" is no word.
    return joined if not joined.isdigit() else match.group(0)


# --- Phone numbers ------------------------------------------------------------------------------

DIGIT_WORDS = {
    # Dutch
    "nul": "0",
    "een": "1",
    "twee": "2",
    "drie": "3",
    "vier": "4",
    "vijf": "5",
    "zes": "6",
    "zeven": "7",
    "acht": "8",
    "negen": "9",
    # English
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
DIGIT_WORD = re.compile(r"\b(" + "|".join(DIGIT_WORDS) + r")\b")
# An "o" written for a zero next to digits: "o6-12345678".
LETTER_O_FOR_ZERO = re.compile(r"(?<=\d)o|o(?=\d)")
# A run of digits with at most three separators between each two; "+" or "00" may lead. A
# comma ends a run: in prose it separates list items ("09.00-17.00, 5 dagen").
DIGIT_SEPARATOR = r"[\s.\-/\\_*|~()\[\]]"
DIGIT_RUN = re.compile(rf"(\+\s*)?\d(?:{DIGIT_SEPARATOR}{{0,3}}\d)+")
# Times and dates are no phone numbers, even next to other digits ("09.00-17.00 5 dagen").
HOUR = r"(?:[01]?\d|2[0-4])"
TIME_RANGE = re.compile(
    rf"(?<![\d.]){HOUR}[.:h][0-5]\d\s*(?:-|\u2013|tot|to|till|until)\s*{HOUR}[.:h][0-5]\d"
    r"(?![.\-/]?\d)"
)
DATE = re.compile(
    r"(?<![\d.\-/])(?:0?[1-9]|[12]\d|3[01])([.\-/])(?:0?[1-9]|1[0-2])\1(?:19|20)\d{2}"
    r"(?![.\-/]?\d)"
)


def _is_phone_number(prefix_plus: bool, digits: str) -> bool:
    if prefix_plus or digits.startswith("00"):
        # International: +31 6 12345678, 0032 470 123456, +44 7911 123456. "(0)" after the
        # country code is a common way to write it: +31 (0)6 ...
        national = digits[2:] if digits.startswith("00") else digits
        if national[:2] in ("31", "32") and national[2:3] == "0":
            national = national[:2] + national[3:]
        return 9 <= len(national) <= 15
    if digits.startswith("0"):
        # Dutch numbers have 10 digits with the leading 0, Belgian ones 9 (fixed) or 10
        # (mobile). A date (01-05-1990) has 8, a time or a postcode fewer.
        return len(digits) in (9, 10)
    return False


def _has_phone_number(text: str) -> bool:
    text = DATE.sub(" ; ", TIME_RANGE.sub(" ; ", text))
    digitised = DIGIT_WORD.sub(lambda m: DIGIT_WORDS[m.group(1)], text)
    digitised = LETTER_O_FOR_ZERO.sub("0", digitised)
    for candidate in {text, digitised}:
        for match in DIGIT_RUN.finditer(candidate):
            digits = re.sub(r"\D", "", match.group(0))
            if _is_phone_number(bool(match.group(1)), digits):
                return True
    return False


# --- E-mail addresses ---------------------------------------------------------------------------

EMAIL_PLAIN = re.compile(r"[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b")
MAIL_TLDS = r"com|nl|be|net|org|eu|info|io|me|de|fr|co\.uk|biz"
# "@" written out or in brackets: "jan (at) gmail (dot) com", "jan @ gmail . com".
AT_SIGN = r"(?:@|\(\s*at\s*\)|\[\s*at\s*\]|\{\s*at\s*\}|<\s*at\s*>|\bapenstaartje\b)"
DOT_WORD = (
    r"(?:\(\s*(?:dot|punt)\s*\)|\[\s*(?:dot|punt)\s*\]|\{\s*(?:dot|punt)\s*\}|\bdot\b|\bpunt\b)"
)
EMAIL_BRACKETED = re.compile(
    rf"[\w.+-]+\s*{AT_SIGN}\s*[a-z0-9-]+\s*(?:\.|{DOT_WORD})\s*(?:{MAIL_TLDS})\b"
)
# The bare word "at" is ordinary English ("at home. Be yourself"): then the dot is a word or
# written without a space before it ("jan at gmail dot com", "jan at gmail.com").
EMAIL_AT_WORD = re.compile(rf"[\w.+-]+\s+at\s+[a-z0-9-]+(?:\s*{DOT_WORD}\s*|\.)(?:{MAIL_TLDS})\b")
# "jan93 at hotmail": the provider says it is an address even without its ending.
MAIL_PROVIDERS = (
    r"gmail|hotmail|outlook|yahoo|icloud|telenet|skynet|ziggo|kpnmail|kpnplanet|"
    r"protonmail|gmx"
)
EMAIL_PROVIDER = re.compile(rf"[\w.+-]+\s*(?:{AT_SIGN}|\bat\b)\s*(?:{MAIL_PROVIDERS})\b")


def _has_email_address(text: str) -> bool:
    patterns = (EMAIL_PLAIN, EMAIL_BRACKETED, EMAIL_AT_WORD, EMAIL_PROVIDER)
    return any(pattern.search(text) for pattern in patterns)


# --- Web addresses and messenger handles --------------------------------------------------------

URL = re.compile(r"\bhttps?\s*:\s*/\s*/|\bwww\s*(?:\.|\bdot\b|\bpunt\b|\(\s*(?:dot|punt)\s*\))")
# A bare domain name: "mijnsite.nl", "lisa.com/foto". Labels need a letter (so "1.80" is no
# domain). Read on the text with its case kept: an ending in title case is a sentence after a
# missing space ("verhuisd.Net als jij", "in Gent.Be welkom"), not a domain.
DOMAIN = re.compile(
    r"(?<![\w.@-])(?P<label>[a-z0-9-]*[a-z][a-z0-9-]*)(?:\.[a-z0-9-]+)*"
    r"\.(?P<tld>com|nl|be|net|org|eu|info|io|app|online|site|xyz|shop|link|gg|club|biz|tv|"
    r"co\.uk)(?![a-z0-9-])",
    re.IGNORECASE,
)
# A domain written out: "mijnsite punt nl", "lisa dot com", "lisa (dot) be".
DOMAIN_SPELLED = re.compile(rf"\b[a-z0-9-]{{2,}}\s*{DOT_WORD}\s*(?:com|nl|be|net|org|eu|info|io)\b")
MESSENGER_LINK = re.compile(
    r"\b(?:wa\.me|t\.me|snapchat\.com|instagram\.com|tiktok\.com|onlyfans\.com)\b"
)
HANDLE = re.compile(r"(?<![\w.@])@[a-z0-9_][a-z0-9_.]*[a-z0-9_]")
MESSENGERS = (
    r"snap(?:chat)?|sc|insta(?:gram)?|ig|telegram|tg|whats\s*app|wapp|kik|signal|facebook|fb|"
    r"tik\s*tok|twitter|discord|skype|wechat|wickr|threema|only\s*fans"
)
JOINER = r"(?:id|naam|name|is|me|op|on|at|via|add|toevoegen|:|=|-+>?|>|\u2192)"
# The messenger, a few joining words or signs, then a handle: any word after ":", "=", "->" or
# "@", or a word with a digit, "_" or an inner "." in it ("lisa_93", "jan.devries").
MESSENGER_HANDLE = re.compile(
    rf"\b(?:{MESSENGERS})\b(?:\s*{JOINER}){{0,3}}\s*"
    r"(?:"
    r"(?<=[:=>\u2192])\s*@?[a-z][a-z0-9_.]{2,}"
    r"|(?<=[:=>\u2192]\s)@?[a-z][a-z0-9_.]{2,}"
    r"|@[a-z0-9_][a-z0-9_.]{2,}"
    r"|[a-z][a-z0-9]*(?:[0-9_]|\.[a-z0-9])[a-z0-9_.]*"
    r")"
)


def _has_web_address(text: str, case_kept: str) -> bool:
    patterns = (URL, DOMAIN_SPELLED, MESSENGER_LINK, HANDLE, MESSENGER_HANDLE)
    if any(pattern.search(text) for pattern in patterns):
        return True
    for match in DOMAIN.finditer(case_kept):
        tld = match.group("tld")
        if tld != tld.lower() and tld != tld.upper():
            continue  # "Net", "Be": a new sentence
        if tld.lower() == "be" and len(match.group("label")) < 3:
            continue  # "to.be"
        return True
    return False


# --- Payment and escort terms -------------------------------------------------------------------

PAYMENT_TERMS = [
    # Payment services and means
    r"pay\s*pal",
    # "een tikkie eigenwijs" is "a bit stubborn": only the payment request counts.
    r"(?:via|per|met|stuur\s*(?:me\s*)?(?:een\s*)?)\s*tikkie",
    r"tikkies|tikkie\s*(?:sturen|link|betaalverzoek|app)",
    r"bitcoins?",
    r"btc",
    r"ethereum",
    r"crypto(?:munt|munten|currency|s)?",
    r"usdt",
    r"western\s*union",
    r"money\s*gram",
    r"pay\s*safe\s*(?:card|kaart)?",
    r"gift\s*cards?",
    r"cadeau\s*(?:kaart|kaarten|bon|bonnen)",
    r"(?:steam|google\s*play|itunes|apple|amazon|bol(?:\.com)?)\s*(?:kaart|card|tegoed|bon)s?",
    r"bank\s*rekening(?:nummer)?",
    r"rekening\s*nummer",
    r"bank\s*(?:account|details)",
    r"iban",
    r"(?:nl|be)\d{2}\s?[a-z]{4}(?:\s?\d){10}",  # a Dutch IBAN
    r"be\d{2}(?:\s?\d{4}){3}",  # a Belgian IBAN
    r"geld\s*(?:over\s*maken|overmaken|sturen|lenen)",
    r"(?:send|lend|wire)\s*(?:me\s*)?money",
    r"financiele\s*(?:steun|hulp)",
    r"financial\s*(?:support|help)",
    r"tegen\s*(?:betaling|vergoeding)",
    r"for\s*(?:a\s*)?(?:fee|payment)",
    # Escort and paid sex
    r"(?<!ford\s)escort(?:s|e|es|service|dame|dames|girl|girls)?",
    r"sugar\s*(?:daddy|daddies|mommy|mama|baby|babies)",
    r"(?<!km\s)(?<!mijl\s)(?<!kilometer\s)per\s*uur",
    r"(?<!km\s)(?<!mile\s)(?<!miles\s)per\s*hour",
    r"hourly\s*rate",
    r"uur\s*tarief",
    r"mijn\s*(?:tarief|tarieven|prijzen)",
    r"my\s*(?:rates|prices)",
    r"massage\s*(?:met|with)\s*(?:een\s*|a\s*)?happy\s*end(?:ing)?",
    r"happy\s*ending\s*massage",
    r"only\s*fans",
    r"(?:web)?cam\s*shows?",
    r"betaalde\s*(?:seks|sex|date|dates|afspraak|afspraken)",
    r"paid\s*(?:sex|dates?|meetings?)",
    r"(?:sex|seks)\s*(?:tegen|voor)\s*geld",
    r"pay\s*per\s*minute",
]
PAYMENT_PATTERN = re.compile(r"\b(?:" + "|".join(PAYMENT_TERMS) + r")\b")
# An amount of money: "€50", "€ 1.000,-", "50 euro", "EUR 50", "$100", "50 eur", "50,-".
MONEY = re.compile(
    r"[€$£]\s*\d"
    r"|\beur(?:o|os)?\s*\d"
    r"|\d\s*(?:[€$£]|(?<![a-z])eur(?:o|os)?\b)"
    r"|\d,-(?!\d)"
)


def _has_payment_terms(text: str) -> bool:
    return bool(PAYMENT_PATTERN.search(text) or MONEY.search(text))


# --- The list in admin --------------------------------------------------------------------------


def term_pattern(term: str) -> re.Pattern | None:
    """A blocked term as a pattern on normalised text: whole words, any spacing between them."""
    words = normalise(term).split()
    if not words:
        return None
    body = r"\s+".join(re.escape(word) for word in words)
    start = r"\b" if re.match(r"\w", words[0]) else ""
    end = r"\b" if re.search(r"\w$", words[-1]) else ""
    return re.compile(start + body + end)


def matches_terms(text: str, terms) -> bool:
    """Whether `text` holds any of `terms` (a recheck of texts already shown, for new terms
    only: what the other checks found in them a moderator has judged before)."""
    if not text or not text.strip() or BLOCKED_TERMS not in enabled_checks():
        return False
    normal = normalise(text)
    patterns = [term_pattern(term) for term in terms]
    return any(pattern.search(normal) for pattern in patterns if pattern is not None)


def _has_blocked_term(text: str) -> bool:
    from .models import BlockedTerm

    for term in BlockedTerm.objects.filter(active=True).values_list("term", flat=True):
        pattern = term_pattern(term)
        if pattern is not None and pattern.search(text):
            return True
    return False


# --- The check ----------------------------------------------------------------------------------


def check_text(text: str) -> list[Hit]:
    """The enabled checks that match `text`, in the order of CHECK_LABELS; [] for none. One
    query when the blocked-terms check is on and the text is not empty."""
    if not text or not text.strip():
        return []
    checks = enabled_checks()
    normal = normalise(text)
    case_kept = normalise(text, keep_case=True)
    found = []
    tests = {
        PHONE: lambda: _has_phone_number(normal),
        EMAIL: lambda: _has_email_address(normal),
        WEB: lambda: _has_web_address(normal, case_kept),
        PAYMENT: lambda: _has_payment_terms(normal),
        BLOCKED_TERMS: lambda: _has_blocked_term(normal),
    }
    for check in ALL_CHECKS:
        if check in checks and tests[check]():
            found.append(Hit(check))
    return found


def check_names(hits) -> list[str]:
    return [hit.check for hit in hits]
