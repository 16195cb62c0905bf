"""Delivery: keeps every answer under /api/ in the API's JSON error shape."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase, JsonResponse

from config.api_errors import error_body


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
