from allauth.account.models import EmailConfirmationHMAC
from allauth.account.views import ConfirmEmailView
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from .models import Member


@require_POST
def set_language(request):
    """Django's language switch, which also remembers a logged-in member's choice so their
    mail comes in the same language."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in Member.Language.values:
        Member.objects.filter(pk=request.user.pk).update(language=language)
    return response


class MemberConfirmEmailView(ConfirmEmailView):
    """allauth's confirmation view, but a used, expired or wrong link that is posted gets the
    page that explains how to get a new link (allauth answers such a post with a bare 404).
    Keys are random and stored (ACCOUNT_EMAIL_CONFIRMATION_HMAC off)."""

    def get_object(self, queryset=None):
        try:
            return super().get_object(queryset)
        except Http404:
            # Links mailed before the keys were random carry allauth's signed address id:
            # accepted until they expire (ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS).
            legacy = EmailConfirmationHMAC.from_key(self.kwargs["key"])
            if legacy is None:
                raise
            return legacy

    def post(self, *args, **kwargs):
        try:
            return super().post(*args, **kwargs)
        except Http404:
            self.object = None
            return self.render_to_response(self.get_context_data(), status=400)


confirm_email = MemberConfirmEmailView.as_view()


@login_required
@require_http_methods(["GET", "POST"])
def staff_enrolment(request, token):
    """The one-time link that lets a staff session set up its first authenticator. Opening it
    shows a button and only pressing it uses the link, so a mail scanner that fetches links
    does not spend it."""
    from .staff_two_factor import enrolment_link_is_valid, has_totp, open_enrolment_link

    if not request.user.is_staff:
        raise Http404
    context = {"token": token, "already_set_up": has_totp(request.user)}
    if context["already_set_up"]:
        return render(request, "members/staff_enrolment.html", context)
    if request.method == "POST":
        if open_enrolment_link(request=request, token=token):
            return redirect("mfa_activate_totp")
        context["valid"] = False
    else:
        context["valid"] = enrolment_link_is_valid(member=request.user, token=token)
    status = 200 if context["valid"] else 400
    return render(request, "members/staff_enrolment.html", context, status=status)
