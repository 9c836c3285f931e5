"""``chalice package --merge-template infra/template.yaml`` yields one SAM template that cfn-lint accepts.

It packages the real repository (``app.py``, ``.chalice/config.json``), so it also catches a Chalice
logical id that no longer matches an override in ``infra/template.yaml``. Packaging downloads the
Lambda wheels on the first run (about a minute), then reuses ``.chalice/deployments/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MERGE_TEMPLATE = ROOT / "infra" / "template.yaml"
RUNTIME_ROLE = {"Fn::GetAtt": ["RuntimeRole", "Arn"]}
TIMER_QUEUE_ARN = {"Fn::Sub": "${TimerQueue.Arn}"}
# Logical ids Chalice gives the functions of app.py (see the overrides in infra/template.yaml).
CHALICE_FUNCTIONS = (
    "APIHandler",
    "WsAuthorizer",
    "WebsocketConnect",
    "WebsocketMessage",
    "WebsocketDisconnect",
    "OnTimer",
    "OnInboundEmail",
)

# cfn-lint rules ignored on the packaged template, with the reason. Keep it empty unless a rule is
# understood to be wrong for what Chalice generates.
IGNORED_RULES: dict[str, str] = {}


def _tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (requirements-dev.txt)")
    return found


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"AWS_PROFILE", "AWS_ENDPOINT_URL"}}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    return env


def _package(stage: str, out: Path) -> None:
    result = subprocess.run(
        [_tool("chalice"), "package", "--stage", stage, "--merge-template", str(MERGE_TEMPLATE), str(out)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"chalice package failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module", params=["dev", "prod"])
def packaged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    stage = str(request.param)
    out = tmp_path_factory.mktemp(f"package-{stage}")
    _package(stage, out)
    yield stage, out


def _sam(out: Path) -> Path:
    # A YAML merge template makes Chalice write sam.yaml instead of sam.json.
    return out / "sam.yaml" if (out / "sam.yaml").exists() else out / "sam.json"


def _template(out: Path) -> dict[str, Any]:
    sam = _sam(out)
    loaded = yaml.safe_load(sam.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _intrinsic_dicts(value: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from _intrinsic_dicts(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _intrinsic_dicts(item, f"{path}/{index}")


def test_cfn_lint_finds_no_error(packaged: tuple[str, Path]) -> None:
    _, out = packaged
    sam = _sam(out)
    command = [_tool("cfn-lint"), "--format", "json"]
    if IGNORED_RULES:
        command += ["--ignore-checks", *IGNORED_RULES]
    result = subprocess.run([*command, "--", str(sam)], capture_output=True, text=True, timeout=300, check=False)
    assert result.stdout.strip(), f"cfn-lint printed nothing:\n{result.stderr}"
    matches = json.loads(result.stdout)
    for match in matches:
        if match["Level"] != "Error":
            print(f"cfn-lint {match['Level']} {match['Rule']['Id']}: {match['Message']}")
    errors = [f"{m['Rule']['Id']} {m['Location']['Path']}: {m['Message']}" for m in matches if m["Level"] == "Error"]
    assert errors == []


def test_every_override_lands_on_a_chalice_resource(packaged: tuple[str, Path]) -> None:
    _, out = packaged
    merged = _template(out)["Resources"]
    infra = yaml.safe_load(MERGE_TEMPLATE.read_text(encoding="utf-8"))["Resources"]
    overrides = [logical_id for logical_id, definition in infra.items() if "Type" not in definition]
    assert overrides
    orphans = [logical_id for logical_id in overrides if "Type" not in merged[logical_id]]
    assert orphans == [], "infra/template.yaml overrides resources that chalice package no longer generates"


def test_no_intrinsic_was_fused_by_the_deep_merge(packaged: tuple[str, Path]) -> None:
    # The merge is a dict merge: overriding {"Fn::Sub": ...} with {"Fn::GetAtt": ...} yields one
    # dict with both keys, which CloudFormation rejects.
    _, out = packaged
    fused = [
        path
        for path, value in _intrinsic_dicts(_template(out))
        if len([key for key in value if key == "Ref" or key.startswith("Fn::")]) > 1
    ]
    assert fused == []


def test_every_function_runs_with_the_runtime_role(packaged: tuple[str, Path]) -> None:
    _, out = packaged
    functions = {
        logical_id: definition["Properties"]
        for logical_id, definition in _template(out)["Resources"].items()
        if definition["Type"] == "AWS::Serverless::Function"
    }
    assert set(CHALICE_FUNCTIONS) <= set(functions)
    wrong_role = {logical_id for logical_id, props in functions.items() if props["Role"] != RUNTIME_ROLE}
    assert wrong_role == set(), "add these functions to the overrides of infra/template.yaml"
    for logical_id, props in functions.items():
        queue_name = props.get("Environment", {}).get("Variables", {}).get("TIMER_QUEUE_NAME")
        if queue_name is not None:
            assert queue_name == {"Fn::GetAtt": ["TimerQueue", "QueueName"]}, logical_id


def test_the_only_iam_roles_are_the_stack_ones(packaged: tuple[str, Path]) -> None:
    # .chalice/config.json must say "manage_iam_role": false (with a placeholder iam_role_arn):
    # otherwise Chalice adds a DefaultRole with its own auto-generated policy that nothing uses.
    _, out = packaged
    roles = {
        logical_id
        for logical_id, definition in _template(out)["Resources"].items()
        if definition["Type"] == "AWS::IAM::Role"
    }
    assert roles == {"RuntimeRole", "SchedulerRole"}


def test_timer_handler_listens_to_the_stack_queue(packaged: tuple[str, Path]) -> None:
    _, out = packaged
    events = _template(out)["Resources"]["OnTimer"]["Properties"]["Events"]
    sqs = [event for event in events.values() if event["Type"] == "SQS"]
    assert len(sqs) == 1
    assert sqs[0]["Properties"]["Queue"] == TIMER_QUEUE_ARN


def test_inbound_email_handler_listens_to_the_stack_topic(packaged: tuple[str, Path]) -> None:
    _, out = packaged
    events = _template(out)["Resources"]["OnInboundEmail"]["Properties"]["Events"]
    sns = [event for event in events.values() if event["Type"] == "SNS"]
    assert len(sns) == 1
    assert sns[0]["Properties"]["Topic"] == {"Fn::Sub": "${InboundTopic}"}


def test_websocket_connect_goes_through_the_authorizer(packaged: tuple[str, Path]) -> None:
    _, out = packaged
    resources = _template(out)["Resources"]
    route = resources["WebsocketConnectRoute"]["Properties"]
    assert route["RouteKey"] == "$connect"
    assert route["AuthorizationType"] == "CUSTOM"
    assert route["AuthorizerId"] == {"Ref": "WebsocketAuthorizer"}
    authorizer = resources["WebsocketAuthorizer"]["Properties"]
    assert authorizer["ApiId"] == {"Ref": "WebsocketAPI"}
    assert "${WsAuthorizer.Arn}" in authorizer["AuthorizerUri"]["Fn::Sub"]
    stage = resources["WebsocketAPIStage"]["Properties"]["StageName"]
    callback = _template(out)["Globals"]["Function"]["Environment"]["Variables"]["WS_CALLBACK_URL"]["Fn::Sub"]
    assert callback.endswith(f"/{stage}")
