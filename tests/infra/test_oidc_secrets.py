"""The API function reads the OpenID providers' client secrets from Secrets Manager, and only
those: the admin names a provider's secret in the settings, so a wider grant would let an admin
have any secret of the account sent to a token endpoint of their choosing."""

from __future__ import annotations

import json

from tests.infra.conftest import STAGE, Synthesis
from tests.infra.test_alarms_and_access import _api_statements
from tests.infra.test_template import _as_list, _functions


def test_the_api_reads_only_this_stages_oidc_secrets(synthesis: Synthesis) -> None:
    reading = [s for s in _api_statements(synthesis)
               if "secretsmanager:GetSecretValue" in _as_list(s["Action"])]
    assert len(reading) == 1, reading
    assert _as_list(reading[0]["Action"]) == ["secretsmanager:GetSecretValue"]
    (resource,) = _as_list(reading[0]["Resource"])
    assert f":secret:parley/{STAGE}/oidc/*" in json.dumps(resource), resource
    assert json.dumps(resource).count("*") == 1, resource
    # No other function reads a secret at run time
    for name, function in _functions(synthesis).items():
        role = function["Role"]["Fn::GetAtt"][0]
        for policy in synthesis.resources("AWS::IAM::Policy").values():
            if policy["Properties"]["Roles"] == [{"Ref": role}] and name != "api_handler":
                assert "secretsmanager:" not in json.dumps(policy), name
