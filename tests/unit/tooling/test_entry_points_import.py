"""The repo's scripts start in a bare interpreter (no Django set up, no pytest): each must import.

Regression: ``make screenshot`` (``python -m tests.e2e.browser.screenshot``) died at import with
AppRegistryNotReady, its login helper importing Django's User model before Django was set up.
"""

from __future__ import annotations

import os

import pytest

from tests.scripts import run_python


@pytest.mark.parametrize("module", ["tests.e2e.browser.screenshot", "tests.faults.soak.__main__"])
def test_the_script_imports_in_a_bare_interpreter(module):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    done = run_python(["-c", f"import {module}"], env=env, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
