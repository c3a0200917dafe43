from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Privacy")

    def ready(self):
        # Each app's personal_data.py registers its models, the way admin.py registers with
        # the admin site.
        autodiscover_modules("personal_data")
        from . import signals  # noqa: F401  (records the consents given at sign-up)
