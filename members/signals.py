"""Log-ins and failed log-ins are logged with the member's id only: never the name typed,
the password or the e-mail address (SECURITY.md). Failed log-ins through allauth (the log-in
page, admin log-in, re-authentication) are logged by members.adapter, with the reason, the
member's id when the name is known and a hash of the IP address, and sent as `login_refused`
(activity records them)."""

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import Signal, receiver

logger = logging.getLogger("members.auth")


@receiver(user_logged_in)
def log_login(sender, request, user, **kwargs):
    logger.info("login.ok member=%s", user.pk)


@receiver(user_logged_out)
def log_logout(sender, request, user, **kwargs):
    logger.info("logout member=%s", getattr(user, "pk", None))


# A log-in attempt failed: request, member (None when the name is unknown), ip_digest,
# reason (members.adapter.LoginRefusal).
login_refused = Signal()
