from django.urls import path

from . import (
    account_views,
    cookie_views,
    export_views,
    helpdesk_views,
    request_download_views,
    views,
)

app_name = "privacy"

urlpatterns = [
    path("", views.statement, name="statement"),
    path("contact/", views.data_protection_officer, name="dpo"),
    # Cookies: the declaration and the choice (issue 10); the banner posts to cookie_choice.
    path("cookies/", cookie_views.cookie_page, name="cookies"),
    path("cookies/choice/", cookie_views.save_choice, name="cookie_choice"),
    # The member's privacy centre.
    path("me/", views.centre, name="centre"),
    path("me/consents/", views.consents, name="consents"),
    path("me/data/", views.my_data, name="my_data"),
    path("me/limits/", views.processing_limits, name="limits"),
    path("accept/", views.accept_statement, name="accept_statement"),
    path("me/export/", export_views.exports, name="exports"),
    path("me/export/<str:public_id>/download/", export_views.download, name="export_download"),
    path("me/close/", account_views.close_account, name="close_account"),
    # The helpdesk: contact form, identity check, downloads sent by the helpdesk.
    path("help/", helpdesk_views.contact, name="contact"),
    path("help/sent/", helpdesk_views.contact_sent, name="contact_sent"),
    path("help/verify/<str:token>/", helpdesk_views.verify_request, name="verify_request"),
    path(
        "help/export/<str:token>/",
        request_download_views.request_export_download,
        name="request_export",
    ),
]
