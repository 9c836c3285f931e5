"""`guichet --stack NAME` points the CLI at a deployed stack: its CloudFormation outputs and parameters become the
environment the application's adapters read (botocore Stubber; no AWS call). And every command is in --help."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.adapters import aws
from chalicelib.adapters.operator_aws import stack_environment
from chalicelib.cli import parser


@pytest.fixture
def cloudformation(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    stacks = boto3.client("cloudformation", region_name="eu-west-3", aws_access_key_id="x",
                          aws_secret_access_key="x")
    monkeypatch.setitem(aws._clients, ("cloudformation", None), stacks)
    with Stubber(stacks) as stubber:
        yield stubber


def test_a_stacks_outputs_and_parameters_name_the_resources(cloudformation: Stubber) -> None:
    cloudformation.add_response("describe_stacks", {"Stacks": [{
        "StackName": "guichet-prod", "CreationTime": "2026-12-01T00:00:00Z", "StackStatus": "UPDATE_COMPLETE",
        "Parameters": [{"ParameterKey": "Stage", "ParameterValue": "prod"},
                       {"ParameterKey": "MailFrom", "ParameterValue": "noreply@brand.example"},
                       {"ParameterKey": "CallingNumber", "ParameterValue": ""}],
        "Outputs": [{"OutputKey": "TableName", "OutputValue": "guichet-prod"},
                    {"OutputKey": "UserPoolId", "OutputValue": "eu-west-3_abc"},
                    {"OutputKey": "VisitorSecretArn", "OutputValue": "arn:aws:secretsmanager:eu-west-3:1:secret:v"},
                    {"OutputKey": "TimerDeadLetterQueueUrl", "OutputValue": "https://sqs/1/guichet-timers-dlq-prod"},
                    {"OutputKey": "TimerQueueUrl",
                     "OutputValue": "https://sqs.eu-west-3.amazonaws.com/123456789012/guichet-timers-prod"},
                    {"OutputKey": "WebsocketConnectEndpointURL",
                     "OutputValue": "wss://abc123.execute-api.eu-west-3.amazonaws.com/api/"},
                    {"OutputKey": "AssetsUrl", "OutputValue": "https://d1.cloudfront.net"}]}]},
        {"StackName": "guichet-prod"})
    assert stack_environment("guichet-prod") == {
        "GUICHET_STAGE": "prod", "MAIL_FROM": "noreply@brand.example", "TABLE_NAME": "guichet-prod",
        "USER_POOL_ID": "eu-west-3_abc", "VISITOR_SECRET_ID": "arn:aws:secretsmanager:eu-west-3:1:secret:v",
        "TIMER_DLQ_URL": "https://sqs/1/guichet-timers-dlq-prod",
        "TIMER_QUEUE_URL": "https://sqs.eu-west-3.amazonaws.com/123456789012/guichet-timers-prod",
        "TIMER_QUEUE_ARN": "arn:aws:sqs:eu-west-3:123456789012:guichet-timers-prod",
        "WS_CALLBACK_URL": "https://abc123.execute-api.eu-west-3.amazonaws.com/api"}


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["--help"])
    listed = capsys.readouterr().out
    for command in ("tenant", "admin", "secret", "export", "import", "phone", "doctor"):
        assert f"    {command} " in listed
    with pytest.raises(SystemExit):
        parser().parse_args(["secret", "rotate", "--help"])
    rotate = capsys.readouterr().out
    assert all(option in rotate for option in ("--tenant", "--grace-hours", "--no-visitor-key", "--force"))
