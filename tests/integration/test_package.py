"""``chalice package --merge-template infra/template.yaml`` yields one SAM template that cfn-lint accepts.

It packages the real repository (``app.py``, ``.chalice/config.json``), so it also catches a Chalice
logical id that no longer matches an override in ``infra/template.yaml``. Packaging downloads the
Lambda wheels on the first run (about a minute), then reuses ``.chalice/deployments/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
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
    "SmaHandler",
    "OnTableChange",
)
# cfn-lint checks resource types against one Region's schemas. AWS::Chime::SipMediaApplication exists in
# us-east-1 (a PSTN Region) but not in us-west-2 in cfn-lint 1.58 (research/telephony.md, addendum): lint for
# us-east-1, where the telephony part is deployed (docs/deploy.md, "Telephony").
LINT_REGION = "us-east-1"

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


def _start_package(stage: str, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [_tool("chalice"), "package", "--stage", stage, "--merge-template", str(MERGE_TEMPLATE), str(out)],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


#: The first stage's packaging, started when the session collects this module (`package_early`), so that its wheel
#: download (about a minute on a fresh clone) overlaps the other tests instead of waiting in line. One at a time:
#: both stages write the same wheel cache in .chalice/deployments/.
_early: dict[str, tuple[subprocess.Popen[str], Path]] = {}
STAGES = ("dev", "prod")


def package_early() -> None:
    """Called by tests/integration/conftest.py at collection time."""
    if not _early:
        out = Path(tempfile.mkdtemp(prefix=f"guichet-package-{STAGES[0]}-"))
        _early[STAGES[0]] = (_start_package(STAGES[0], out), out)


def _finish(process: subprocess.Popen[str]) -> None:
    try:
        output, _ = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, f"chalice package failed:\n{output}"


@pytest.fixture(scope="module", params=STAGES)
def packaged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    stage = str(request.param)
    if stage in _early:
        process, out = _early.pop(stage)
    else:
        out = tmp_path_factory.mktemp(f"package-{stage}")
        process = _start_package(stage, out)
    try:
        _finish(process)
        yield stage, out
    finally:
        if out.name.startswith("guichet-package-"):
            shutil.rmtree(out, ignore_errors=True)


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
    command = [_tool("cfn-lint"), "--format", "json", "--regions", LINT_REGION]
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


def test_the_api_links_emails_to_the_desk_page_on_the_stacks_distribution(packaged: tuple[str, Path]) -> None:
    """Invitations and password resets link to DESK_URL: the desk's page on CloudFront, not the admin's origin."""
    _, out = packaged
    resources = _template(out)["Resources"]
    variables = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["DESK_URL"] == {"Fn::Sub": "https://${AssetsDistribution.DomainName}/desk/index.html"}
    assert resources["AssetsDistribution"]["Type"] == "AWS::CloudFront::Distribution"


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


def test_the_sip_media_application_invokes_the_sma_handler_and_only_when_telephony_is_on(
        packaged: tuple[str, Path]) -> None:
    _, out = packaged
    resources = _template(out)["Resources"]
    sma = resources["SipMediaApplication"]
    assert sma["Type"] == "AWS::Chime::SipMediaApplication"
    assert sma["Condition"] == "TelephonyOn"
    assert sma["Properties"]["Endpoints"] == [{"LambdaArn": {"Fn::GetAtt": ["SmaHandler", "Arn"]}}]
    assert resources["SmaHandler"]["Properties"]["Handler"] == "app.sma_handler"
    permission = resources["SmaHandlerInvokePermission"]["Properties"]
    assert (permission["FunctionName"], permission["Principal"]) == (
        {"Ref": "SmaHandler"}, "voiceconnector.chime.amazonaws.com")


def test_calls_are_allowed_on_this_stacks_sip_media_application_only(packaged: tuple[str, Path]) -> None:
    _, out = packaged
    statements = _template(out)["Resources"]["TelephonyPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    calls = next(s for s in statements if s["Sid"] == "Calls")
    assert calls["Action"] == ["chime:CreateSipMediaApplicationCall", "chime:UpdateSipMediaApplicationCall"]
    assert calls["Resource"] == {"Fn::GetAtt": ["SipMediaApplication", "SipMediaApplicationArn"]}


def test_recordings_expire_after_the_retention_parameter(packaged: tuple[str, Path]) -> None:
    _, out = packaged
    template = _template(out)
    assert template["Parameters"]["RecordingRetentionDays"]["Default"] == 90
    rules = template["Resources"]["AudioBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rules == [{"Id": "ExpireRecordings", "Status": "Enabled", "Prefix": "recordings/",
                      "ExpirationInDays": {"Ref": "RecordingRetentionDays"}}]


def test_timer_handler_listens_to_the_stack_queue(packaged: tuple[str, Path]) -> None:
    _, out = packaged
    events = _template(out)["Resources"]["OnTimer"]["Properties"]["Events"]
    sqs = [event for event in events.values() if event["Type"] == "SQS"]
    assert len(sqs) == 1
    assert sqs[0]["Properties"]["Queue"] == TIMER_QUEUE_ARN


def test_timer_batches_report_their_failed_records(packaged: tuple[str, Path]) -> None:
    """on_timer answers batchItemFailures: SQS redelivers only those records (docs/operations.md)."""
    _, out = packaged
    events = _template(out)["Resources"]["OnTimer"]["Properties"]["Events"]
    (sqs,) = [event for event in events.values() if event["Type"] == "SQS"]
    assert sqs["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_report_consumer_reads_the_stack_tables_stream_with_bounded_retries_and_an_on_failure_queue(
        packaged: tuple[str, Path]) -> None:
    """The stream's event source mapping (issue 15, docs/deploy.md "Reports"): what Chalice cannot declare."""
    from chalicelib.adapters.dynamodb.stream_records import CONSUMED_TYPES

    _, out = packaged
    resources = _template(out)["Resources"]
    function = resources["OnTableChange"]["Properties"]
    assert function["Handler"] == "app.on_table_change"
    (stream,) = [event["Properties"] for event in function["Events"].values() if event["Type"] == "DynamoDB"]
    assert stream["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert stream["StartingPosition"] == "TRIM_HORIZON"
    assert stream["BisectBatchOnFunctionError"] is True
    assert stream["MaximumRetryAttempts"] == 5
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stream["DestinationConfig"] == {"OnFailure": {"Type": "SQS",
                                                         "Destination": {"Fn::GetAtt": ["ReportFailureQueue", "Arn"]}}}
    patterns = [json.loads(f["Pattern"]) for f in stream["FilterCriteria"]["Filters"]]
    assert patterns == [{"dynamodb": {"NewImage": {"t": {"S": list(CONSUMED_TYPES)}}}}]
    assert resources["Table"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert resources["ReportFailureQueue"]["Type"] == "AWS::SQS::Queue"
    statements = resources["GuichetRuntimePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    sends = next(s for s in statements if s["Sid"] == "ReportFailureQueue")
    assert (sends["Action"], sends["Resource"]) == ("sqs:SendMessage", {"Fn::GetAtt": ["ReportFailureQueue", "Arn"]})


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


# --------------------------------------------------------------------------- throttling (docs/deploy.md)

DEPLOY_GUIDE = ROOT / "docs" / "deploy.md"
# (route as app.py declares it, method) -> (requests per second, burst) with the template's defaults; ("*", "*")
# is every method without a row of its own (ResourcePath "/*", HttpMethod "*").
REST_THROTTLING = {
    ("*", "*"): (100, 200),
    ("/tenants/{tenant}/widget", "GET"): (500, 1000),
    ("/tenants/{tenant}/availability", "GET"): (500, 1000),
    ("/auth/login", "POST"): (5, 10),
    ("/tenants/{tenant}/visitors", "POST"): (20, 40),
    ("/tenants/{tenant}/contacts", "POST"): (10, 20),
    ("/tenants/{tenant}/sales", "POST"): (10, 20),
    ("/tenants/{tenant}/conversations/{conversation_id}/transcript", "GET"): (10, 20),
    ("/tenants/{tenant}/routing", "PUT"): (1, 5),
}
WEBSOCKET_DEFAULT_THROTTLING = (500, 1000)
WEBSOCKET_ROUTE_THROTTLING = {"$connect": (50, 100)}
# AWS's default regional quotas: requests per second and burst for the account (REST and WebSocket together),
# new WebSocket connections per second.
ACCOUNT_RATE, ACCOUNT_BURST, ACCOUNT_NEW_CONNECTIONS = 10_000, 5_000, 500


def _default(value: Any, parameters: dict[str, Any]) -> float:
    """A throttling value as deployed when no parameter is overridden: a template parameter's default."""
    assert isinstance(value, dict) and set(value) == {"Ref"}, f"{value} should be a template parameter"
    return float(parameters[value["Ref"]]["Default"])


def _limits(settings: dict[str, Any], parameters: dict[str, Any]) -> tuple[float, float]:
    return (
        _default(settings["ThrottlingRateLimit"], parameters),
        _default(settings["ThrottlingBurstLimit"], parameters),
    )


def _rest_throttling(template: dict[str, Any]) -> dict[tuple[str, str], tuple[float, float]]:
    settings = template["Resources"]["RestAPI"]["Properties"].get("MethodSettings", [])
    # ResourcePath is "/" then the path with each "/" written "~1": "/~1auth~1login" is /auth/login.
    return {
        (setting["ResourcePath"][1:].replace("~1", "/") or "/", setting["HttpMethod"]): _limits(
            setting, template["Parameters"]
        )
        for setting in settings
    }


def test_rest_stage_throttles_every_method_and_costly_routes_harder(packaged: tuple[str, Path]) -> None:
    _, out = packaged
    throttling = _rest_throttling(_template(out))
    assert throttling == REST_THROTTLING
    for rate, burst in throttling.values():
        assert 0 < rate <= burst <= ACCOUNT_BURST
        assert rate <= ACCOUNT_RATE


def test_every_throttled_rest_route_is_a_route_of_the_api(packaged: tuple[str, Path]) -> None:
    # A route renamed in app.py would leave its limit on a path that no longer exists.
    _, out = packaged
    template = _template(out)
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    routes = {(path, method.upper()) for path, methods in paths.items() for method in methods}
    per_route = set(_rest_throttling(template)) - {("*", "*")}
    assert per_route
    assert per_route - routes == set()


def test_throttled_rest_answers_can_be_read_by_the_widget_and_the_desk(packaged: tuple[str, Path]) -> None:
    # Both run on other origins than the API: without this header a 429 looks like a network failure.
    _, out = packaged
    responses = _template(out)["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    assert responses["THROTTLED"]["ResponseParameters"]["Headers"] == {"Access-Control-Allow-Origin": "'*'"}


def test_websocket_stage_throttles_frames_and_new_connections_harder(packaged: tuple[str, Path]) -> None:
    _, out = packaged
    template = _template(out)
    stage = template["Resources"]["WebsocketAPIStage"]["Properties"]
    parameters = template["Parameters"]
    assert _limits(stage["DefaultRouteSettings"], parameters) == WEBSOCKET_DEFAULT_THROTTLING
    per_route = {key: _limits(settings, parameters) for key, settings in stage["RouteSettings"].items()}
    assert per_route == WEBSOCKET_ROUTE_THROTTLING
    route_keys = {
        definition["Properties"]["RouteKey"]
        for definition in template["Resources"].values()
        if definition["Type"] == "AWS::ApiGatewayV2::Route"
    }
    assert set(per_route) <= route_keys
    connect_rate, connect_burst = per_route["$connect"]
    assert connect_rate <= ACCOUNT_NEW_CONNECTIONS
    assert connect_rate <= connect_burst


def test_deploy_guide_states_every_throttling_value_with_its_parameter() -> None:
    parameters = yaml.safe_load(MERGE_TEMPLATE.read_text(encoding="utf-8"))["Parameters"]
    throttling = {name: spec for name, spec in parameters.items() if name.endswith(("RateLimit", "BurstLimit"))}
    assert len(throttling) == 16
    guide = DEPLOY_GUIDE.read_text(encoding="utf-8")
    assert "## Throttling and abuse limits" in guide
    section = guide.split("## Throttling and abuse limits", 1)[1].split("\n## ", 1)[0]
    stated = [(name, value) for value, name in re.findall(r"\| (\d+) \(`(\w+)`\)", section)]
    assert {name for name, _ in stated} == set(throttling)
    wrong = [(name, value) for name, value in stated if value != str(throttling[name]["Default"])]
    assert wrong == []
