"""Delivery: login throttling (django-axes) for logins that come from a client over HTTP."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' lockout check for every login with a request (the admin's, the demo page's).

    A login without a request (a management command, a test) has no client address to count
    failures against; axes would refuse it, so it is passed on to the next backend unchecked.
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
