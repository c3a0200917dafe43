import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from profiles.discovery_views import top_suggestions

logger = logging.getLogger(__name__)


def home(request):
    context = {}
    if request.user.is_authenticated:
        # The member's best few suggestions (R2.3); anonymous visitors get the plain page.
        context["suggestions"], context["cards"] = top_suggestions(request.user)
    return render(request, "home.html", context)


def terms(request):
    return render(request, "terms.html", {"version": settings.TERMS_VERSION})


HEALTH_TIMEOUT_SECONDS = 1.0


def _redis_answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(
        url, socket_timeout=HEALTH_TIMEOUT_SECONDS, socket_connect_timeout=HEALTH_TIMEOUT_SECONDS
    )
    try:
        return bool(client.ping())
    finally:
        client.close()


def _broker_answers(url: str) -> bool:
    if url.startswith(("redis://", "rediss://")):
        return _redis_answers(url)
    from kombu import Connection

    with Connection(url, connect_timeout=HEALTH_TIMEOUT_SECONDS) as broker:
        broker.ensure_connection(max_retries=1)
    return True


def _check(name: str, probe) -> str:
    try:
        return "ok" if probe() else "down"
    except Exception as error:  # noqa: BLE001 (any failure of the probe means "down")
        logger.warning("healthz.%s_down error=%s", name, type(error).__name__)
        return "down"


@never_cache
@require_GET
def healthz(request):
    """For the load balancer and docker-compose. 503 only when the database is down: without
    Redis (cache) or the broker the site still serves members ("degraded": the cache falls
    back to each process's memory, tasks wait in the database for the sweeps), so a load
    balancer must keep sending traffic. The JSON says which part is down."""
    checks = {"database": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("healthz.database_down")
        checks["database"] = "down"
    cache_url = settings.CACHES["default"].get("LOCATION") or ""
    if "redis" in settings.CACHES["default"]["BACKEND"].lower() and cache_url:
        checks["cache"] = _check("cache", lambda: _redis_answers(str(cache_url).split(",")[0]))
    else:
        checks["cache"] = "local memory"
    if settings.CELERY_TASK_ALWAYS_EAGER or settings.CELERY_BROKER_URL.startswith("memory://"):
        checks["broker"] = "in-process"
    else:
        checks["broker"] = _check("broker", lambda: _broker_answers(settings.CELERY_BROKER_URL))
    if checks["database"] != "ok":
        status = "down"
    elif "down" in checks.values():
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse(
        {"status": status, "checks": checks}, status=503 if status == "down" else 200
    )


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)


def too_many_requests(request, exception=None):
    """allauth's rate limits answer with this page (it looks up `handler429` in the URLconf)."""
    return render(request, "429.html", status=429)
