"""Drift between ``infra/template.yaml`` (AWS) and ``local/provision.py`` (the embedded moto).

Every resource of the template is either created locally and compared here, property by
property, with its definition, or skipped for a stated reason. A property that no checker below
compares fails the suite, so the template cannot grow (a GSI, a queue attribute, a client flow)
without the local stack and this file following.
"""

from __future__ import annotations

import copy
import json
import re
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from local.provision import (
    IGNORED_PROPERTIES,
    PROVISIONED_TYPES,
    SKIPPED_TYPES,
    PhysicalResource,
    ProvisionError,
    ProvisionResult,
    _conditions,
    load_template,
    provision,
    provision_stack,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "infra" / "template.yaml"
CONTRACT_PATH = ROOT / "docs" / "contract.md"
TEMPLATE = load_template(TEMPLATE_PATH)
REGION = "us-east-1"
# moto's backends are process-wide: every moto server of the pytest process shares them, and the
# session fixture of conftest.py provisions stage "local". Own stages keep the names apart.
STAGE = "drift"
MAIL_FROM = "noreply@drift.guichet.local"

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


# --------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Aws:
    endpoint_url: str

    def client(self, service: str) -> Any:
        config = Config(s3={"addressing_style": "path"}) if service == "s3" else None
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=REGION, config=config)


def _fake_credentials(mp: pytest.MonkeyPatch) -> None:
    for name, value in FAKE_AWS_ENV.items():
        mp.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION"):
        mp.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_credentials(monkeypatch)


