"""Delivery: the demo page wants a login; every answer under /api/ keeps the API's JSON error shape."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import resolve_url

from config.api_errors import error_body


def is_demo_path(path: str) -> bool:
    return path == "/" or path.startswith("/demo/")


class DemoLoginRequiredMiddleware:
    """The demo page and all its parts (``/``, ``/demo/…``) are for logged-in users only.

    One rule by path, so every part an app adds under ``/demo/`` is covered without a decorator.
    A page gets the login page; a live part polled by htmx gets a 401 that sends the browser there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_demo_path(request.path) or request.user.is_authenticated:
            return self.get_response(request)
        if request.headers.get("HX-Request"):
            answer = HttpResponse("Log in to use the demo page.", status=401, content_type="text/plain")
            answer["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
            return answer
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)


class ApiMethodNotAllowedMiddleware:
    """Ninja answers a wrong method with a bare 405; the API promises JSON errors everywhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code != 405 or not request.path.startswith("/api/"):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        allowed = [method.strip() for method in response.get("Allow", "").split(",") if method.strip()]
        choices = ", ".join(allowed) or "another method"
        message = f"{request.method} is not allowed on {request.path}; use {choices}."
        answer = JsonResponse(error_body("method_not_allowed", message, {"allowed": allowed}), status=405)
        answer["Allow"] = ", ".join(allowed)
        return answer
