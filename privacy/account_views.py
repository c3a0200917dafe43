"""Closing the account (R7.3): the page that explains what happens, and the confirmation."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as format_date
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from members.adapter import reopen_deadline
from members.models import Member

from . import erasure
from .account_forms import CloseAccountForm


@login_required
@require_http_methods(["GET", "POST"])
def close_account(request):
    member = request.user
    now = timezone.now()
    erasure_date = timezone.localtime(erasure.erasure_due_date(now))
    # What reopening would be possible until, were the member to close now.
    preview = Member(closed_at=now, erasure_due_at=erasure.erasure_due_date(now))
    reopen_until = reopen_deadline(preview)
    reopen_until = timezone.localtime(reopen_until) if reopen_until else None
    form = CloseAccountForm(
        request.POST or None, member=member, erasure_date=erasure_date, reopen_until=reopen_until
    )
    if request.method == "POST" and form.is_valid():
        immediately = form.erase_immediately
        try:
            erasure.close_account(member=member, erase_immediately=immediately)
        except erasure.AccountNotClosable:
            return redirect("home")
        logout(request)
        if immediately:
            messages.success(
                request,
                _(
                    "Your account is closed and your data is being erased. We sent a "
                    "confirmation to your e-mail address. Thank you for having been a member."
                ),
            )
        else:
            messages.success(
                request,
                _(
                    "Your account is closed. We sent a confirmation to your e-mail address. "
                    "Changed your mind? Log in by %(date)s to reopen it."
                )
                % {"date": format_date(reopen_until, "j F Y")},
            )
        return redirect("home")
    return render(
        request,
        "privacy/close_account.html",
        {
            "form": form,
            "erasure_date": erasure_date,
            "erasure_months": settings.ACCOUNT_ERASURE_AFTER,
            "reopen_until": reopen_until,
            "grace_days": settings.ACCOUNT_REOPEN_GRACE_DAYS,
        },
    )