def _start_moto() -> tuple[ThreadedMotoServer, str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


@pytest.fixture(scope="module")
def provisioned() -> Iterator[tuple[Aws, ProvisionResult]]:
    with pytest.MonkeyPatch.context() as mp:
        _fake_credentials(mp)
        server, endpoint = _start_moto()
        try:
            yield Aws(endpoint), provision_stack(TEMPLATE_PATH, endpoint, REGION, STAGE, MAIL_FROM)
        finally:
            server.stop()


@pytest.fixture(scope="module")
def aws(provisioned: tuple[Aws, ProvisionResult]) -> Aws:
    return provisioned[0]


@pytest.fixture(scope="module")
def drift_stack(provisioned: tuple[Aws, ProvisionResult]) -> ProvisionResult:
    return provisioned[1]


# --------------------------------------------------------------------------- checkers
# One per provisioned type: (aws, created resource, resolved template properties) -> asserts.
# CHECKED lists the properties each compares; a template property outside it fails the suite.


def _by_name(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {str(item[key]): item for item in items}


def check_table(aws: Aws, res: PhysicalResource, props: Mapping[str, Any]) -> None:
    ddb = aws.client("dynamodb")
    table = ddb.describe_table(TableName=res.ref)["Table"]
    assert table["TableName"] == props["TableName"]
    assert table["KeySchema"] == props["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(props["AttributeDefinitions"], key=str)
    assert table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED") == props.get(
        "BillingMode", "PROVISIONED"
    )
    if "ProvisionedThroughput" in props:
        for key, value in props["ProvisionedThroughput"].items():
            assert table["ProvisionedThroughput"][key] == value
    actual_gsis = {
        name: {"KeySchema": gsi["KeySchema"], "Projection": gsi["Projection"]}
        for name, gsi in _by_name(table.get("GlobalSecondaryIndexes", []), "IndexName").items()
    }
    expected_gsis = {
        name: {"KeySchema": gsi["KeySchema"], "Projection": gsi["Projection"]}
        for name, gsi in _by_name(props.get("GlobalSecondaryIndexes", []), "IndexName").items()
    }
    assert actual_gsis == expected_gsis
    actual_lsis = {
        name: {"KeySchema": lsi["KeySchema"], "Projection": lsi["Projection"]}
        for name, lsi in _by_name(table.get("LocalSecondaryIndexes", []), "IndexName").items()
    }
    expected_lsis = {
        name: {"KeySchema": lsi["KeySchema"], "Projection": lsi["Projection"]}
        for name, lsi in _by_name(props.get("LocalSecondaryIndexes", []), "IndexName").items()
    }
    assert actual_lsis == expected_lsis
    if "StreamSpecification" in props:
        assert table["StreamSpecification"] == {"StreamEnabled": True, **props["StreamSpecification"]}
    else:
        assert not table.get("StreamSpecification", {}).get("StreamEnabled", False)
    ttl = ddb.describe_time_to_live(TableName=res.ref)["TimeToLiveDescription"]
    if props.get("TimeToLiveSpecification", {}).get("Enabled"):
        assert ttl["TimeToLiveStatus"] == "ENABLED"
        assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"]
    else:
        assert ttl["TimeToLiveStatus"] in {"DISABLED", "DISABLING"}
    backups = ddb.describe_continuous_backups(TableName=res.ref)["ContinuousBackupsDescription"]
    pitr = backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
    wanted = props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False)
    assert pitr == ("ENABLED" if wanted else "DISABLED")
    if props.get("SSESpecification", {}).get("SSEEnabled"):
        assert table["SSEDescription"]["Status"] == "ENABLED"


def check_queue(aws: Aws, res: PhysicalResource, props: Mapping[str, Any]) -> None:
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=res.ref, AttributeNames=["All"])["Attributes"]
    assert attributes["QueueArn"].rsplit(":", 1)[1] == props["QueueName"]
    for key in ("DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "VisibilityTimeout"):
        if key in props:
            assert int(attributes[key]) == int(props[key]), key
    if "ReceiveMessageWaitTimeSeconds" in props:
        assert int(attributes["ReceiveMessageWaitTimeSeconds"]) == int(props["ReceiveMessageWaitTimeSeconds"])
    if "SqsManagedSseEnabled" in props:
        assert attributes["SqsManagedSseEnabled"] == str(props["SqsManagedSseEnabled"]).lower()
    if "RedrivePolicy" in props:
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == props["RedrivePolicy"]["deadLetterTargetArn"]
        assert int(redrive["maxReceiveCount"]) == int(props["RedrivePolicy"]["maxReceiveCount"])
    else:
        assert "RedrivePolicy" not in attributes


def check_schedule_group(aws: Aws, res: PhysicalResource, props: Mapping[str, Any]) -> None:
    group = aws.client("scheduler").get_schedule_group(Name=res.ref)
    assert group["Name"] == props["Name"]
    assert group["State"] == "ACTIVE"


def check_role(aws: Aws, res: PhysicalResource, props: Mapping[str, Any]) -> None:
    iam = aws.client("iam")
    role = iam.get_role(RoleName=res.ref)["Role"]
    assert role["AssumeRolePolicyDocument"] == props["AssumeRolePolicyDocument"]
    if "RoleName" in props:
        assert role["RoleName"] == props["RoleName"]
    if "Description" in props:
        assert role["Description"] == props["Description"]
    expected = {policy["PolicyName"]: policy["PolicyDocument"] for policy in props.get("Policies", [])}
    actual = {
        name: iam.get_role_policy(RoleName=res.ref, PolicyName=name)["PolicyDocument"]
        for name in iam.list_role_policies(RoleName=res.ref)["PolicyNames"]
    }
    assert actual == expected


def check_user_pool(aws: Aws, res: PhysicalResource, props: Mapping[str, Any]) -> None:
    pool = aws.client("cognito-idp").describe_user_pool(UserPoolId=res.ref)["UserPool"]
    assert pool["Name"] == props["UserPoolName"]
    if "AdminCreateUserConfig" in props:
        for key, value in props["AdminCreateUserConfig"].items():
            assert pool["AdminCreateUserConfig"][key] == value, key
    for key, value in props.get("Policies", {}).get("PasswordPolicy", {}).items():
        assert pool["Policies"]["PasswordPolicy"][key] == value, key
    schema = _by_name(pool["SchemaAttributes"], "Name")
    for attribute in props.get("Schema", []):
        standard = attribute["Name"] in {"email", "name", "phone_number", "preferred_username"}
        actual = schema[attribute["Name"] if standard else f"custom:{attribute['Name']}"]
        for key, value in attribute.items():
            if key != "Name":
                assert actual[key] == value, (attribute["Name"], key)


def check_user_pool_client(aws: Aws, res: PhysicalResource, props: Mapping[str, Any]) -> None:
    client = aws.client("cognito-idp").describe_user_pool_client(UserPoolId=props["UserPoolId"], ClientId=res.ref)[
        "UserPoolClient"
    ]
    assert client["ClientName"] == props["ClientName"]
    assert ("ClientSecret" in client) == bool(props.get("GenerateSecret", False))
    for key in ("ExplicitAuthFlows", "ReadAttributes", "WriteAttributes"):
        if key in props:
            assert sorted(client[key]) == sorted(props[key]), key
    for key in (
        "PreventUserExistenceErrors",
        "AccessTokenValidity",
        "IdTokenValidity",
        "RefreshTokenValidity",
        "TokenValidityUnits",
    ):
        if key in props:
            assert client[key] == props[key], key


def check_user_pool_group(aws: Aws, res: PhysicalResource, props: Mapping[str, Any]) -> None:
    group = aws.client("cognito-idp").get_group(GroupName=res.ref, UserPoolId=props["UserPoolId"])["Group"]
    assert group["GroupName"] == props["GroupName"]
    for key in ("Description", "Precedence"):
        if key in props:
            assert group[key] == props[key], key


def check_secret(aws: Aws, res: PhysicalResource, props: Mapping[str, Any]) -> None:
    secrets = aws.client("secretsmanager")
    described = secrets.describe_secret(SecretId=res.ref)
    if "Name" in props:
        assert described["Name"] == props["Name"]
    if "Description" in props:
        assert described["Description"] == props["Description"]
    value = str(secrets.get_secret_value(SecretId=res.ref)["SecretString"])
    if "SecretString" in props:
        assert value == props["SecretString"]
    spec = props.get("GenerateSecretString", {})
    if "PasswordLength" in spec:
        assert len(value) == int(spec["PasswordLength"])
    if spec.get("ExcludePunctuation"):
        assert value.isalnum()
    for char in str(spec.get("ExcludeCharacters", "")):
        assert char not in value


def check_bucket(aws: Aws, res: PhysicalResource, props: Mapping[str, Any]) -> None:
    s3 = aws.client("s3")
    s3.head_bucket(Bucket=res.ref)
    if "BucketName" in props:
        assert res.ref == props["BucketName"]
    if "PublicAccessBlockConfiguration" in props:
        block = s3.get_public_access_block(Bucket=res.ref)["PublicAccessBlockConfiguration"]
        assert block == props["PublicAccessBlockConfiguration"]
    if "OwnershipControls" in props:
        assert s3.get_bucket_ownership_controls(Bucket=res.ref)["OwnershipControls"] == props["OwnershipControls"]
    if "BucketEncryption" in props:
        rules = s3.get_bucket_encryption(Bucket=res.ref)["ServerSideEncryptionConfiguration"]["Rules"]
        expected = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert [rule["ApplyServerSideEncryptionByDefault"] for rule in rules] == [
            rule["ServerSideEncryptionByDefault"] for rule in expected
        ]
    if "LifecycleConfiguration" in props:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=res.ref)["Rules"]
        assert [(r["ID"], r["Status"], r["Filter"]["Prefix"], r["Expiration"]["Days"]) for r in rules] == [
            (r["Id"], r["Status"], r["Prefix"], int(r["ExpirationInDays"]))
            for r in props["LifecycleConfiguration"]["Rules"]]


