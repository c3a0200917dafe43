from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self):
        from . import (
            signals,  # noqa: F401  (log-in logging)
            staff_two_factor,  # noqa: F401  (sessions end when a factor is added)
        )
