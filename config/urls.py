"""Delivery: URL routing for the demo page, the API, admin, metrics and health probes."""

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from config.api import api
from config.api_errors import error_body
from config.health import healthz, readyz
from config.views import command, demo_page, favicon


def api_route_not_found(request: HttpRequest, rest: str) -> JsonResponse:
    """Unknown paths under /api/ answer in the API's JSON error shape, not Django's HTML page."""
    message = f"No API route matches {request.method} /api/{rest}."
    return JsonResponse(error_body("not_found", message), status=404)


urlpatterns = [
    path("", demo_page, name="demo"),
    path("demo/commands/<slug:kind>/", command, name="demo-command"),
    path("", include("accounts_write.urls")),
    path("", include("accounts_read.urls")),
    path("", include("projector.urls")),
    path("api/", api.urls),
    path("api/<path:rest>", api_route_not_found),
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("", include("django_prometheus.urls")),
]
