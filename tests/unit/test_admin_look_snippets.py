"""The identity-signing snippets the console's Texts and look page gives to a brand (web/desk/admin-look-snippets.js)
sign exactly as the server checks (chalicelib/domain/identity.py): each is taken from the page's module as the admin
copies it, run as it is (Python here, JavaScript with the machine's Node), and the server's `verify` accepts what it
signs, including names outside ASCII and characters JSON escapes; a wrong secret is refused."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain import identity
from chalicelib.domain.errors import InvalidInput

SNIPPETS = Path(__file__).resolve().parents[2] / "web" / "desk" / "admin-look-snippets.js"
SECRET = "s3cr3t-é-key"
CUSTOMERS = [
    ("C-1234", "Zoé Martin", "zoe@example.com"),
    ("42", 'Ann "the cyclist" O\'Neil \\ 東京', "ann@example.org"),
    ("only-id", "", ""),
    ("line", "two\nlines\tand\u0001control", "x@example.com"),
]


def snippet(name: str) -> str:
    found = re.search(rf"export const {name} = String\.raw`(.*?)`;", SNIPPETS.read_text(), re.S)
    assert found, name
    return found.group(1)


def accepted(signed: dict[str, Any], customer: tuple[str, str, str]) -> None:
    external_id, name, email = customer
    assert signed["signature"] == identity.sign(SECRET, external_id, name, email)
    verified = identity.verify(SECRET, signed)
    assert (verified.external_id, verified.name) == (external_id, name)
    with pytest.raises(InvalidInput):
        identity.verify(SECRET + "x", signed)


@pytest.mark.parametrize("customer", CUSTOMERS, ids=["accents", "quotes-and-cjk", "id-only", "controls"])
def test_the_python_snippet_signs_as_the_server_verifies(customer: tuple[str, str, str]) -> None:
    scope: dict[str, Any] = {}
    exec(snippet("PYTHON_SIGNING"), scope)  # noqa: S102 - our own snippet, as a brand would paste it
    external_id, name, email = customer
    accepted(scope["signed_identity"](SECRET, external_id, name, email), customer)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_node_snippet_signs_as_the_server_verifies(tmp_path: Path) -> None:
    module = tmp_path / "sign.js"
    module.write_text(snippet("NODE_SIGNING"), encoding="utf-8")
    runner = ("const { signedIdentity } = require(process.argv[1]);"
              "const [secret, customers] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "console.log(JSON.stringify(customers.map((c) => signedIdentity(secret, ...c))));")
    answer = subprocess.run(["node", "-e", runner, str(module)], input=json.dumps([SECRET, CUSTOMERS]),
                            capture_output=True, text=True, check=True, timeout=30)
    for signed, customer in zip(json.loads(answer.stdout), CUSTOMERS, strict=True):
        accepted(signed, customer)
