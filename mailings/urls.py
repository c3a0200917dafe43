from django.urls import path

from . import views

app_name = "mailings"

urlpatterns = [
    path("settings/", views.mail_settings, name="settings"),
    path("unsubscribe/<str:kind>/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
