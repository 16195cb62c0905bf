"""Delivery: URL routing for the demo page, the API, admin, login, metrics and health probes."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from config.api import api
from config.api_errors import error_body
from config.health import healthz, readyz
from config.metrics import metrics
from config.views import command, demo_page, favicon


@csrf_exempt  # an unknown route answers 404 whatever the method: no CSRF 403 page first
def api_route_not_found(request: HttpRequest, rest: str | None = None) -> JsonResponse:
    """Unknown paths under /api/ answer in the API's JSON error shape, not Django's HTML page."""
    message = f"No API route matches {request.method} /api/{rest or ''}."
    return JsonResponse(error_body("not_found", message), status=404)


urlpatterns = [
    path("", demo_page, name="demo"),
    path("demo/commands/<slug:kind>/", command, name="demo-command"),
    path("", include("accounts_write.urls")),
    path("", include("accounts_read.urls")),
    path("", include("projector.urls")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    re_path(r"^api/$", api_route_not_found),  # before ninja's own root page (an HTML 404)
    path("api/", api.urls),
    re_path(r"^api(?:/(?P<rest>.*))?$", api_route_not_found),
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
]
