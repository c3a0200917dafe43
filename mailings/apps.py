from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailingsConfig(AppConfig):
    name = "mailings"
    verbose_name = _("Mailings")

    def ready(self):
        from . import personal_data, signals  # noqa: F401  (registry and anymail's signal)