def check_email_identity(aws: Aws, res: PhysicalResource, props: Mapping[str, Any]) -> None:
    identity = aws.client("sesv2").get_email_identity(EmailIdentity=props["EmailIdentity"])
    assert identity["IdentityType"] in {"EMAIL_ADDRESS", "DOMAIN"}
    assert props["EmailIdentity"] in aws.client("ses").list_identities()["Identities"]


def check_topic(aws: Aws, res: PhysicalResource, props: Mapping[str, Any]) -> None:
    attributes = aws.client("sns").get_topic_attributes(TopicArn=res.ref)["Attributes"]
    assert attributes["TopicArn"] == res.ref == res.attributes["TopicArn"]
    assert res.ref.endswith(f":{props['TopicName']}") and res.attributes["TopicName"] == props["TopicName"]


Checker = Callable[[Aws, PhysicalResource, Mapping[str, Any]], None]

CHECKERS: dict[str, tuple[Checker, frozenset[str]]] = {
    "AWS::DynamoDB::Table": (
        check_table,
        frozenset(
            {
                "TableName",
                "KeySchema",
                "AttributeDefinitions",
                "BillingMode",
                "ProvisionedThroughput",
                "GlobalSecondaryIndexes",
                "LocalSecondaryIndexes",
                "StreamSpecification",
                "TimeToLiveSpecification",
                "PointInTimeRecoverySpecification",
                "SSESpecification",
            }
        ),
    ),
    "AWS::SQS::Queue": (
        check_queue,
        frozenset(
            {
                "QueueName",
                "DelaySeconds",
                "MaximumMessageSize",
                "MessageRetentionPeriod",
                "ReceiveMessageWaitTimeSeconds",
                "VisibilityTimeout",
                "SqsManagedSseEnabled",
                "RedrivePolicy",
            }
        ),
    ),
    "AWS::Scheduler::ScheduleGroup": (check_schedule_group, frozenset({"Name"})),
    "AWS::IAM::Role": (
        check_role,
        frozenset({"RoleName", "AssumeRolePolicyDocument", "Policies", "Description"}),
    ),
    "AWS::Cognito::UserPool": (
        check_user_pool,
        frozenset({"UserPoolName", "AdminCreateUserConfig", "Policies", "Schema"}),
    ),
    "AWS::Cognito::UserPoolClient": (
        check_user_pool_client,
        frozenset(
            {
                "ClientName",
                "UserPoolId",
                "GenerateSecret",
                "ExplicitAuthFlows",
                "ReadAttributes",
                "WriteAttributes",
                "PreventUserExistenceErrors",
                "AccessTokenValidity",
                "IdTokenValidity",
                "RefreshTokenValidity",
                "TokenValidityUnits",
            }
        ),
    ),
    "AWS::Cognito::UserPoolGroup": (
        check_user_pool_group,
        frozenset({"GroupName", "UserPoolId", "Description", "Precedence"}),
    ),
    "AWS::SecretsManager::Secret": (
        check_secret,
        frozenset({"Name", "Description", "GenerateSecretString", "SecretString"}),
    ),
    "AWS::S3::Bucket": (
        check_bucket,
        frozenset({"BucketName", "PublicAccessBlockConfiguration", "OwnershipControls", "BucketEncryption",
                   "LifecycleConfiguration"}),
    ),
    "AWS::SES::EmailIdentity": (check_email_identity, frozenset({"EmailIdentity"})),
    "AWS::SNS::Topic": (check_topic, frozenset({"TopicName"})),
}


