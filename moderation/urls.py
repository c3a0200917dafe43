"""Moderation's pages for members and visitors (the staff work in admin)."""

from django.urls import path

from . import views

app_name = "moderation"

urlpatterns = [
    # Reporting (DSA Art. 16): the public form, its receipt page, the form for one item.
    path("report/", views.public_notice, name="notice"),
    path("report/sent/", views.notice_sent, name="notice_sent"),
    # A trusted flagger known by e-mail address confirms its notice (the receipt's link).
    path("report/confirm/<str:token>/", views.confirm_notice, name="confirm_notice"),
    path("report/<str:token>/", views.report_item, name="report"),
    # Decisions about the member, and appeals (DSA Art. 17, 20).
    path("account/decisions/", views.my_decisions, name="my_decisions"),
    path("account/decisions/<str:reference>/appeal/", views.appeal, name="appeal"),
    path("appeal/<str:token>/", views.appeal_by_link, name="appeal_by_link"),
    # A visitor's appeal against the dismissal of their notice (the outcome mail's link).
    path("appeal/report/<str:token>/", views.appeal_by_notice_link, name="appeal_by_notice_link"),
]
