"""Create the resources of ``infra/template.yaml`` on the embedded AWS (a moto server).

The template is the single source of truth: this module reads it, resolves the few intrinsics it
needs (``Ref``, ``Fn::Sub``, ``Fn::GetAtt``, ``Fn::Join``; ``Conditions`` with ``Fn::Equals``, ``Fn::Not``,
``Fn::And``, ``Fn::Or``: a resource whose ``Condition`` is false locally is skipped) and creates each
resource with boto3, passing the template's properties through. It fails loudly on a resource type or a property it
does not know, unless the type is listed in ``SKIPPED_TYPES`` with the reason it only matters on
AWS. ``tests/integration/test_infra_provision.py`` checks that what it created matches the template.

moto keeps its state per process, shared by every moto server the process starts: "fresh" means
a new process, or ``POST {endpoint}/moto-api/reset``, or another ``stage`` (all names embed it).

The environment it returns is ``Globals.Function.Environment.Variables`` of the template resolved
against the local resources, plus the local-only variables of ``docs/contract.md``.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import boto3
import yaml
from botocore.config import Config

__all__ = [
    "PROVISIONED_TYPES",
    "SKIPPED_TYPES",
    "PhysicalResource",
    "ProvisionError",
    "ProvisionResult",
    "load_template",
    "provision",
    "provision_stack",
    "recreate",
]

#: Resource types that only matter on AWS, with the reason. Anything else unknown is an error.
SKIPPED_TYPES: Final[Mapping[str, str]] = {
    "AWS::IAM::ManagedPolicy": "IAM permissions are not enforced by the local stack",
    "AWS::Lambda::Permission": "the local gateway calls the handlers directly",
    "AWS::ApiGatewayV2::Authorizer": "the local gateway calls ws_authorizer on $connect itself",
    "AWS::CloudFront::Distribution": "the local gateway serves web/ itself",
    "AWS::CloudFront::OriginAccessControl": "the local gateway serves web/ itself",
    "AWS::S3::BucketPolicy": "it grants AWS service principals (CloudFront, SES) absent locally",
    "AWS::SNS::TopicPolicy": "it grants SES receiving, absent locally (the outbox page stands in for replies)",
    "AWS::IAM::Policy": "IAM permissions are not enforced by the local stack",
    "AWS::Chime::SipMediaApplication": "the local phone emulator stands in for Chime SDK PSTN audio (issue 13)",
}

#: The SIP media application the local phone emulator stands for (local/phone.py).
LOCAL_SIP_MEDIA_APPLICATION_ID: Final = "local-sip-media-application"

#: Properties of a provisioned type that are deliberately not applied locally, with the reason.
IGNORED_PROPERTIES: Final[Mapping[str, Mapping[str, str]]] = {
    "AWS::IAM::Role": {"ManagedPolicyArns": "managed policies are skipped (see SKIPPED_TYPES)"},
}

#: Environment variables whose template value points at a Chalice-declared resource.
LOCAL_ONLY_GLOBALS: Final[frozenset[str]] = frozenset({"WS_CALLBACK_URL"})

_PSEUDO_PARTITION: Final = "aws"
_PSEUDO_URL_SUFFIX: Final = "amazonaws.com"
_SUB_VARIABLE: Final = re.compile(r"\$\{([^}]*)\}")


class ProvisionError(RuntimeError):
    """The template holds something this module cannot create faithfully."""


@dataclass(frozen=True)
class PhysicalResource:
    """A created resource: what ``Ref`` and ``Fn::GetAtt`` give for it."""

    logical_id: str
    type: str
    ref: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    #: the template's properties, resolved, as applied (IGNORED_PROPERTIES left out)
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProvisionResult:
    env: dict[str, str]
    resources: dict[str, PhysicalResource]
    #: logical id -> why it was not created (skipped type, or override of a Chalice resource)
    skipped: dict[str, str]
    parameters: dict[str, str]


def load_template(template_path: Path) -> dict[str, Any]:
    """Load the template with ``yaml.safe_load`` (short-form tags like ``!Ref`` are rejected)."""
    loaded = yaml.safe_load(template_path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict) or not isinstance(loaded.get("Resources"), dict):
        raise ProvisionError(f"{template_path}: not a CloudFormation template")
    return loaded


# --------------------------------------------------------------------------- intrinsics


class _Resolver:
    def __init__(self, parameters: Mapping[str, str], pseudo: Mapping[str, str]) -> None:
        self.parameters = dict(parameters)
        self.pseudo = dict(pseudo)
        self.resources: dict[str, PhysicalResource] = {}

    def ref(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.resources:
            return self.resources[name].ref
        raise ProvisionError(f"Ref to {name!r}, which is not provisioned locally")

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource = self.resources.get(logical_id)
        if resource is None:
            raise ProvisionError(f"GetAtt on {logical_id!r}, which is not provisioned locally")
        if attribute not in resource.attributes:
            raise ProvisionError(f"GetAtt {logical_id}.{attribute}: unknown attribute locally")
        return resource.attributes[attribute]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(str(arg))
            if key == "Fn::GetAtt":
                logical_id, attribute = _split_get_att(arg)
                return self.get_att(logical_id, attribute)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                delimiter, items = arg
                return str(delimiter).join(str(self.resolve(item)) for item in items)
            if key.startswith("Fn::") or key == "Condition":
                raise ProvisionError(f"intrinsic {key} is not supported by local/provision.py")
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = str(arg[0]), {k: self.resolve(v) for k, v in dict(arg[1]).items()}
        else:
            text, variables = str(arg), {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and name not in self.parameters:
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return self.ref(name)

        return _SUB_VARIABLE.sub(replace, text)


def _split_get_att(arg: Any) -> tuple[str, str]:
    if isinstance(arg, str):
        logical_id, attribute = arg.split(".", 1)
        return logical_id, attribute
    logical_id, attribute = arg
    return str(logical_id), str(attribute)


def _references(value: Any) -> Iterator[str]:
    """Every name a value refers to through Ref, Fn::GetAtt or Fn::Sub (parameters included)."""
    if isinstance(value, list):
        for item in value:
            yield from _references(item)
    elif isinstance(value, dict):
        if len(value) == 1 and "Ref" in value:
            yield str(value["Ref"])
        elif len(value) == 1 and "Fn::GetAtt" in value:
            yield _split_get_att(value["Fn::GetAtt"])[0]
        elif len(value) == 1 and "Fn::Sub" in value:
            arg = value["Fn::Sub"]
            text, variables = (arg[0], arg[1]) if isinstance(arg, list) else (arg, {})
            for name in _SUB_VARIABLE.findall(str(text)):
                if not name.startswith("!") and name not in variables:
                    yield name.split(".", 1)[0]
            yield from _references(variables)
        else:
            for item in value.values():
                yield from _references(item)


def _creation_order(resources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Topological order (template order among independent resources)."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(logical_id: str, path: tuple[str, ...]) -> None:
        if state.get(logical_id) == "done":
            return
        if state.get(logical_id) == "visiting":
            raise ProvisionError("circular reference: " + " -> ".join((*path, logical_id)))
        state[logical_id] = "visiting"
        definition = resources[logical_id]
        names = set(_references(definition.get("Properties", {})))
        depends_on = definition.get("DependsOn", [])
        names.update([depends_on] if isinstance(depends_on, str) else depends_on)
        for name in sorted(names):
            if name in resources:
                visit(name, (*path, logical_id))
        state[logical_id] = "done"
        order.append(logical_id)

    for logical_id in resources:
        visit(logical_id, ())
    return order


# --------------------------------------------------------------------------- provisioners


@dataclass
class _Context:
    endpoint_url: str
    region: str
    stage: str
    account_id: str
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            config = Config(s3={"addressing_style": "path"}) if service == "s3" else None
            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                config=config,
            )
        return self._clients[service]

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.region if regional else ""
        return f"arn:{_PSEUDO_PARTITION}:{service}:{region}:{self.account_id}:{resource}"


_Provisioner = Callable[[_Context, str, dict[str, Any]], PhysicalResource]


@dataclass(frozen=True)
class _Handler:
    create: _Provisioner
    properties: frozenset[str]


def _check_properties(resource_type: str, logical_id: str, props: Mapping[str, Any], known: frozenset[str]) -> None:
    ignored = IGNORED_PROPERTIES.get(resource_type, {})
    unknown = sorted(set(props) - known - set(ignored))
    if unknown:
        raise ProvisionError(
            f"{logical_id} ({resource_type}): local/provision.py does not apply {unknown}; "
            "teach it (and tests/integration/test_infra_provision.py) or the local stack drifts"
        )


def _table(ctx: _Context, logical_id: str, props: dict[str, Any]) -> PhysicalResource:
    ddb = ctx.client("dynamodb")
    name = str(props["TableName"])
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if "ProvisionedThroughput" in props:
        kwargs["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    if "GlobalSecondaryIndexes" in props:
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if "LocalSecondaryIndexes" in props:
        kwargs["LocalSecondaryIndexes"] = props["LocalSecondaryIndexes"]
    if "StreamSpecification" in props:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    if "SSESpecification" in props:
        kwargs["SSESpecification"] = {"Enabled": bool(props["SSESpecification"]["SSEEnabled"])}
    table = ddb.create_table(**kwargs)["TableDescription"]
    if "TimeToLiveSpecification" in props:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])
    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr is not None:
        ddb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": bool(pitr["PointInTimeRecoveryEnabled"])},
        )
    attributes = {"Arn": str(table["TableArn"])}
    if "LatestStreamArn" in table:
        attributes["StreamArn"] = str(table["LatestStreamArn"])
    return PhysicalResource(logical_id, "AWS::DynamoDB::Table", name, attributes)


_QUEUE_ATTRIBUTES: Final = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
)


def _queue(ctx: _Context, logical_id: str, props: dict[str, Any]) -> PhysicalResource:
    sqs = ctx.client("sqs")
    name = str(props.get("QueueName") or f"guichet-{ctx.stage}-{logical_id}")
    attributes: dict[str, str] = {}
    for key in _QUEUE_ATTRIBUTES:
        if key in props:
            value = props[key]
            attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    url = str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])
    arn = str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
    return PhysicalResource(logical_id, "AWS::SQS::Queue", url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


def _schedule_group(ctx: _Context, logical_id: str, props: dict[str, Any]) -> PhysicalResource:
    name = str(props["Name"])
    arn = str(ctx.client("scheduler").create_schedule_group(Name=name)["ScheduleGroupArn"])
    return PhysicalResource(logical_id, "AWS::Scheduler::ScheduleGroup", name, {"Arn": arn})


def _role(ctx: _Context, logical_id: str, props: dict[str, Any]) -> PhysicalResource:
    iam = ctx.client("iam")
    name = str(props.get("RoleName") or f"guichet-{ctx.stage}-{logical_id}")
    role = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]),
        Description=str(props.get("Description", "")),
    )["Role"]
    for policy in props.get("Policies", []):
        iam.put_role_policy(
            RoleName=name,
            PolicyName=str(policy["PolicyName"]),
            PolicyDocument=json.dumps(policy["PolicyDocument"]),
        )
    return PhysicalResource(
        logical_id, "AWS::IAM::Role", name, {"Arn": str(role["Arn"]), "RoleId": str(role["RoleId"])}
    )


def _user_pool(ctx: _Context, logical_id: str, props: dict[str, Any]) -> PhysicalResource:
    kwargs: dict[str, Any] = {"PoolName": str(props["UserPoolName"])}
    for key in ("AdminCreateUserConfig", "Policies", "Schema"):
        if key in props:
            kwargs[key] = props[key]
    pool = ctx.client("cognito-idp").create_user_pool(**kwargs)["UserPool"]
    pool_id = str(pool["Id"])
    provider = f"cognito-idp.{ctx.region}.{_PSEUDO_URL_SUFFIX}/{pool_id}"
    return PhysicalResource(
        logical_id,
        "AWS::Cognito::UserPool",
        pool_id,
        {
            "Arn": str(pool["Arn"]),
            "UserPoolId": pool_id,
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
        },
    )


def _user_pool_client(ctx: _Context, logical_id: str, props: dict[str, Any]) -> PhysicalResource:
    kwargs = {key: value for key, value in props.items()}
    client = ctx.client("cognito-idp").create_user_pool_client(**kwargs)["UserPoolClient"]
    client_id = str(client["ClientId"])
    return PhysicalResource(
        logical_id,
        "AWS::Cognito::UserPoolClient",
        client_id,
        {"ClientId": client_id, "Name": str(client["ClientName"])},
    )


def _user_pool_group(ctx: _Context, logical_id: str, props: dict[str, Any]) -> PhysicalResource:
    name = str(props["GroupName"])
    ctx.client("cognito-idp").create_group(**props)
    return PhysicalResource(logical_id, "AWS::Cognito::UserPoolGroup", name)


def _secret(ctx: _Context, logical_id: str, props: dict[str, Any]) -> PhysicalResource:
    name = str(props.get("Name") or f"guichet-{ctx.stage}-{logical_id}")
    kwargs: dict[str, Any] = {"Name": name}
    if "Description" in props:
        kwargs["Description"] = str(props["Description"])
    if "SecretString" in props:
        kwargs["SecretString"] = str(props["SecretString"])
    else:
        kwargs["SecretString"] = _generate_secret(props.get("GenerateSecretString", {}))
    arn = str(ctx.client("secretsmanager").create_secret(**kwargs)["ARN"])
    return PhysicalResource(logical_id, "AWS::SecretsManager::Secret", arn, {"Id": arn})


def _generate_secret(spec: Mapping[str, Any]) -> str:
    known = {"PasswordLength", "ExcludePunctuation", "ExcludeCharacters"}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ProvisionError(f"GenerateSecretString: {unknown} not supported locally")
    alphabet = string.ascii_letters + string.digits
    if not spec.get("ExcludePunctuation", False):
        alphabet += string.punctuation
    excluded = set(str(spec.get("ExcludeCharacters", "")))
    alphabet = "".join(c for c in alphabet if c not in excluded)
    length = int(spec.get("PasswordLength", 32))
    return "".join(secrets.choice(alphabet) for _ in range(length))


_S3_RULE_KEYS: Final = {"ServerSideEncryptionByDefault": "ApplyServerSideEncryptionByDefault"}


def _bucket(ctx: _Context, logical_id: str, props: dict[str, Any]) -> PhysicalResource:
    s3 = ctx.client("s3")
    name = str(props.get("BucketName") or f"guichet-{ctx.stage}-{logical_id}".lower())
    if ctx.region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": ctx.region})
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    if "OwnershipControls" in props:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
    if "BucketEncryption" in props:
        # CloudFormation lists the rules where the API wants {"Rules": [...]}, and names
        # ServerSideEncryptionByDefault what the API calls ApplyServerSideEncryptionByDefault.
        rules = [
            {_S3_RULE_KEYS.get(key, key): value for key, value in rule.items()}
            for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "LifecycleConfiguration" in props:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": [_lifecycle_rule(r) for r in props["LifecycleConfiguration"]
                                                           ["Rules"]]})
    return PhysicalResource(
        logical_id,
        "AWS::S3::Bucket",
        name,
        {
            "Arn": f"arn:{_PSEUDO_PARTITION}:s3:::{name}",
            "DomainName": f"{name}.s3.{_PSEUDO_URL_SUFFIX}",
            "RegionalDomainName": f"{name}.s3.{ctx.region}.{_PSEUDO_URL_SUFFIX}",
        },
    )


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule (Id, Status, Prefix, ExpirationInDays) as the S3 API takes it."""
    unknown = sorted(set(rule) - {"Id", "Status", "Prefix", "ExpirationInDays"})
    if unknown:
        raise ProvisionError(f"lifecycle rule fields {unknown} are not applied by local/provision.py")
    return {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")},
            "Expiration": {"Days": int(rule["ExpirationInDays"])}}


