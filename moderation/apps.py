from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self):
        # Each content app's moderated_content.py registers what can be reported (see
        # moderation.registry), the way admin.py registers with the admin site.
        autodiscover_modules("moderated_content")
