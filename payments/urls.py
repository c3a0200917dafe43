from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("", views.packs, name="packs"),
    path("checkout/", views.start_checkout, name="checkout"),
    path("orders/<str:public_id>/", views.order, name="order"),
    path("orders/<str:public_id>/status/", views.order_status, name="order_status"),
    path("webhook/", views.webhook, name="webhook"),
    path("standin/<str:payment_id>/", views.stand_in, name="stand_in"),
    path("history/", views.history, name="history"),
    path("limit/", views.set_spending_limit, name="set_spending_limit"),
    path("limit/remove/", views.remove_spending_limit, name="remove_spending_limit"),
    path("limit/cancel/", views.cancel_spending_limit_change, name="cancel_spending_limit_change"),
]