def _email_identity(ctx: _Context, logical_id: str, props: dict[str, Any]) -> PhysicalResource:
    identity = str(props["EmailIdentity"])
    ctx.client("sesv2").create_email_identity(EmailIdentity=identity)
    # moto keeps SES v1 and v2 verifications apart; verify in v1 too so both APIs accept sends.
    ses = ctx.client("ses")
    if "@" in identity:
        ses.verify_email_identity(EmailAddress=identity)
    else:
        ses.verify_domain_identity(Domain=identity)
    return PhysicalResource(logical_id, "AWS::SES::EmailIdentity", identity)


def _topic(ctx: _Context, logical_id: str, props: dict[str, Any]) -> PhysicalResource:
    arn = str(ctx.client("sns").create_topic(Name=str(props["TopicName"]))["TopicArn"])
    return PhysicalResource(logical_id, "AWS::SNS::Topic", arn, {"TopicArn": arn, "TopicName": str(props["TopicName"])})


_HANDLERS: Final[Mapping[str, _Handler]] = {
    "AWS::DynamoDB::Table": _Handler(
        _table,
        frozenset(
            {
                "TableName",
                "AttributeDefinitions",
                "KeySchema",
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
    "AWS::SQS::Queue": _Handler(_queue, frozenset({"QueueName", "RedrivePolicy", *_QUEUE_ATTRIBUTES})),
    "AWS::Scheduler::ScheduleGroup": _Handler(_schedule_group, frozenset({"Name"})),
    "AWS::IAM::Role": _Handler(_role, frozenset({"RoleName", "AssumeRolePolicyDocument", "Policies", "Description"})),
    "AWS::Cognito::UserPool": _Handler(
        _user_pool, frozenset({"UserPoolName", "AdminCreateUserConfig", "Policies", "Schema"})
    ),
    "AWS::Cognito::UserPoolClient": _Handler(
        _user_pool_client,
        frozenset(
            {
                "ClientName",
                "UserPoolId",
                "GenerateSecret",
                "ExplicitAuthFlows",
                "PreventUserExistenceErrors",
                "ReadAttributes",
                "WriteAttributes",
                "AccessTokenValidity",
                "IdTokenValidity",
                "RefreshTokenValidity",
                "TokenValidityUnits",
            }
        ),
    ),
    "AWS::Cognito::UserPoolGroup": _Handler(
        _user_pool_group, frozenset({"GroupName", "UserPoolId", "Description", "Precedence"})
    ),
    "AWS::SecretsManager::Secret": _Handler(
        _secret, frozenset({"Name", "Description", "GenerateSecretString", "SecretString"})
    ),
    "AWS::S3::Bucket": _Handler(
        _bucket,
        frozenset(
            {
                "BucketName",
                "PublicAccessBlockConfiguration",
                "OwnershipControls",
                "BucketEncryption",
                "LifecycleConfiguration",
            }
        ),
    ),
    "AWS::SES::EmailIdentity": _Handler(_email_identity, frozenset({"EmailIdentity"})),
    "AWS::SNS::Topic": _Handler(_topic, frozenset({"TopicName"})),
}

#: Resource types this module creates.
PROVISIONED_TYPES: Final[frozenset[str]] = frozenset(_HANDLERS)


# --------------------------------------------------------------------------- entry points


def provision_stack(
    template_path: Path,
    endpoint_url: str,
    region: str = "us-east-1",
    stage: str = "local",
    mail_from: str = "noreply@guichet.local",
    *,
    ws_callback_url: str = "http://127.0.0.1:8000",
    calling_number: str = "",
    chime_endpoint_url: str | None = None,
) -> ProvisionResult:
    """Create every resource of the template on ``endpoint_url``; say what was created or not.

    ``calling_number`` is the stack parameter CallingNumber: empty (the default), telephony is off; a number turns
    the TelephonyOn condition on, and the app then dials through the local phone emulator, which serves the Chime SDK
    APIs at ``chime_endpoint_url`` (default: ``ws_callback_url``, the local gateway) as SIP media application
    ``LOCAL_SIP_MEDIA_APPLICATION_ID``."""
    template = load_template(template_path)
    resources: dict[str, dict[str, Any]] = template["Resources"]

    skipped: dict[str, str] = {}
    to_create: dict[str, dict[str, Any]] = {}
    parameters = _parameters(template, {"Stage": stage, "MailFrom": mail_from, "CallingNumber": calling_number})
    conditions = _conditions(template, parameters)
    for logical_id, definition in resources.items():
        resource_type = definition.get("Type")
        condition = definition.get("Condition")
        if resource_type is None:
            skipped[logical_id] = "override of a resource that chalice package generates"
        elif condition is not None and not conditions[str(condition)]:
            skipped[logical_id] = f"condition {condition} is false with the local parameters"
        elif resource_type in SKIPPED_TYPES:
            skipped[logical_id] = SKIPPED_TYPES[resource_type]
        elif resource_type in _HANDLERS:
            to_create[logical_id] = definition
        else:
            raise ProvisionError(
                f"{logical_id}: resource type {resource_type} is neither provisioned nor skipped by local/provision.py"
            )

    sts = boto3.client("sts", endpoint_url=endpoint_url, region_name=region)
    account_id = str(sts.get_caller_identity()["Account"])
    ctx = _Context(endpoint_url=endpoint_url, region=region, stage=stage, account_id=account_id)
    resolver = _Resolver(
        parameters,
        {
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::Partition": _PSEUDO_PARTITION,
            "AWS::URLSuffix": _PSEUDO_URL_SUFFIX,
            "AWS::StackName": f"guichet-{stage}",
        },
    )

    for logical_id in _creation_order(to_create):
        definition = to_create[logical_id]
        resource_type = str(definition["Type"])
        handler = _HANDLERS[resource_type]
        raw_props: dict[str, Any] = definition.get("Properties", {})
        _check_properties(resource_type, logical_id, raw_props, handler.properties)
        props = {
            key: resolver.resolve(value)
            for key, value in raw_props.items()
            if key not in IGNORED_PROPERTIES.get(resource_type, {})
        }
        created = handler.create(ctx, logical_id, props)
        resolver.resources[logical_id] = replace(created, properties=props)

    env = _environment(template, resolver, ws_callback_url)
    pool_id = env["USER_POOL_ID"]
    env["COGNITO_JWKS_URL"] = f"{endpoint_url}/{pool_id}/.well-known/jwks.json"
    env["AWS_ENDPOINT_URL"] = endpoint_url
    env["AWS_REGION"] = region
    env["AWS_DEFAULT_REGION"] = region
    if conditions.get("TelephonyOn"):
        # On AWS the functions that dial get the SIP media application's id in their overrides (a cycle otherwise)
        env["SIP_MEDIA_APPLICATION_ID"] = LOCAL_SIP_MEDIA_APPLICATION_ID
        env["CHIME_ENDPOINT_URL"] = chime_endpoint_url or ws_callback_url
        env["SOFTPHONE"] = "local"  # the desk joins the emulator's rooms (local/phone_browsers.py), not Chime's
    return ProvisionResult(
        env=env,
        resources=dict(resolver.resources),
        skipped=skipped,
        parameters=dict(resolver.parameters),
    )


def provision(template_path: Path, endpoint_url: str, **options: Any) -> dict[str, str]:
    """Create the template's resources on a fresh moto server and return the app's environment (the options are
    provision_stack's)."""
    return provision_stack(template_path, endpoint_url, **options).env


#: Resource types `recreate` can empty by deleting and creating them again.
RECREATABLE_TYPES: Final[frozenset[str]] = frozenset({"AWS::DynamoDB::Table", "AWS::SQS::Queue"})


def recreate(
    resource: PhysicalResource, endpoint_url: str, region: str = "us-east-1", clients: dict[str, Any] | None = None
) -> PhysicalResource:
    """Delete a provisioned table or queue and create it again from the same (resolved) properties: same name, ARN,
    URL, indexes, TTL and attributes, and nothing in it (items, messages in flight, delayed messages, stream).

    The local stack's reset uses it (``local/reset.py``); moto deletes at once, so the name is free right away.
    ``clients``: boto3 clients by service name, kept by the caller across calls (one costs ~50 ms to build)."""
    if resource.type not in RECREATABLE_TYPES:
        raise ProvisionError(f"{resource.logical_id} ({resource.type}) cannot be recreated locally")
    account_id = str(resource.attributes["Arn"]).split(":")[4]
    ctx = _Context(endpoint_url=endpoint_url, region=region, stage="", account_id=account_id,
                   _clients=clients if clients is not None else {})
    props = dict(resource.properties)
    if resource.type == "AWS::DynamoDB::Table":
        ctx.client("dynamodb").delete_table(TableName=resource.ref)
        created = _table(ctx, resource.logical_id, props)
    else:
        ctx.client("sqs").delete_queue(QueueUrl=resource.ref)
        props.setdefault("QueueName", resource.attributes["QueueName"])
        created = _queue(ctx, resource.logical_id, props)
    if created.ref != resource.ref or created.attributes.get("Arn") != resource.attributes.get("Arn"):
        raise ProvisionError(f"{resource.logical_id} came back as {created.ref}, not {resource.ref}")
    return replace(created, properties=resource.properties)


def _parameters(template: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    declared: Mapping[str, Mapping[str, Any]] = template.get("Parameters", {})
    values: dict[str, str] = {}
    for name, spec in declared.items():
        if name in given:
            values[name] = given[name]
        elif "Default" in spec:
            values[name] = str(spec["Default"])
        else:
            raise ProvisionError(f"parameter {name} has no default and no local value")
    undeclared = sorted(set(given) - set(declared))
    if undeclared:
        raise ProvisionError(f"parameters {undeclared} are not declared by the template")
    return values


def _conditions(template: Mapping[str, Any], parameters: Mapping[str, str]) -> dict[str, bool]:
    """The template's Conditions, evaluated with the parameters (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition)."""
    declared: Mapping[str, Any] = template.get("Conditions", {})
    values: dict[str, bool] = {}

    def value(arg: Any) -> Any:
        if isinstance(arg, dict) and set(arg) == {"Ref"} and arg["Ref"] in parameters:
            return parameters[arg["Ref"]]
        if isinstance(arg, dict):
            return truth(arg)
        return arg if isinstance(arg, bool) else str(arg)

    def truth(expression: Any) -> bool:
        if not isinstance(expression, dict) or len(expression) != 1:
            raise ProvisionError(f"condition {expression!r} is not supported by local/provision.py")
        ((key, arg),) = expression.items()
        if key == "Condition":
            if arg not in values:
                values[arg] = truth(declared[arg])
            return values[arg]
        if key == "Fn::Equals":
            left, right = arg
            return bool(value(left) == value(right))
        if key == "Fn::Not":
            return not truth(arg[0])
        if key == "Fn::And":
            return all(truth(item) for item in arg)
        if key == "Fn::Or":
            return any(truth(item) for item in arg)
        raise ProvisionError(f"condition function {key} is not supported by local/provision.py")

    for name in declared:
        truth({"Condition": name})
    return values


def _environment(template: Mapping[str, Any], resolver: _Resolver, ws_callback_url: str) -> dict[str, str]:
    variables: Mapping[str, Any] = (
        template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    local_values = {"WS_CALLBACK_URL": ws_callback_url}
    env: dict[str, str] = {}
    for name, value in variables.items():
        if name in LOCAL_ONLY_GLOBALS:
            env[name] = local_values[name]
        else:
            env[name] = str(resolver.resolve(value))
    return env
