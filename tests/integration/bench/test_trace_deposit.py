"""``bench/trace_deposit.py`` (the walk docs/ARCHITECTURE.md quotes) traces both sides of one deposit."""

from __future__ import annotations

import json

from tests.integration.bench.test_benches_run import run_bench


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
