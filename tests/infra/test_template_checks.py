"""The synthesised template through cfn-lint (with the SAM transform) and checkov. Skipped checks
are declared with their reasons in infra/.cfnlintrc.yaml, infra/checkov.yaml and, for a single
resource, beside the construct (parley_infra.compliance.skip_checks)."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import Synthesis, run_linter

pytestmark = pytest.mark.infra

LINT_TIMEOUT_S = 300


def test_cfn_lint_finds_nothing(synthesis: Synthesis) -> None:
    result = run_linter("cfn-lint", synthesis, LINT_TIMEOUT_S)
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_finds_nothing(synthesis: Synthesis) -> None:
    result = run_linter("checkov", synthesis, LINT_TIMEOUT_S)
    output, errors = result.stdout, result.stderr
    assert output.strip(), f"checkov printed no report:\n{errors[-4000:]}"
    reports = json.loads(output)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    assert sum(report["summary"]["passed"] for report in reports) > 50
