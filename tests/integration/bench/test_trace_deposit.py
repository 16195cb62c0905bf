"""``bench/trace_deposit.py`` traces both sides of one deposit, and docs/ARCHITECTURE.md walks exactly
the files it traces (a refactor that moves the path makes this fail until the walk is rewritten)."""

from __future__ import annotations

import json
import re

import pytest

from tests.integration.bench.test_benches_run import run_bench
from tests.scripts import REPO_ROOT

pytestmark = pytest.mark.slow  # a stack in threads and a child interpreter: about 3 s

OUR_FILE = re.compile(r"`((?:accounts_write|accounts_read|projector|config)/[\w/]+\.py)`")


def test_the_trace_sees_the_route_in_the_web_process_and_the_projection_in_the_projector(tmp_path):
    output = tmp_path / "trace.json"
    printed = run_bench("bench/trace_deposit.py", ["--json", str(output)])
    result = json.loads(output.read_text())
    web, projector = result["calls"]["web"], result["calls"]["projector"]
    assert "deposit" in web["accounts_write/api.py"]
    assert any(path.startswith("accounts_write/domain/") for path in web)
    assert not any(path.startswith("projector/") for path in web)
    assert "apply_events" in projector["projector/apply.py"]
    assert not any(path.startswith("accounts_write/domain/") for path in projector)
    assert result["files"] == len(set(web) | set(projector))
    assert f"passes {result['files']} of our files" in printed

    document = (REPO_ROOT / "docs" / "ARCHITECTURE.md").read_text()
    walk = document[document.index("## In the web process") : document.index("## The count")]
    assert set(OUR_FILE.findall(walk)) == set(web) | set(projector)
    assert f"| now (`docs/benchmarks/trace-deposit-after.json`) | {result['files']} |" in document
