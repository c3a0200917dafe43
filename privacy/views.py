"""The privacy statement, the data protection officer, and the member's privacy centre: what
is held (R7.4, R8.2), consents (R7.1), restriction and objection (R7.4), and accepting a new
version of the statement. Every page works on request.user's own data only."""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import cookies, declaration, services
from .forms import AcceptStatementForm, ConsentChangeForm, LimitChangeForm, safe_next
from .models import PrivacyStatement, ProcessingLimit

logger = logging.getLogger(__name__)


def statement(request):
    """The current published privacy statement: the Dutch text, which is the leading one, or
    its English rendering. Before any version is in the database (a fresh test database), the
    texts of the first version in templates/privacy/ are shown."""
    current = services.current_statement()
    language = get_language()
    context = {
        "statement": current,
        "language": language,
        # What the site records by itself, with its retention from the settings (R6.1).
        "recorded": declaration.recorded_by_site(),
    }
    if current is not None:
        context["version"] = current.version
        context["text"] = services.statement_text(current, language)
    else:
        context["version"] = settings.PRIVACY_STATEMENT_VERSION
    return render(request, "privacy/statement.html", context)


def data_protection_officer(request):
    return render(
        request,
        "privacy/dpo.html",
        {"dpo_name": settings.DPO_NAME, "dpo_email": settings.DPO_EMAIL},
    )


@login_required
def centre(request):
    return render(
        request,
        "privacy/centre.html",
        {
            "statement": services.current_statement(),
            "restricted": request.user.processing_restricted,
        },
    )


