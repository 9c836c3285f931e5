"""`guichet doctor`'s telephony check on botocore Stubbers (moto emulates neither Chime SDK Voice nor Lambda's
policies): the SIP media application must exist, call an active function, and that function must let the PSTN
audio service invoke it. The other checks run on moto (tests/integration/test_cli.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.adapters import aws
from chalicelib.cli import doctor

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:guichet-prod-SmaHandler-x1"
GRANT = {"Effect": "Allow", "Principal": {"Service": "voiceconnector.chime.amazonaws.com"},
         "Action": "lambda:InvokeFunction", "Resource": FUNCTION}


@pytest.fixture
def stubs(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stubber, Stubber]]:
    monkeypatch.setenv("SIP_MEDIA_APPLICATION_ID", "sma-1")
    made = []
    for service in ("chime-sdk-voice", "lambda"):
        made.append(boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"))
        monkeypatch.setitem(aws._clients, (service, None), made[-1])
    with Stubber(made[0]) as chime, Stubber(made[1]) as functions:
        yield chime, functions


def found_application(chime: Stubber) -> None:
    chime.add_response("get_sip_media_application", {"SipMediaApplication": {
        "SipMediaApplicationId": "sma-1", "Endpoints": [{"LambdaArn": FUNCTION}]}}, {"SipMediaApplicationId": "sma-1"})


def test_an_application_calling_an_active_function_it_may_invoke_is_ok(stubs: tuple[Stubber, Stubber]) -> None:
    chime, functions = stubs
    found_application(chime)
    functions.add_response("get_function_configuration", {"State": "Active"}, {"FunctionName": FUNCTION})
    functions.add_response("get_policy", {"Policy": json.dumps({"Statement": [GRANT]})}, {"FunctionName": FUNCTION})
    assert doctor.sip_media_application().line() == (
        "OK   sip-media-app    sma-1 calls guichet-prod-SmaHandler-x1 (Active, invokable by the PSTN audio service)")


def test_a_function_the_pstn_audio_service_may_not_invoke_fails(stubs: tuple[Stubber, Stubber]) -> None:
    chime, functions = stubs
    found_application(chime)
    functions.add_response("get_function_configuration", {"State": "Active"})
    functions.add_response("get_policy", {"Policy": json.dumps({"Statement": [{**GRANT, "Principal": {
        "Service": "events.amazonaws.com"}}]})})
    found = doctor.sip_media_application()
    assert (found.ok, found.detail) == (False, f"voiceconnector.chime.amazonaws.com may not invoke {FUNCTION}")
    assert found.fix == "deploy the stack again: SmaHandlerInvokePermission grants it"


def test_an_unknown_application_or_an_unreadable_one_fails_without_stopping(
        stubs: tuple[Stubber, Stubber], monkeypatch: pytest.MonkeyPatch) -> None:
    chime, _ = stubs
    monkeypatch.setenv("SIP_MEDIA_APPLICATION_ID", "sma-2")
    chime.add_client_error("get_sip_media_application", "NotFoundException", http_status_code=404)
    assert doctor.sip_media_application().detail == "no SIP media application sma-2"
    chime.add_client_error("get_sip_media_application", "AccessDeniedException", http_status_code=403)
    denied = doctor.sip_media_application()
    assert not denied.ok and denied.detail.startswith("could not check: AccessDeniedException: ")
