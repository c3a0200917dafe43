"""The member's "log-ins and devices" page (SPEC R6.1): the sessions that are logged in now,
each of which the member can end, and the history of log-ins. Works on request.user's own
records only, and without JavaScript (plain forms that POST)."""

from dataclasses import dataclass
from datetime import datetime

from allauth.usersessions.internal.flows.sessions import end_sessions
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from privacy import declaration

from .devices import DeviceInfo, parse_user_agent
from .logins import session_digest
from .models import LoginRecord
from .networks import approximate_network, provider_for

LOGINS_PER_PAGE = 20


@dataclass(frozen=True)
class SessionRow:
    pk: int
    device: DeviceInfo
    provider: str
    network: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


def _session_rows(request) -> list[SessionRow]:
    """The member's live sessions (allauth drops those that ended meanwhile), the current one
    first, then the most recently used."""
    current_key = request.session.session_key
    rows = [
        SessionRow(
            pk=session.pk,
            device=parse_user_agent(session.user_agent),
            provider=provider_for(session.ip),
            network=approximate_network(session.ip),
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
            current=session.session_key == current_key,
        )
        for session in UserSession.objects.purge_and_list(request.user)
    ]
    rows.sort(key=lambda row: (not row.current, -row.last_seen_at.timestamp()))
    return rows


@login_required
@require_GET
def devices(request):
    sessions = _session_rows(request)
    logins = Paginator(
        LoginRecord.objects.filter(member=request.user).only(
            "created_at",
            "device_type",
            "operating_system",
            "browser",
            "provider",
            "ip_address",
            "session_digest",
            "new_device",
        ),
        LOGINS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    current_digest = session_digest(request.session.session_key)
    login_rows = [
        {
            "record": record,
            "network": approximate_network(record.ip_address),
            "current": bool(current_digest) and record.session_digest == current_digest,
        }
        for record in logins
    ]
    return render(
        request,
        "activity/devices.html",
        {
            "sessions": sessions,
            "other_sessions": sum(1 for row in sessions if not row.current),
            "logins": logins,
            "login_rows": login_rows,
            "retention": declaration.purpose("security").retention_text(),
        },
    )


@login_required
@require_POST
def end_session(request):
    """Ends one of the member's sessions: that device is logged out at once. Ending the
    current session is logging out here."""
    chosen = request.POST.get("session", "")
    session = (
        UserSession.objects.filter(user=request.user, pk=chosen).first()
        if chosen.isdigit()
        else None
    )
    if session is None:
        messages.error(request, _("That session had already ended."))
        return redirect("activity:devices")
    current = session.is_current()
    end_sessions(request, [session])
    if current:
        return redirect("account_login")
    messages.success(request, _("The session is ended: that device is logged out."))
    return redirect("activity:devices")


@login_required
@require_POST
def end_other_sessions(request):
    """Every session but this one ends: all other devices are logged out."""
    others = [
        session
        for session in UserSession.objects.filter(user=request.user)
        if not session.is_current()
    ]
    end_sessions(request, others)
    if others:
        messages.success(request, _("All other sessions are ended: only this device is logged in."))
    else:
        messages.info(request, _("There were no other sessions to end."))
    return redirect("activity:devices")
