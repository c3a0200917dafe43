"""What a campaign mail looks like: the staff-written text (a safe HTML subset) in the site's
mail layout, with the reason the member gets it and the unsubscribe link, as a subject, a
plain-text part and an HTML part.

No open or click tracking: no pixel, no rewritten links. Links go where staff wrote them.
"""

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

from members.services import mail_language

# The subset staff may write in: paragraphs, emphasis, lists, small headings and links.
ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "h2", "h3", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"https", "http", "mailto"}
# Replaced in the rendered parts by each member's own link (one render per language per batch).
UNSUBSCRIBE_PLACEHOLDER = "https://unsubscribe.invalid/__UNSUBSCRIBE__"


def _absolute_links_only(tag: str, attribute: str, value: str) -> str | None:
    """A mail has no base address: a relative link ("/admin/", "//host/x") would point
    somewhere unintended (or at the admin, in the preview). Only absolute http(s) and mailto
    links stay."""
    if attribute == "href" and not value.lower().startswith(("https://", "http://", "mailto:")):
        return None
    return value


def clean_body(text: str) -> str:
    """The safe HTML subset of `text`: every other tag, attribute, script and style removed,
    links only absolute http(s) or mailto and made rel="noopener noreferrer"."""
    return nh3.clean(
        text or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        attribute_filter=_absolute_links_only,
        link_rel="noopener noreferrer",
    ).strip()


class _TextMaker(HTMLParser):
    """Plain text from the HTML subset: paragraphs as blank lines, list items with a dash,
    links as 'text (url)'."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "h2", "h3", "ul", "ol"):
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []

    def handle_endtag(self, tag):
        if tag in ("p", "h2", "h3", "ul", "ol"):
            self.parts.append("\n\n")
        elif tag == "a" and self.href is not None:
            text = "".join(self.link_text).strip()
            if text and text != self.href:
                self.parts.append(f" ({self.href})")
            elif not text:
                self.parts.append(self.href)
            self.href = None

    def handle_data(self, data):
        data = re.sub(r"\s+", " ", data)
        self.parts.append(data)
        if self.href is not None:
            self.link_text.append(data)


def html_to_text(body_html: str) -> str:
    maker = _TextMaker()
    maker.feed(body_html or "")
    maker.close()
    text = "".join(maker.parts)
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str

    def for_member(self, unsubscribe_url: str) -> "RenderedMail":
        """The same mail with one member's unsubscribe link (a plain string replace: the
        template is rendered once per language, not once per member)."""
        return RenderedMail(
            subject=self.subject,
            text=self.text.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url),
            html=self.html.replace(
                html.escape(UNSUBSCRIBE_PLACEHOLDER), html.escape(unsubscribe_url)
            ).replace(UNSUBSCRIBE_PLACEHOLDER, html.escape(unsubscribe_url)),
        )


def render_campaign(campaign, language: str, *, test: bool = False) -> RenderedMail:
    """The campaign in `language` ("nl" or "en") in the site's mail layout, with the
    unsubscribe placeholder (RenderedMail.for_member puts in the member's link). `test`: the
    subject says it is a test send."""
    language = mail_language(language)
    subject = campaign.subject_en if language == "en" else campaign.subject_nl
    body_html = clean_body(campaign.body_en if language == "en" else campaign.body_nl)
    with translation.override(language):
        context = {
            "site_name": settings.SITE_NAME,
            "body_html": mark_safe(body_html),  # noqa: S308  (cleaned by nh3 just above)
            "body_text": html_to_text(body_html),
            "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
            "settings_url": settings.SITE_URL.rstrip("/") + reverse("mailings:settings"),
            "subject": subject,
        }
        text = render_to_string("mailings/email/campaign_message.txt", context).strip()
        body = render_to_string("mailings/email/campaign_message.html", context)
        prefix = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
        if test:
            prefix += translation.gettext("[TEST] ")
    return RenderedMail(subject=prefix + " ".join(subject.split()), text=text, html=body)
