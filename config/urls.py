from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from members import views as member_views

from . import views

# Admin log-in goes through allauth: rate limits and two-factor apply to staff too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = _("Site administration")
admin.site.site_title = _("Staff")

handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
handler429 = "config.views.too_many_requests"

urlpatterns = [
    path("", views.home, name="home"),
    path("terms/", views.terms, name="terms"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", member_views.set_language, name="set_language"),
    path("privacy/", include("privacy.urls")),
    path("account/", include("activity.urls")),  # log-ins and devices
    path("", include("profiles.urls")),
    path("credits/", include("payments.urls")),
    path("messages/", include("messaging.urls")),
    # Reports, "decisions about me" and appeals (moderation.urls).
    path("", include("moderation.urls")),
    path("mail/", include("mailings.urls")),
    # The mail provider's delivery events (bounces, complaints): mailings.signals.
    path("anymail/", include("anymail.urls")),
    path(
        "accounts/confirm-email/<str:key>/",
        member_views.confirm_email,
        name="account_confirm_email",
    ),
    path(
        "accounts/staff-enrolment/<str:token>/",
        member_views.staff_enrolment,
        name="staff_enrolment",
    ),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
