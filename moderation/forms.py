from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import registry, services
from .models import EXPLANATION_MAX_LENGTH, FACTS_MAX_LENGTH, Statement
from .reasons import ANONYMOUS_CATEGORIES, MEMBER_REPORT_REASONS, REPORT_CATEGORIES, Category


class ReportForm(forms.Form):
    """What a member fills in to report content. Content apps add their own fields (the
    messaging report page adds "also block this member")."""

    reason = forms.ChoiceField(
        label=_("Why are you reporting this?"),
        choices=MEMBER_REPORT_REASONS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason.")},
    )
    explanation = forms.CharField(
        label=_("Explanation (optional)"),
        required=False,
        max_length=EXPLANATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        # Lazy all the way: formatted per request, in the visitor's language.
        help_text=lazy(
            lambda: (
                gettext("Anything the moderator should know. At most %(limit)s characters.")
                % {"limit": EXPLANATION_MAX_LENGTH}
            ),
            str,
        )(),
    )


# -- staff forms (the case page in admin) ---------------------------------------------------------

NOTE_MAX_LENGTH = 2000
TEXT_MAX_LENGTH = 300  # law and clause (Statement.legal_ground, terms_clause)


class DecisionForm(forms.Form):
    """A moderator's decision on a first-instance case: the action, the content to remove, the
    period of a restriction or suspension, the statement of reasons (DSA Art. 17(3)) and a
    private note. Only checks what was typed; `services.decide_case` decides."""

    DISMISS = services.DISMISS
    REMOVE = services.REMOVE
    RESTRICT = services.RESTRICT
    SUSPEND = services.SUSPEND
    CLOSE = services.CLOSE
    ACTIONS = [
        (DISMISS, _("Dismiss: nothing against the law or the terms")),
        (REMOVE, _("Remove the chosen content")),
        (RESTRICT, _("Restrict the account for a period: no messaging, hidden from search")),
        (SUSPEND, _("Suspend the account for a period")),
        (CLOSE, _("Close the account")),
    ]
    PERIOD_ACTIONS = {RESTRICT, SUSPEND}

    action = forms.ChoiceField(
        label=_("Decision"),
        choices=ACTIONS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a decision.")},
    )
    items = forms.MultipleChoiceField(
        label=_("Content to remove"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for a removal: tick the reported items to take down."),
    )
    days = forms.IntegerField(
        label=_("Period in days"),
        required=False,
        min_value=1,
        max_value=services.MAX_PERIOD_DAYS,
        help_text=lazy(
            lambda: (
                gettext(
                    "Only for a restriction or a suspension: 1 to %(max)s days. It ends by itself."
                )
                % {"max": services.MAX_PERIOD_DAYS}
            ),
            str,
        )(),
    )
    ground = forms.ChoiceField(
        label=_("Ground"),
        choices=Statement.Ground.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    legal_ground = forms.CharField(
        label=_("Law"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        help_text=_(
            "For illegal content: the law it breaks, for example “Article 240b Dutch Criminal "
            "Code”. Content against the terms that is also illegal may name the law too."
        ),
    )
    terms_clause = forms.CharField(
        label=_("Clause of the terms"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        help_text=_("For content against the terms: the clause it breaks, for example “4.2”."),
    )
    ground_explanation = forms.CharField(
        label=_("Why it is illegal or against the terms"),
        required=False,
        max_length=FACTS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    facts = forms.CharField(
        label=_("Facts and circumstances"),
        required=False,
        max_length=FACTS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What the decision rests on. No personal data: no names, usernames, e-mail "
            "addresses, phone numbers or places. The statement is sent to the member and "
            "published in the EU Transparency Database without the person."
        ),
    )
    note = forms.CharField(
        label=_("Private note for other moderators"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The member never sees it."),
    )

    def __init__(self, *args, item_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = list(item_choices)

    def _require(self, name, message):
        if name not in self.errors and not (self.cleaned_data.get(name) or "").strip():
            self.add_error(name, message)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if not action or action == self.DISMISS:
            return data
        if action == self.REMOVE and not data.get("items") and "items" not in self.errors:
            self.add_error("items", _("Tick the content to remove."))
        if action in self.PERIOD_ACTIONS and not data.get("days") and "days" not in self.errors:
            self.add_error("days", _("Enter the period in days."))
        ground = data.get("ground")
        if not ground:
            self.add_error("ground", _("Choose the ground of the decision."))
        elif ground == Statement.Ground.ILLEGAL:
            self._require("legal_ground", _("Name the law the content breaks."))
        else:
            self._require("terms_clause", _("Name the clause of the terms it breaks."))
        self._require(
            "ground_explanation", _("Explain why the content is illegal or against the terms.")
        )
        self._require("facts", _("Describe the facts the decision rests on."))
        return data

    def statement_input(self):
        """The statement of reasons typed (a services.StatementInput), None for a dismissal."""
        data = self.cleaned_data
        if data["action"] == self.DISMISS:
            return None
        ground = data["ground"]
        return services.StatementInput(
            ground=ground,
            facts=data["facts"],
            # The law (also for terms content that is illegal too); the clause only for terms.
            legal_ground=data["legal_ground"],
            terms_clause=data["terms_clause"] if ground == Statement.Ground.INCOMPATIBLE else "",
            ground_explanation=data["ground_explanation"],
        )


class AppealDecisionForm(forms.Form):
    """The outcome of an appeal, by another moderator than the one who decided first."""

    UPHOLD = "uphold"
    REVERSE = "reverse"

    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (UPHOLD, _("Uphold the decision: the appeal is rejected")),
            (REVERSE, _("Reverse the decision: its effect is undone")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome.")},
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Mailed to the person who appealed. No personal data of anyone else."),
        error_messages={"required": _("Write the reasons for the outcome.")},
    )

    @property
    def reverse(self) -> bool:
        return self.cleaned_data["outcome"] == self.REVERSE


class CaseNoteForm(forms.Form):
    """A private note on a case, for the moderator who takes it over."""

    text = forms.CharField(
        label=_("Note"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Private: for other moderators, never shown to members."),
        error_messages={"required": _("Write the note first.")},
    )


class OpenCaseForm(forms.Form):
    """A moderator opens a case on the site's own initiative (services.open_case): the link of
    the profile or photo, the category, and a private note saying why."""

    link = forms.CharField(
        label=_("Profile or photo"),
        max_length=500,
        help_text=_(
            "The address of the profile or photo page on this site, or the member's username "
            "(for their profile)."
        ),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", "---------"), *REPORT_CATEGORIES],
    )
    note = forms.CharField(
        label=_("Why you open this case"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Private: for other moderators, never shown to members. The statement of reasons "
            "is written when you decide."
        ),
        error_messages={"required": _("Write down why you open this case.")},
    )

    def clean_link(self):
        link = self.cleaned_data["link"].strip()
        member = None
        if "/" not in link and "." not in link:
            member = get_user_model().objects.filter(username__iexact=link).first()
        if member is not None:
            # The member's profile page: the account's item in the queue.
            path = reverse("profiles:profile", args=[member.public_id])
        else:
            parts = urlsplit(link if "://" in link or link.startswith("/") else "https://" + link)
            path = parts.path or "/"
        self.item = registry.resolve_url(path)
        if self.item is None:
            raise forms.ValidationError(
                _(
                    "This is not a profile or photo on this site, nor a member with a profile. "
                    "Open the profile or photo and copy its address, or type the username."
                ),
                code="unknown_link",
            )
        return link


class StatementExportForm(forms.Form):
    """The period of statements to export for the Transparency Database (days included)."""

    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end comes before the start."))
        return data


# --- Notices and appeals by members and visitors (DSA Art. 16 and 20) --------------------------

# One short hint per category, shown under its radio button: people choose better with an
# example than with a label alone.
CATEGORY_HINTS = {
    Category.SCAM_FAKE: _("Asks for money, or is not who they say they are."),
    Category.MINOR: _("Someone who seems to be younger than 18."),
    Category.NON_CONSENSUAL: _(
        "An intimate or private photo shared without the consent of the person in it, such as "
        "your own photo on someone else's profile."
    ),
    Category.HARASSMENT: _("Insults, intimidation or unwanted sexual attention."),
    Category.THREAT: _("A threat of violence, or someone who is in danger."),
    Category.SPAM: _("Advertising, links to other sites, or offering sex for money."),
    Category.ILLEGAL: _("Other content that breaks the law, such as hate speech."),
    Category.OTHER: _("Something else that is against our terms of use."),
}
HONEYPOT_FIELD = "website"


class CategoryRadioSelect(forms.RadioSelect):
    """Radio buttons that carry a hint each (`option.hint`), rendered by
    templates/moderation/_category_field.html, where the hint describes its radio."""

    def __init__(self, *args, hints=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.hints = hints or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["hint"] = self.hints.get(value, "")
        if option["hint"] and option["attrs"].get("id"):
            option["attrs"]["aria-describedby"] = f"{option['attrs']['id']}_hint"
        return option


def category_field(label=None) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label or _("What is wrong with it?"),
        choices=REPORT_CATEGORIES,
        widget=CategoryRadioSelect(hints=CATEGORY_HINTS),
        error_messages={"required": _("Choose a category.")},
    )


def good_faith_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=_(
            "I report this in good faith: what I wrote is correct and complete as far as I know."
        ),
        error_messages={
            "required": _(
                "Confirm that you report in good faith and that what you wrote is correct."
            )
        },
    )


def _explanation_help():
    return lazy(
        lambda: (
            gettext(
                "Say what is wrong and, for illegal content, why you think it breaks the law. "
                "At most %(limit)s characters."
            )
            % {"limit": EXPLANATION_MAX_LENGTH}
        ),
        str,
    )()


class NoticeForm(forms.Form):
    """A report of one item (DSA Art. 16), by a member or a visitor without an account. Only
    visitors fill in their name and e-mail address (a member's come from the account); they
    may leave them empty for the categories in reasons.ANONYMOUS_CATEGORIES only."""

    reason = category_field()
    explanation = forms.CharField(
        label=_("Explanation"),
        max_length=EXPLANATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_explanation_help(),
    )
    name = forms.CharField(
        label=_("Your name"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We send the receipt and the outcome here."),
    )
    good_faith = good_faith_field()
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        help_text=_("This field is a trap for spam robots; people leave it empty."),
    )

    def __init__(self, *args, visitor: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.visitor = visitor
        if not visitor:
            # A member's report: the account says who it is from; no robots to trap.
            for name in ("name", "email", HONEYPOT_FIELD):
                del self.fields[name]
            explanation = self.fields["explanation"]
            explanation.required = False
            explanation.label = _("Explanation (optional)")
        else:
            self.fields["explanation"].error_messages["required"] = _(
                "Explain why you think this content is illegal or against the rules."
            )

    def clean(self):
        data = super().clean()
        reason = data.get("reason")
        if self.visitor and reason and reason not in ANONYMOUS_CATEGORIES:
            if not (data.get("name") or "").strip() and "name" not in self.errors:
                self.add_error("name", _("Enter your name."))
            if not (data.get("email") or "").strip() and "email" not in self.errors:
                self.add_error("email", _("Enter your e-mail address."))
        return data

    @property
    def is_spam(self) -> bool:
        """A filled honeypot: a robot, which gets a pretended receipt and nothing stored."""
        return bool(self.visitor and self.cleaned_data.get(HONEYPOT_FIELD))


class PublicNoticeForm(NoticeForm):
    """The notice form without an item: the person pastes the link of the profile or photo
    (moderation.registry.resolve_url turns it into the item)."""

    link = forms.CharField(
        label=_("Link to the profile or photo"),
        max_length=500,
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "url"}),
        help_text=_(
            "Copy the address from your browser's address bar while you look at the profile "
            "or the photo, and paste it here."
        ),
    )
    field_order = ["link"]

    def __init__(self, *args, hosts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.hosts = {host.lower() for host in hosts if host}
        self.item = None

    def clean_link(self):
        link = self.cleaned_data["link"].strip()
        parts = urlsplit(link if "://" in link or link.startswith("/") else "https://" + link)
        not_ours = forms.ValidationError(
            _(
                "We do not recognise this link. Paste the address of a profile or a photo on "
                "this site, starting with %(site)s."
            ),
            code="unknown_link",
            params={"site": settings.SITE_URL.rstrip("/")},
        )
        if parts.netloc and (parts.hostname or "").lower() not in self.hosts:
            raise not_ours
        self.item = registry.resolve_url(parts.path or "/")
        if self.item is None:
            raise not_ours
        return link


class AppealForm(forms.Form):
    """An appeal against a decision (DSA Art. 20): free, once, with an explanation."""

    explanation = forms.CharField(
        label=_("Why should the decision change?"),
        max_length=EXPLANATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Explain why the decision should change.")},
        help_text=lazy(
            lambda: (
                gettext(
                    "Tell us what the moderator got wrong or did not know. A moderator who did "
                    "not take the decision reads it. At most %(limit)s characters."
                )
                % {"limit": EXPLANATION_MAX_LENGTH}
            ),
            str,
        )(),
    )


class MemberReportForm(ReportForm):
    """ReportForm with the categories' hints and the statement of good faith (DSA Art.
    16(2)(d)); content apps' report pages (messages) build on it."""

    reason = category_field(label=_("Why are you reporting this?"))
    good_faith = good_faith_field()
