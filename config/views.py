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


@never_cache
@require_GET
def healthz(request):
    """For the load balancer and docker-compose: the database, and Redis when configured."""
    checks = {"database": "ok"}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("healthz.database_down")
        checks["database"] = "error"
        healthy = False
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception:
            logger.exception("healthz.redis_down")
            checks["redis"] = "error"
            healthy = False
    else:
        checks["redis"] = "not configured"
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)


def too_many_requests(request, exception=None):
    """allauth's rate limits answer with this page (it looks up `handler429` in the URLconf)."""
    return render(request, "429.html", status=429)
