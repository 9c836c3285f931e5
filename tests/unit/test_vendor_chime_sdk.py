"""The vendored Amazon Chime SDK (web/vendor/README.md): one ES module built by web/vendor/build/chime-sdk.sh at the
version the Makefile pins, exporting what the desk's softphone needs, with its licences beside it."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "web" / "vendor"
BUNDLE = VENDOR / "amazon-chime-sdk.module.js"
SOFTPHONE_NEEDS = {"ConsoleLogger", "LogLevel", "DefaultDeviceController", "MeetingSessionConfiguration",
                   "DefaultMeetingSession"}


def _pinned(name: str) -> str:
    found = re.search(rf"^{name} := (\S+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert found, f"the Makefile lost {name}"
    return found.group(1)


def _exported_names(source: str) -> set[str]:
    lists = re.findall(r"\bexport\s*\{([^}]*)\}", source)
    assert len(lists) == 1, "the bundle has one `export {...}` list (an ES module)"
    return {entry.split(" as ")[-1].strip() for entry in lists[0].split(",") if entry.strip()}


def test_the_bundle_is_an_es_module_that_exports_what_a_softphone_needs() -> None:
    names = _exported_names(BUNDLE.read_text(encoding="utf-8"))
    assert names >= SOFTPHONE_NEEDS
    assert len(names) > 200  # every export of the SDK's entry point, not a hand-picked few
    assert "require(" not in BUNDLE.read_text(encoding="utf-8")  # nothing left for a CommonJS loader


def test_the_bundle_names_its_pinned_version_in_its_header_comment() -> None:
    version = _pinned("CHIME_SDK_VERSION")
    header = BUNDLE.read_text(encoding="utf-8").split("\n", 1)[0]
    assert header.startswith(f"/*! amazon-chime-sdk-js {version} (Apache-2.0") and header.endswith("*/")


def test_its_licences_are_beside_it() -> None:
    version = _pinned("CHIME_SDK_VERSION")
    assert "Apache License" in (VENDOR / "LICENSE-amazon-chime-sdk-js").read_text(encoding="utf-8")
    assert "amazon-chime-sdk-js" in (VENDOR / "NOTICE-amazon-chime-sdk-js").read_text(encoding="utf-8")
    bundled = (VENDOR / "LICENSE-amazon-chime-sdk-js-bundled").read_text(encoding="utf-8")
    assert f"== amazon-chime-sdk-js@{version} (Apache-2.0)" in bundled
    assert bundled.count("\n== ") >= 10  # the SDK's dependencies (protobufjs, pako, the AWS SDK's parts...)
    assert "(no licence file" not in bundled


def test_the_readme_gives_the_bundle_s_version_and_checksum() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `amazon-chime-sdk.module.js` |"))
    assert f"| {_pinned('CHIME_SDK_VERSION')} | Apache-2.0" in row
    assert hashlib.sha256(BUNDLE.read_bytes()).hexdigest() in readme


def test_the_rebuild_script_is_pinned_and_names_no_registry() -> None:
    script = VENDOR / "build" / "chime-sdk.sh"
    assert os.access(script, os.X_OK)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "web/vendor/build/chime-sdk.sh $(CHIME_SDK_VERSION) $(ROLLUP_VERSION)" in makefile
    for name in ("ROLLUP_VERSION", "ROLLUP_NODE_RESOLVE_VERSION", "ROLLUP_COMMONJS_VERSION", "ROLLUP_JSON_VERSION",
                 "ROLLUP_TERSER_VERSION"):
        assert re.fullmatch(r"\d+\.\d+\.\d+", _pinned(name))
    lock = (VENDOR / "build" / "package-lock.json").read_text(encoding="utf-8")
    assert f'"amazon-chime-sdk-js": "{_pinned("CHIME_SDK_VERSION")}"' in lock
    for path in (VENDOR / "build").iterdir():
        assert not re.search(r'"resolved"|registry\.|npmjs', path.read_text(encoding="utf-8")), path.name