def _typed_resources() -> list[tuple[str, str]]:
    return [
        (logical_id, str(definition["Type"]))
        for logical_id, definition in TEMPLATE["Resources"].items()
        if "Type" in definition
    ]


PROVISIONED_IDS = [logical_id for logical_id, kind in _typed_resources() if kind in PROVISIONED_TYPES]


# --------------------------------------------------------------------------- coverage of the template


def test_every_resource_type_is_provisioned_or_explicitly_skipped() -> None:
    unknown = {
        logical_id: kind
        for logical_id, kind in _typed_resources()
        if kind not in PROVISIONED_TYPES and kind not in SKIPPED_TYPES
    }
    assert unknown == {}, "teach local/provision.py these types, or skip them with a reason"
    assert not (PROVISIONED_TYPES & set(SKIPPED_TYPES))


def test_every_provisioned_type_has_a_drift_checker() -> None:
    assert set(CHECKERS) >= PROVISIONED_TYPES


def test_every_template_resource_is_created_or_skipped(drift_stack: ProvisionResult) -> None:
    assert set(drift_stack.resources) | set(drift_stack.skipped) == set(TEMPLATE["Resources"])
    assert not set(drift_stack.resources) & set(drift_stack.skipped)
    assert sorted(drift_stack.resources) == sorted(PROVISIONED_IDS)
    for logical_id, definition in TEMPLATE["Resources"].items():
        if "Type" not in definition:
            # An override merged into Chalice's own resource by `chalice package --merge-template`:
            # it may only touch Properties (test_package.py checks it lands on a real resource).
            assert set(definition) == {"Properties"}, logical_id
            assert logical_id in drift_stack.skipped


