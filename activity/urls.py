from django.urls import path

from . import views

app_name = "activity"

urlpatterns = [
    path("devices/", views.devices, name="devices"),
    path("devices/end/", views.end_session, name="end_session"),
    path("devices/end-others/", views.end_other_sessions, name="end_other_sessions"),
]
