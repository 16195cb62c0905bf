"""Delivery: login throttling (django-axes) for logins that come from a client over HTTP."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address failed logins are counted against.

    Behind the proxy (``DJANGO_BEHIND_PROXY``) every request comes from nginx, which replaces
    X-Forwarded-For with the client's address; elsewhere that header is the client's to forge, so
    only the socket's address counts.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return str(request.META.get("REMOTE_ADDR", ""))


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' lockout check for every login with a request (the admin's, the demo page's).

    A login without a request (a management command, a test) has no client address to count
    failures against; axes would refuse it, so it is passed on to the next backend unchecked.
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