@login_required
def my_data(request):
    return render(
        request, "privacy/my_data.html", {"sections": services.what_is_held(request.user)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def consents(request):
    member = request.user
    if request.method == "POST":
        form = ConsentChangeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Nothing was changed: that choice is not known."))
            return redirect("privacy:consents")
        declared = declaration.consent(form.cleaned_data["purpose"])
        if form.granted and not declared.give_here:
            # Explicit consent has its own page and wording; cookies are asked by the site
            # when it sets them. Withdrawing works here for every purpose.
            if declared.give_url:
                return redirect(declared.give_url)
            messages.error(request, _("This consent cannot be given here."))
            return redirect("privacy:consents")
        response = redirect(f"{reverse('privacy:consents')}#consent-{declared.key}")
        category = cookies.CATEGORY_OF_PURPOSE.get(declared.purpose)
        if category is not None:
            # Cookie consents: the same recording as the cookie banner's (policy version,
            # consent cookie, the category's cookies expired on withdrawal).
            cookies.change_category(
                request,
                response,
                category=category,
                granted=form.granted,
                source=declaration.SOURCE_CONSENTS_PAGE,
            )
        else:
            services.set_consent(
                member=member,
                purpose=declared.purpose,
                granted=form.granted,
                source=declaration.SOURCE_CONSENTS_PAGE,
            )
        if form.granted:
            message = _("Your consent for “%(purpose)s” is recorded. It is on now.")
        else:
            message = _("Your consent for “%(purpose)s” is withdrawn. It is off now.")
        messages.success(request, message % {"purpose": declared.label})
        return response

    states = services.consent_states(member)
    cookie_choice = cookies.choice_for(request)
    rows = []
    for purpose, declared in declaration.CONSENTS.items():
        record = states.get(purpose)
        category = cookies.CATEGORY_OF_PURPOSE.get(purpose)
        rows.append(
            {
                "declared": declared,
                # A cookie consent counts under the current cookie policy version only.
                "on": (
                    cookie_choice.allows(category)
                    if category is not None
                    else bool(record and record.granted)
                ),
                "record": record,
                "source": declaration.source_label(record.source) if record else "",
            }
        )
    return render(request, "privacy/consents.html", {"rows": rows})


# Module level: lazy, so each page is in its visitor's language.
LIMIT_TEXTS = {
    ProcessingLimit.RESTRICTION: {
        "title": gettext_lazy("Restrict processing"),
        "explanation": gettext_lazy(
            "While processing is restricted we keep your data but do not use it: your profile "
            "is left out of search and suggestions, nobody can start or continue a chat with "
            "you and you cannot send messages, no matching runs, and you get no promotional "
            "e-mail."
        ),
        "still": gettext_lazy(
            "You can still log in, read your messages and your data, download a copy of it, "
            "and lift the restriction here at any time."
        ),
        "turn_on": gettext_lazy("Restrict processing"),
        "turn_off": gettext_lazy("Lift the restriction"),
        "done_on": gettext_lazy("Processing of your data is restricted now."),
        "done_off": gettext_lazy("The restriction is lifted: everything works as before."),
    },
    ProcessingLimit.OBJECT_PROFILING: {
        "title": gettext_lazy("Object to profiling"),
        "explanation": gettext_lazy(
            "We then stop using your profile to suggest people to you, and stop suggesting you "
            "to others, even if you consented to personalised suggestions."
        ),
        "still": gettext_lazy("Search works as before, and others can still find you in search."),
        "turn_on": gettext_lazy("Object to profiling"),
        "turn_off": gettext_lazy("Withdraw my objection"),
        "done_on": gettext_lazy(
            "Your objection to profiling is recorded: suggestions have stopped."
        ),
        "done_off": gettext_lazy("Your objection to profiling is withdrawn."),
    },
    ProcessingLimit.OBJECT_DIRECT_MARKETING: {
        "title": gettext_lazy("Object to direct marketing"),
        "explanation": gettext_lazy(
            "We then send you no promotional e-mail, even if you consented to it."
        ),
        "still": gettext_lazy("Mail about your account and your messages still reaches you."),
        "turn_on": gettext_lazy("Object to direct marketing"),
        "turn_off": gettext_lazy("Withdraw my objection"),
        "done_on": gettext_lazy(
            "Your objection to direct marketing is recorded: no promotional e-mail."
        ),
        "done_off": gettext_lazy("Your objection to direct marketing is withdrawn."),
    },
}


@login_required
@require_http_methods(["GET", "POST"])
def processing_limits(request):
    member = request.user
    if request.method == "POST":
        form = LimitChangeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Nothing was changed: that choice is not known."))
            return redirect("privacy:limits")
        kind, active = form.cleaned_data["kind"], form.cleaned_data["active"]
        services.set_processing_limit(
            member=member, kind=kind, active=active, source=declaration.SOURCE_LIMITS_PAGE
        )
        texts = LIMIT_TEXTS[ProcessingLimit(kind)]
        messages.success(request, texts["done_on"] if active else texts["done_off"])
        return redirect(f"{reverse('privacy:limits')}#limit-{kind}")

    states = services.limit_states(member)
    rows = []
    for kind, texts in LIMIT_TEXTS.items():
        record = states.get(kind)
        on = (
            member.processing_restricted
            if kind == ProcessingLimit.RESTRICTION
            else bool(record and record.active)
        )
        rows.append(
            {
                "kind": str(kind),
                "texts": texts,
                "on": on,
                "record": record,
                "source": declaration.source_label(record.source) if record else "",
            }
        )
    return render(request, "privacy/limits.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def accept_statement(request):
    """Shows what changed in the current privacy statement and records "I have read it"."""
    member = request.user
    # One source with the middleware that sent the member here (the briefly cached version):
    # recording a newer one than it compares against would send them back here in a loop.
    version = services.current_statement_version()
    current = PrivacyStatement.objects.filter(version=version, published_at__isnull=False).first()
    target = request.POST.get("next") if request.method == "POST" else request.GET.get("next")
    back = safe_next(request, target, reverse("home"))
    if request.method == "POST":
        form = AcceptStatementForm(request.POST)
        if form.is_valid() and form.cleaned_data["version"] == version:
            if member.privacy_version != version:
                services.accept_statement(
                    member=member, version=version, source=declaration.SOURCE_ACCEPT_PAGE
                )
            messages.success(request, _("Thank you. Your acceptance is recorded."))
            return redirect(back)
        # A newer version was published while the page was open: show that one.
        messages.error(request, _("The privacy statement changed meanwhile. Please read it again."))
        return redirect(f"{reverse('privacy:accept_statement')}?{urlencode({'next': back})}")
    language = get_language()
    return render(
        request,
        "privacy/accept_statement.html",
        {
            "statement": current,
            "version": version,
            "changes": services.statement_changes(current, language) if current else "",
            "next": back,
            "already_accepted": member.privacy_version == version,
        },
    )
