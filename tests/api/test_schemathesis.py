"""Schemathesis against the OpenAPI document of a live test server, on the demo data, with a
demo gérant's token: no answer may be a server error, and every answer must match the
document (status code, content type, body schema).

A small budget here (RELAIS_SCHEMATHESIS_SECONDS, 90 s by default, a fixed seed); a longer
run is the same test with a bigger budget, e.g. RELAIS_SCHEMATHESIS_SECONDS=900
RELAIS_SCHEMATHESIS_EXAMPLES=50 (figures in docs/DECISIONS.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from relais.tenancy.models import ApiToken, User

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server: Any, tmp_path: Path
) -> None:
    call_command("seed_demo")
    token = ApiToken.issue(User.objects.get(email="gerant@azur.example"))
    seconds = os.environ.get("RELAIS_SCHEMATHESIS_SECONDS", "90")
    examples = os.environ.get("RELAIS_SCHEMATHESIS_EXAMPLES", "10")
    st = Path(sys.executable).with_name("st")
    command = [
        str(st),
        "run",
        f"{live_server.url}/api/v1/openapi.json",
        *("--header", f"Authorization: Bearer {token}"),
        *("--checks", CHECKS),
        *("--max-examples", examples),
        *("--max-time", seconds),
        *("--workers", "1"),
        *("--seed", os.environ.get("RELAIS_SCHEMATHESIS_SEED", "19")),
        "--no-shrink",
        # Logging in again would lock the demo accounts, logging out would revoke the token.
        *("--exclude-path", "/api/v1/auth/token"),
        # Revoking a token would revoke this run's own.
        *("--exclude-path-regex", "^/api/v1/auth/tokens"),
        *("--report", "junit"),
        *("--report-dir", str(tmp_path)),
        *("--output-truncate", "false"),
    ]
    run = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=int(seconds) + 300,
        env={**os.environ, "NO_COLOR": "1"},
    )
    summary = run.stdout[-6000:]
    print(summary)
    assert run.returncode == 0, summary
    assert " passed" in summary or "No issues found" in summary, summary
