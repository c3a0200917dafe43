"""Log-ins and failed log-ins are logged with the member's id only: never the name typed,
the password or the e-mail address (SECURITY.md)."""

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

logger = logging.getLogger("members.auth")


@receiver(user_logged_in)
def log_login(sender, request, user, **kwargs):
    logger.info("login.ok member=%s", user.pk)


@receiver(user_logged_out)
def log_logout(sender, request, user, **kwargs):
    logger.info("logout member=%s", getattr(user, "pk", None))


@receiver(user_login_failed)
def log_login_failed(sender, credentials, request=None, **kwargs):
    logger.warning("login.failed")