@pytest.mark.parametrize("logical_id", PROVISIONED_IDS)
def test_every_template_property_is_checked(logical_id: str) -> None:
    definition = TEMPLATE["Resources"][logical_id]
    kind = str(definition["Type"])
    _, checked = CHECKERS[kind]
    unchecked = set(definition.get("Properties", {})) - checked - set(IGNORED_PROPERTIES.get(kind, {}))
    assert unchecked == set(), f"{logical_id}: no drift check for {sorted(unchecked)}"


@pytest.mark.parametrize("logical_id", PROVISIONED_IDS)
def test_local_resource_matches_template(aws: Aws, drift_stack: ProvisionResult, logical_id: str) -> None:
    created = drift_stack.resources[logical_id]
    definition = TEMPLATE["Resources"][logical_id]
    kind = str(definition["Type"])
    assert created.type == kind
    ignored = set(IGNORED_PROPERTIES.get(kind, {}))
    assert set(created.properties) == set(definition.get("Properties", {})) - ignored
    checker, _ = CHECKERS[kind]
    checker(aws, created, created.properties)


def test_parameters_are_the_local_ones(drift_stack: ProvisionResult) -> None:
    # The others (ReplyDomain, the API Gateway throttling limits) keep their template defaults.
    defaults = {name: str(spec["Default"]) for name, spec in TEMPLATE["Parameters"].items()}
    assert drift_stack.parameters == {**defaults, "Stage": STAGE, "MailFrom": MAIL_FROM}
    assert drift_stack.parameters["ReplyDomain"] == ""


# --------------------------------------------------------------------------- the checkers catch drift


