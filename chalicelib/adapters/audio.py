"""The audio bucket on S3 (issue 13): hold music and notices that the SIP media application plays, and recordings
played back from the case through short-lived presigned URLs. PSTN audio plays an object only with ContentType
audio/wav (research/telephony.md, PlayAudio)."""

from __future__ import annotations

from chalicelib.adapters.aws import client


class S3AudioStore:
    def __init__(self, bucket: str, endpoint_url: str | None = None) -> None:
        self.bucket = bucket
        self._endpoint_url = endpoint_url

    def put_wav(self, key: str, body: bytes) -> None:
        client("s3", self._endpoint_url).put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="audio/wav")

    def presigned_url(self, key: str, seconds: int) -> str:
        # Signed locally: no request to S3.
        return str(client("s3", self._endpoint_url).generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds))
