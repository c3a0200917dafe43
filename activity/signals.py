"""How activity hears of what happens elsewhere: log-ins and failed log-ins (activity.logins),
and the sign-ups
and purchases 24metrics checks for members who allowed it (activity.partners)."""

from allauth.account.signals import user_signed_up
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from members.signals import login_refused
from payments.signals import checkout_started

from . import logins, partners
from .models import PartnerCheck

# Every log-in is recorded (time, IP, device, provider) and a new device is told by mail.
user_logged_in.connect(logins.on_user_logged_in, dispatch_uid="activity.record_login")
# Logging out removes the session from the member's list (and its IP address) at once.
user_logged_out.connect(logins.on_user_logged_out, dispatch_uid="activity.end_session_row")
# Every failed log-in is recorded (member when known, hashed IP, reason) for the staff's view.
login_refused.connect(logins.on_login_refused, dispatch_uid="activity.record_failed_login")


@receiver(user_signed_up)
def check_partner_signup(sender, request, user, **kwargs):
    """allauth's signal carries the request (members.forms.member_signed_up does not)."""
    partners.queue_check(request=request, member=user, event=PartnerCheck.Event.SIGNUP)


@receiver(checkout_started)
def check_partner_purchase(sender, order, request, **kwargs):
    partners.queue_check(
        request=request,
        member=order.member,
        event=PartnerCheck.Event.PURCHASE,
        reference=order.public_id,
    )
