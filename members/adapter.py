from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Member
from .services import queue_mail


class MemberAccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        """Stores what the sign-up form asks besides allauth's fields, in the same save."""
        data = form.cleaned_data
        now = timezone.now()
        user.gender = data.get("gender", "")
        user.language = _supported_language(translation.get_language())
        if data.get("adult"):
            user.confirmed_adult_at = now
        if data.get("accept_terms"):
            user.terms_version = settings.TERMS_VERSION
            user.terms_accepted_at = now
            user.privacy_version = settings.PRIVACY_STATEMENT_VERSION
            user.privacy_accepted_at = now
        return super().save_user(request, user, form, commit=commit)

    def send_mail(self, template_prefix, email, context):
        """Renders the mail in the member's own language and queues it: the row is written in
        this transaction and a Celery task sends it after commit (see members.services)."""
        member = context.get("user") or _member_for_address(email)
        language = member.language if isinstance(member, Member) else translation.get_language()
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        with translation.override(_supported_language(language)):
            message = self.render_mail(template_prefix, email, ctx)
            if not getattr(message, "alternatives", None):
                html = render_to_string(
                    "email/wrapper.html",
                    {
                        "subject": message.subject,
                        "body": message.body,
                        "site_name": settings.SITE_NAME,
                    },
                )
                message.attach_alternative(html, "text/html")
        queue_mail(
            message=message,
            kind=template_prefix.rsplit("/", 1)[-1],
            member=member if isinstance(member, Member) else None,
        )


def _supported_language(language):
    codes = {code for code, _name in settings.LANGUAGES}
    language = (language or settings.LANGUAGE_CODE).split("-")[0]
    return language if language in codes else settings.LANGUAGE_CODE


def _member_for_address(email):
    address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
    if address:
        return address.user
    return Member.objects.filter(email__iexact=email).first()
