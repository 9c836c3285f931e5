"""Configuration read from the environment once, lazily. No AWS call happens here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_name: str
    timer_queue_url: str
    timer_queue_arn: str
    schedule_group: str
    scheduler_role_arn: str
    user_pool_id: str
    user_pool_client_id: str
    jwks_url: str
    visitor_secret_id: str
    ws_callback_url: str
    mail_from: str
    #: Mail to reply+<key>@ this domain reaches the app (SES receiving); empty: emails carry no reply-to.
    reply_domain: str = ""
    #: Telephony (docs/deploy.md, "Telephony"): the SIP media application, the number that calls, and the Region
    #: of the callbacks' meetings. An empty calling number: telephony is off.
    sip_media_application_id: str = ""
    calling_number: str = ""
    chime_media_region: str = ""
    #: The local phone emulator; None: the AWS endpoints.
    chime_endpoint_url: str | None = None
    #: Which softphone the desk joins a call's room with (CB-6): "chime" (amazon-chime-sdk-js) or "local" (the phone
    #: emulator's rooms, set by the local stack).
    softphone: str = "chime"
    #: Hold music, notices and recordings (infra/template.yaml, AudioBucket); empty: no audio store.
    audio_bucket: str = ""
    #: The desk's address, for the invitations' emails (empty: the admin's page's origin + "/desk").
    desk_url: str = ""

    @property
    def cognito_issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    pool = env.get("USER_POOL_ID", "")
    return Settings(
        stage=env.get("GUICHET_STAGE", "dev"),
        region=region,
        table_name=env.get("TABLE_NAME", "guichet"),
        timer_queue_url=env.get("TIMER_QUEUE_URL", ""),
        timer_queue_arn=env.get("TIMER_QUEUE_ARN", ""),
        schedule_group=env.get("SCHEDULE_GROUP", "default"),
        scheduler_role_arn=env.get("SCHEDULER_ROLE_ARN", ""),
        user_pool_id=pool,
        user_pool_client_id=env.get("USER_POOL_CLIENT_ID", ""),
        jwks_url=env.get("COGNITO_JWKS_URL")
        or f"https://cognito-idp.{region}.amazonaws.com/{pool}/.well-known/jwks.json",
        visitor_secret_id=env.get("VISITOR_SECRET_ID", ""),
        ws_callback_url=env.get("WS_CALLBACK_URL", ""),
        mail_from=env.get("MAIL_FROM", "noreply@example.com"),
        reply_domain=env.get("REPLY_DOMAIN", ""),
        sip_media_application_id=env.get("SIP_MEDIA_APPLICATION_ID", ""),
        calling_number=env.get("CALLING_NUMBER", ""),
        chime_media_region=env.get("CHIME_MEDIA_REGION") or region,
        chime_endpoint_url=env.get("CHIME_ENDPOINT_URL") or None,
        softphone="local" if env.get("SOFTPHONE") == "local" else "chime",
        audio_bucket=env.get("AUDIO_BUCKET", ""),
        desk_url=env.get("DESK_URL", ""),
    )
