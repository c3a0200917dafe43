from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    """Anonymised statistics (SPEC R8.3): aggregate tables holding no member id, small cells
    suppressed, shown to the Management group."""

    name = "stats"
    verbose_name = _("Statistics")
