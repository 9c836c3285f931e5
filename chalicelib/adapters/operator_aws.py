"""The AWS reads and writes of the operator's CLI (chalicelib/cli) that the application itself never makes: a
stack's outputs, a tenant's users in the pool, and the facts `guichet doctor` checks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalicelib.adapters.aws import client, error_code
from chalicelib.adapters.cognito import TENANT_CLAIM

#: Stack output or parameter -> the environment variable the application (chalicelib/settings.py) or the CLI reads.
STACK_ENV = {
    "Stage": "GUICHET_STAGE",
    "TableName": "TABLE_NAME",
    "TimerQueueUrl": "TIMER_QUEUE_URL",
    "TimerDeadLetterQueueUrl": "TIMER_DLQ_URL",
    "ScheduleGroupName": "SCHEDULE_GROUP",
    "SchedulerRoleArn": "SCHEDULER_ROLE_ARN",
    "UserPoolId": "USER_POOL_ID",
    "UserPoolClientId": "USER_POOL_CLIENT_ID",
    "VisitorSecretArn": "VISITOR_SECRET_ID",
    "SipMediaApplicationId": "SIP_MEDIA_APPLICATION_ID",
    "MailFrom": "MAIL_FROM",
    "CallingNumber": "CALLING_NUMBER",
}


def stack_environment(stack: str) -> dict[str, str]:
    """The environment variables a deployed stack's outputs and parameters give (STACK_ENV)."""
    found = client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    values = {p["ParameterKey"]: p.get("ParameterValue", "") for p in found.get("Parameters", [])}
    values.update({o["OutputKey"]: o.get("OutputValue", "") for o in found.get("Outputs", [])})
    env = {name: str(values[key]) for key, name in STACK_ENV.items() if values.get(key)}
    # What the functions get from the template but the outputs do not give as such: where to push to agents' open
    # desks (an imported agent setting reaches them), and the timer queue's ARN (the Scheduler's target).
    websocket = str(values.get("WebsocketConnectEndpointURL") or "")
    if websocket.startswith("wss://"):
        env["WS_CALLBACK_URL"] = "https://" + websocket.removeprefix("wss://").rstrip("/")
    queue = env.get("TIMER_QUEUE_URL", "").removeprefix("https://").split("/")
    if len(queue) == 3 and queue[0].startswith("sqs."):
        region = queue[0].split(".")[1]
        env["TIMER_QUEUE_ARN"] = f"arn:aws:sqs:{region}:{queue[1]}:{queue[2]}"
    return env


def tenant_users(user_pool_id: str, tenant: str) -> dict[str, str]:
    """The tenant's users: username -> sub (the agent id). Cognito cannot filter on a custom attribute: the pool's
    users are read page by page and kept when theirs is `tenant`."""
    users: dict[str, str] = {}
    for page in client("cognito-idp").get_paginator("list_users").paginate(UserPoolId=user_pool_id):
        for user in page.get("Users", []):
            attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
            if attributes.get(TENANT_CLAIM) == tenant:
                users[str(user["Username"])] = str(attributes.get("sub") or user["Username"])
    return users


def pool_user(user_pool_id: str, username: str) -> tuple[str, str] | None:
    """A user of the pool as (sub, tenant), or None when there is no such username."""
    try:
        user = client("cognito-idp").admin_get_user(UserPoolId=user_pool_id, Username=username)
    except Exception as exc:
        if error_code(exc) == "UserNotFoundException":
            return None
        raise
    attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
    return str(attributes.get("sub") or user["Username"]), str(attributes.get(TENANT_CLAIM, ""))


def email_identity_verified(identity: str) -> bool:
    """Whether SES may send from `identity` (an address, or its domain)."""
    ses = client("ses")
    for name in (identity, identity.rpartition("@")[2]):
        found = ses.get_identity_verification_attributes(Identities=[name])["VerificationAttributes"]
        if found.get(name, {}).get("VerificationStatus") == "Success":
            return True
    return False


def table_stream_view(table: str) -> str:
    """The stream view of the table ("" when its stream is off)."""
    spec: Mapping[str, Any] = client("dynamodb").describe_table(TableName=table)["Table"].get(
        "StreamSpecification") or {}
    return str(spec.get("StreamViewType", "")) if spec.get("StreamEnabled") else ""


def queue_depth(queue_url: str) -> int:
    """Messages in the queue, visible or in flight."""
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0))


def queue_url(name: str) -> str:
    return str(client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


def sip_media_application(application_id: str) -> dict[str, Any] | None:
    """The SIP media application (its name, Region and endpoints), or None when there is none with this id."""
    try:
        found = client("chime-sdk-voice").get_sip_media_application(SipMediaApplicationId=application_id)
    except Exception as exc:
        if error_code(exc) in ("NotFoundException", "NotFound"):
            return None
        raise
    return dict(found["SipMediaApplication"])


def lambda_state(function_arn: str) -> str:
    """The function's state ("Active" when invocable), or "" when it does not exist."""
    try:
        found = client("lambda").get_function_configuration(FunctionName=function_arn)
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return ""
        raise
    return str(found.get("State") or "Active")


def invokable_by(function_arn: str, service: str) -> bool:
    """Whether the function's resource policy lets `service` (a service principal) invoke it."""
    try:
        policy = json.loads(client("lambda").get_policy(FunctionName=function_arn)["Policy"])
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return False  # no policy at all
        raise
    for statement in policy.get("Statement", []):
        principal = statement.get("Principal") or {}
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        actions = statement.get("Action", [])
        if statement.get("Effect") == "Allow" and service in ([services] if isinstance(services, str) else services) \
                and "lambda:InvokeFunction" in ([actions] if isinstance(actions, str) else actions):
            return True
    return False
