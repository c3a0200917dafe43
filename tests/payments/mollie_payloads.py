"""Mollie's v2 API, faked only at the HTTP level (the `responses` library), with payloads shaped
like the real ones (https://docs.mollie.com/reference/get-payment): the site's own code and
mollie-api-python run unchanged."""

import json

import requests
import responses

API = "https://api.mollie.com/v2"
TEST_KEY = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"
HAL = "application/hal+json"

# What Mollie returns about the payer of a paid iDEAL payment: never to be stored (R4.2).
CONSUMER_NAME = "T. TEST"
CONSUMER_ACCOUNT = "NL17RABO0213698412"


def euros(cents: int | None):
    if cents is None:
        return None
    return {"value": f"{cents // 100}.{cents % 100:02d}", "currency": "EUR"}


def payment(
    payment_id: str,
    *,
    status: str = "open",
    amount_cents: int = 1995,
    method: str | None = "ideal",
    order: str = "order-public-id",
    refunded_cents: int | None = None,
    charged_back_cents: int | None = None,
) -> dict:
    """A payment resource as Mollie's API returns it."""
    body = {
        "resource": "payment",
        "id": payment_id,
        "mode": "test",
        "createdAt": "2026-03-20T09:13:37+00:00",
        "amount": euros(amount_cents),
        "description": "Plus: 120 credits",
        "method": method,
        "metadata": {"order": order},
        "status": status,
        "isCancelable": False,
        "expiresAt": "2026-03-20T09:28:37+00:00",
        "details": None,
        "profileId": "pfl_QkEhN94Ba",
        "sequenceType": "oneoff",
        "redirectUrl": f"https://example.org/credits/orders/{order}/",
        "webhookUrl": "https://example.org/credits/webhook/",
        "_links": {
            "self": {"href": f"{API}/payments/{payment_id}", "type": HAL},
            "dashboard": {
                "href": f"https://www.mollie.com/dashboard/org_12345678/payments/{payment_id}",
                "type": "text/html",
            },
            "documentation": {
                "href": "https://docs.mollie.com/reference/get-payment",
                "type": "text/html",
            },
        },
    }
    if status == "open":
        body["_links"]["checkout"] = {
            "href": f"https://www.mollie.com/checkout/select-method/{payment_id[3:]}",
            "type": "text/html",
        }
    if status == "paid":
        body["paidAt"] = "2026-03-20T09:14:02+00:00"
        body["amountRefunded"] = euros(refunded_cents or 0)
        body["amountRemaining"] = euros(amount_cents - (refunded_cents or 0))
        body["settlementAmount"] = euros(amount_cents)
        body["details"] = {
            "consumerName": CONSUMER_NAME,
            "consumerAccount": CONSUMER_ACCOUNT,
            "consumerBic": "RABONL2U",
        }
        body["_links"]["refunds"] = {"href": f"{API}/payments/{payment_id}/refunds", "type": HAL}
        if charged_back_cents:
            body["amountChargedBack"] = euros(charged_back_cents)
            body["_links"]["chargebacks"] = {
                "href": f"{API}/payments/{payment_id}/chargebacks",
                "type": HAL,
            }
    for moment in ("failed", "canceled", "expired"):
        if status == moment:
            body[f"{moment}At"] = "2026-03-20T09:20:00+00:00"
    return body


def refund(payment_id: str, *, amount_cents: int) -> dict:
    return {
        "resource": "refund",
        "id": "re_4qqhO89gsT",
        "amount": euros(amount_cents),
        "status": "pending",
        "createdAt": "2026-03-21T10:00:00+00:00",
        "description": "Refund",
        "metadata": None,
        "paymentId": payment_id,
        "settlementAmount": euros(-amount_cents),
        "_links": {
            "self": {"href": f"{API}/payments/{payment_id}/refunds/re_4qqhO89gsT", "type": HAL},
            "payment": {"href": f"{API}/payments/{payment_id}", "type": HAL},
        },
    }


def error(status: int, title: str, detail: str) -> dict:
    return {
        "status": status,
        "title": title,
        "detail": detail,
        "_links": {
            "documentation": {
                "href": "https://docs.mollie.com/overview/handling-errors",
                "type": "text/html",
            }
        },
    }


def mock_get(rsps: responses.RequestsMock, payment_id: str, **fields) -> None:
    rsps.get(f"{API}/payments/{payment_id}", json=payment(payment_id, **fields), content_type=HAL)


def mock_get_down(rsps: responses.RequestsMock, payment_id: str) -> None:
    """Mollie cannot be reached (a network error)."""
    rsps.get(
        f"{API}/payments/{payment_id}", body=requests.exceptions.ConnectionError("Mollie is down")
    )


def mock_get_error(rsps: responses.RequestsMock, payment_id: str, status: int = 500) -> None:
    body = error(status, "Internal Server Error", "Something went wrong at Mollie")
    rsps.get(f"{API}/payments/{payment_id}", json=body, status=status, content_type=HAL)


def mock_create(rsps: responses.RequestsMock, payment_id: str, **fields) -> None:
    rsps.post(f"{API}/payments", json=payment(payment_id, **fields), status=201, content_type=HAL)


def sent_json(call) -> dict:
    """The JSON body the site sent in a recorded call."""
    return json.loads(call.request.body)
