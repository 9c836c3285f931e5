"""The visitor-token key, read once per Lambda container from Secrets Manager."""

from __future__ import annotations

import threading

from chalicelib.adapters.aws import client


class SecretsManagerKeys:
    def __init__(self, secret_id: str) -> None:
        self._secret_id = secret_id
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def visitor_token_key(self) -> bytes:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    value = client("secretsmanager").get_secret_value(SecretId=self._secret_id)
                    self._key = str(value["SecretString"]).encode("utf-8")
        return self._key