def test_checker_catches_a_gsi_missing_locally(aws: Aws, drift_stack: ProvisionResult) -> None:
    table = drift_stack.resources["Table"]
    drifted = copy.deepcopy(dict(table.properties))
    drifted["GlobalSecondaryIndexes"].append(
        {
            "IndexName": "gsi2",
            "KeySchema": [{"AttributeName": "gsi2pk", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    )
    with pytest.raises(AssertionError):
        check_table(aws, table, drifted)


def test_checker_catches_a_queue_setting_missing_locally(aws: Aws, drift_stack: ProvisionResult) -> None:
    queue = drift_stack.resources["TimerQueue"]
    drifted = {**queue.properties, "VisibilityTimeout": 900}
    with pytest.raises(AssertionError):
        check_queue(aws, queue, drifted)


def test_checker_catches_a_client_flow_missing_locally(aws: Aws, drift_stack: ProvisionResult) -> None:
    client = drift_stack.resources["UserPoolClient"]
    flows = [*client.properties["ExplicitAuthFlows"], "ALLOW_USER_SRP_AUTH"]
    with pytest.raises(AssertionError):
        check_user_pool_client(aws, client, {**client.properties, "ExplicitAuthFlows": flows})


def _write_template(tmp_path: Path, resources: dict[str, Any]) -> Path:
    template = {**TEMPLATE, "Resources": resources}
    path = tmp_path / "template.yaml"
    path.write_text(json.dumps(template), encoding="utf-8")  # JSON is YAML
    return path


def test_unknown_resource_type_fails_loudly(tmp_path: Path) -> None:
    path = _write_template(tmp_path, {"Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {}}})
    with pytest.raises(ProvisionError, match=r"AWS::Kinesis::Stream"):
        provision(path, "http://127.0.0.1:9")


def test_unknown_property_fails_loudly(tmp_path: Path) -> None:
    table = copy.deepcopy(TEMPLATE["Resources"]["Table"])
    table["Properties"]["ContributorInsightsSpecification"] = {"Enabled": True}
    path = _write_template(tmp_path, {"Table": table})
    server, endpoint = _start_moto()
    try:
        with pytest.raises(ProvisionError, match=r"ContributorInsightsSpecification"):
            provision(path, endpoint, stage="unknown-property")
    finally:
        server.stop()


def test_short_form_tags_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref X\n")
    with pytest.raises(Exception, match=r"!Ref"):
        load_template(path)


# --------------------------------------------------------------------------- the environment


def _contract_variables() -> set[str]:
    text = CONTRACT_PATH.read_text(encoding="utf-8")
    section = text.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def test_environment_covers_the_contract_and_the_template(drift_stack: ProvisionResult) -> None:
    contract = _contract_variables()
    assert {"TABLE_NAME", "TIMER_QUEUE_URL", "USER_POOL_ID", "AWS_ENDPOINT_URL"} <= contract
    assert contract <= set(drift_stack.env), sorted(contract - set(drift_stack.env))
    globals_ = set(TEMPLATE["Globals"]["Function"]["Environment"]["Variables"])
    local_only = {"COGNITO_JWKS_URL", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"}
    assert set(drift_stack.env) == globals_ | local_only
    # What Lambda gets on AWS must be a contract variable (or the app would never read it).
    assert globals_ <= contract, sorted(globals_ - contract)


def test_environment_points_at_the_created_resources(aws: Aws, drift_stack: ProvisionResult) -> None:
    env = drift_stack.env
    res = drift_stack.resources
    assert env["GUICHET_STAGE"] == STAGE
    assert env["TABLE_NAME"] == res["Table"].ref == f"guichet-{STAGE}"
    assert env["TIMER_QUEUE_URL"] == res["TimerQueue"].ref
    assert env["TIMER_QUEUE_ARN"] == res["TimerQueue"].attributes["Arn"]
    assert env["TIMER_QUEUE_NAME"] == f"guichet-timers-{STAGE}"
    assert env["SCHEDULE_GROUP"] == res["ScheduleGroup"].ref
    assert env["SCHEDULER_ROLE_ARN"] == res["SchedulerRole"].attributes["Arn"]
    assert env["USER_POOL_ID"] == res["UserPool"].ref
    assert env["USER_POOL_CLIENT_ID"] == res["UserPoolClient"].ref
    assert env["VISITOR_SECRET_ID"] == res["VisitorTokenSecret"].ref
    assert env["MAIL_FROM"] == MAIL_FROM
    assert env["ASSETS_BUCKET"] == res["AssetsBucket"].ref
    assert env["MAIL_BUCKET"] == res["MailBucket"].ref
    assert env["WS_CALLBACK_URL"] == "http://127.0.0.1:8000"
    assert env["AWS_ENDPOINT_URL"] == aws.endpoint_url
    assert env["COGNITO_JWKS_URL"] == f"{aws.endpoint_url}/{env['USER_POOL_ID']}/.well-known/jwks.json"


def test_the_app_can_use_the_local_resources(aws: Aws, drift_stack: ProvisionResult) -> None:
    """A smoke run of every call the adapters make, with only the returned environment."""
    env = drift_stack.env
    ddb = aws.client("dynamodb")
    ddb.put_item(TableName=env["TABLE_NAME"], Item={"pk": {"S": "T#demo#x"}, "sk": {"S": "x"}})
    ddb.query(
        TableName=env["TABLE_NAME"],
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": {"S": "nothing"}},
    )

    sqs = aws.client("sqs")
    sqs.send_message(QueueUrl=env["TIMER_QUEUE_URL"], MessageBody='{"kind":"test"}', DelaySeconds=1)
    aws.client("scheduler").create_schedule(
        Name="smoke",
        GroupName=env["SCHEDULE_GROUP"],
        ScheduleExpression="at(2030-01-01T00:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={"Arn": env["TIMER_QUEUE_ARN"], "RoleArn": env["SCHEDULER_ROLE_ARN"], "Input": "{}"},
    )

    secret = aws.client("secretsmanager").get_secret_value(SecretId=env["VISITOR_SECRET_ID"])
    assert len(secret["SecretString"]) == 64

    idp = aws.client("cognito-idp")
    pool, client_id = env["USER_POOL_ID"], env["USER_POOL_CLIENT_ID"]
    idp.admin_create_user(
        UserPoolId=pool,
        Username="alice",
        UserAttributes=[{"Name": "custom:tenant", "Value": "demo"}],
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(UserPoolId=pool, Username="alice", Password="Correct-Horse-42", Permanent=True)
    for group in ("agent", "supervisor", "admin"):
        idp.admin_add_user_to_group(UserPoolId=pool, Username="alice", GroupName=group)
    tokens = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": "Correct-Horse-42"},
    )["AuthenticationResult"]
    assert tokens["IdToken"]
    with urllib.request.urlopen(env["COGNITO_JWKS_URL"], timeout=10) as answer:
        assert json.load(answer)["keys"]

    aws.client("sesv2").send_email(
        FromEmailAddress=env["MAIL_FROM"],
        Destination={"ToAddresses": ["visitor@example.com"]},
        ReplyToAddresses=["c-123@reply.guichet.local"],
        Content={"Simple": {"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hello"}}}},
    )
    aws.client("s3").put_object(Bucket=env["ASSETS_BUCKET"], Key="widget/x.js", Body=b"//")
    aws.client("s3").put_object(Bucket=env["MAIL_BUCKET"], Key="inbound/1.eml", Body=b"x")


def test_provision_returns_the_environment() -> None:
    server, endpoint = _start_moto()
    try:
        env = provision(
            TEMPLATE_PATH,
            endpoint,
            stage="solo",
            mail_from="noreply@solo.guichet.local",
            ws_callback_url="http://127.0.0.1:1234",
        )
    finally:
        server.stop()
    assert env["WS_CALLBACK_URL"] == "http://127.0.0.1:1234"
    assert env["TABLE_NAME"] == "guichet-solo"
    assert env["GUICHET_STAGE"] == "solo"
    assert env["MAIL_FROM"] == "noreply@solo.guichet.local"
    assert env["AWS_ENDPOINT_URL"] == endpoint


# --------------------------------------------------------------------------- telephony


def test_telephony_resources_wait_for_a_calling_number(drift_stack: ProvisionResult) -> None:
    """CallingNumber is empty locally: the SIP media application and what names it are skipped, the audio bucket
    (hold music, recordings) is created."""
    off = "condition TelephonyOn is false with the local parameters"
    assert {logical_id: drift_stack.skipped[logical_id] for logical_id in (
        "SipMediaApplication", "SmaHandlerInvokePermission", "TelephonyPolicy", "AudioBucketPolicy")} == {
        "SipMediaApplication": off, "SmaHandlerInvokePermission": off, "TelephonyPolicy": off,
        "AudioBucketPolicy": off}
    assert drift_stack.env["AUDIO_BUCKET"] == drift_stack.resources["AudioBucket"].ref
    assert drift_stack.env["CALLING_NUMBER"] == ""


def test_conditions_follow_the_parameters() -> None:
    parameters = {name: str(spec.get("Default", "")) for name, spec in TEMPLATE["Parameters"].items()}
    assert _conditions(TEMPLATE, parameters) == {"TelephonyOn": False}
    assert _conditions(TEMPLATE, {**parameters, "CallingNumber": "+12065550100"}) == {"TelephonyOn": True}


def test_the_report_stream_is_pumped_locally_never_mapped(aws: Aws, drift_stack: ProvisionResult) -> None:
    """Issue 15: the table streams both images and the on-failure queue exists locally too, but the consumer's
    event source mapping (an override of a Chalice function) is not created on moto, which would invoke the
    function with every buffered record as an INSERT and drop them (research §2.3): local/stream_pump.py reads the
    stream instead."""
    assert "OnTableChange" in drift_stack.skipped
    table = aws.client("dynamodb").describe_table(TableName=drift_stack.resources["Table"].ref)["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert drift_stack.resources["ReportFailureQueue"].attributes["QueueName"] == f"guichet-report-failures-{STAGE}"
    assert aws.client("lambda").list_event_source_mappings()["EventSourceMappings"] == []
