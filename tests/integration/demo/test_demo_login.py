"""``manage.py demo_login``: a staff login for /admin/ on a developer machine, never elsewhere."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_it_refuses_outside_local_settings(settings: Any) -> None:
    settings.DEMO_STAFF_LOGIN = False

    with pytest.raises(CommandError, match="only runs with local settings"):
        call_command("demo_login")


def test_it_creates_a_staff_superuser_and_prints_a_password_that_works(settings: Any) -> None:
    settings.DEMO_STAFF_LOGIN = True
    out = StringIO()

    call_command("demo_login", stdout=out)

    match = re.search(r"login created: user demo, password (\S+)", out.getvalue())
    assert match, out.getvalue()
    user = authenticate(username="demo", password=match.group(1))
    assert user is not None and user.is_staff and user.is_superuser


def test_running_it_again_resets_the_password(settings: Any) -> None:
    settings.DEMO_STAFF_LOGIN = True
    first, second = StringIO(), StringIO()
    call_command("demo_login", stdout=first)

    call_command("demo_login", stdout=second)

    old = first.getvalue().split()[-1]
    new = second.getvalue().split()[-1]
    assert "login reset" in second.getvalue() and old != new
    assert authenticate(username="demo", password=old) is None
    assert authenticate(username="demo", password=new) is not None
