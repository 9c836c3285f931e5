"""`guichet doctor`: checks a deployed stack, one line per check (OK or FAIL, and what to do about a failure)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: What the stack's table stream must carry: the report consumer reads the old and new images (docs/deploy.md).
STREAM_VIEW = "NEW_AND_OLD_IMAGES"
#: The service principal that invokes a SIP media application's function (infra/template.yaml).
PSTN_AUDIO = "voiceconnector.chime.amazonaws.com"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        status = "OK  " if self.ok else "FAIL"
        return f"{status} {self.name:<16} {self.detail}" + (f" -> {self.fix}" if self.fix else "")


def add_commands(commands: Any) -> None:
    doctor = commands.add_parser("doctor", help="check a deployed stack",
                                 description="Check that the SES sender is verified, the SIP media application "
                                 "exists and calls an active function (when telephony is on), the table's stream "
                                 f"is on ({STREAM_VIEW}) and the timers' dead-letter queue is empty. Exit 1 when a "
                                 "check fails. Give the stack with `guichet --stack NAME doctor`.")
    doctor.set_defaults(run=run_doctor)


def run_doctor(arguments: argparse.Namespace) -> int:
    checks = [check() for check in CHECKS]
    for found in checks:
        print(found.line())
    return 0 if all(c.ok for c in checks) else 1


def _guarded(name: str) -> Callable[[Callable[[], Check]], Callable[[], Check]]:
    """A check that cannot run (no permission, no such resource) fails with AWS's reason instead of stopping the
    others."""
    def wrap(check: Callable[[], Check]) -> Callable[[], Check]:
        def run() -> Check:
            try:
                return check()
            except Exception as error:
                return Check(name, False, f"could not check: {type(error).__name__}: {error}",
                             "check the stack name, the Region and your credentials' permissions")
        return run
    return wrap


def _env(name: str) -> str:
    return os.environ.get(name, "")


@_guarded("ses-identity")
def ses_identity() -> Check:
    from chalicelib.adapters.operator_aws import email_identity_verified

    sender = _env("MAIL_FROM")
    if not sender:
        return Check("ses-identity", False, "no sender address (MAIL_FROM)", "give --stack NAME")
    if email_identity_verified(sender):
        return Check("ses-identity", True, f"{sender} is verified")
    return Check("ses-identity", False, f"{sender} is not verified",
                 f"click the link SES mailed to {sender}, or verify its domain (docs/deploy.md, SES)")


@_guarded("sip-media-app")
def sip_media_application() -> Check:
    from chalicelib.adapters.operator_aws import invokable_by, lambda_state, sip_media_application

    application_id = _env("SIP_MEDIA_APPLICATION_ID")
    if not application_id:
        if _env("CALLING_NUMBER"):
            return Check("sip-media-app", False, "telephony is on but the stack names no SIP media application",
                         "deploy the stack again (docs/deploy.md, Telephony)")
        return Check("sip-media-app", True, "telephony is off (no CallingNumber): nothing to check")
    found = sip_media_application(application_id)
    if found is None:
        return Check("sip-media-app", False, f"no SIP media application {application_id}",
                     "deploy the stack again with its CallingNumber")
    endpoints = [str(e.get("LambdaArn", "")) for e in found.get("Endpoints", [])]
    if not endpoints or not endpoints[0]:
        return Check("sip-media-app", False, f"{application_id} has no Lambda endpoint",
                     "deploy the stack again: its endpoint is the SmaHandler function")
    state = lambda_state(endpoints[0])
    if state != "Active":
        return Check("sip-media-app", False, f"its endpoint {endpoints[0]} is {state or 'missing'}",
                     "deploy the stack again; see the SmaHandler function's logs")
    if not invokable_by(endpoints[0], PSTN_AUDIO):
        return Check("sip-media-app", False, f"{PSTN_AUDIO} may not invoke {endpoints[0]}",
                     "deploy the stack again: SmaHandlerInvokePermission grants it")
    return Check("sip-media-app", True, f"{application_id} calls {endpoints[0].rsplit(':', 1)[-1]} (Active, "
                 "invokable by the PSTN audio service)")


@_guarded("table-stream")
def table_stream() -> Check:
    from chalicelib.adapters.operator_aws import table_stream_view

    table = _env("TABLE_NAME")
    view = table_stream_view(table)
    if view == STREAM_VIEW:
        return Check("table-stream", True, f"{table} streams {view}")
    return Check("table-stream", False, f"{table} streams {view or 'nothing'}",
                 f"turn its stream on with {STREAM_VIEW} (infra/template.yaml); reports need it")


@_guarded("timers-dlq")
def timers_dlq() -> Check:
    from chalicelib.adapters.operator_aws import queue_depth, queue_url

    url = _env("TIMER_DLQ_URL") or queue_url(f"guichet-timers-dlq-{_env('GUICHET_STAGE') or 'dev'}")
    waiting = queue_depth(url)
    name = url.rsplit("/", 1)[-1]
    if waiting == 0:
        return Check("timers-dlq", True, f"{name} is empty")
    return Check("timers-dlq", False, f"{name} holds {waiting} message(s): timers that failed 5 times",
                 "read them (aws sqs receive-message), fix the cause in the OnTimer logs, then purge it")


CHECKS: tuple[Callable[[], Check], ...] = (ses_identity, sip_media_application, table_stream, timers_dlq)
