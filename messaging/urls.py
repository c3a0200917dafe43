from django.urls import path

from . import notification_views, report_views, views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("inbox/list/", views.inbox_list, name="inbox_list"),
    path("unread/", views.unread_badge, name="unread_badge"),
    path("settings/", views.receiving_settings, name="settings"),
    path("to/<str:member_id>/", views.start, name="start"),
    path("c/<str:public_id>/", views.conversation, name="conversation"),
    path("c/<str:public_id>/new/", views.new_messages, name="new_messages"),
    path("c/<str:public_id>/older/", views.older_messages, name="older_messages"),
    path("c/<str:public_id>/delete/", views.delete_conversation, name="delete"),
    path("c/<str:public_id>/report/", report_views.report_conversation, name="report_conversation"),
    path("m/<str:public_id>/report/", report_views.report_message, name="report_message"),
    path("unsubscribe/<str:token>/", notification_views.unsubscribe, name="unsubscribe"),
]
