"""The vendored uPlot (web/vendor/README.md), the Reports' chart library (issue 15): the published ES module and
stylesheet at the version the Makefile pins, with their licence and the checksums the README gives."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "web" / "vendor"


def _pinned() -> str:
    found = re.search(r"^UPLOT_VERSION := (\S+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert found, "the Makefile lost UPLOT_VERSION"
    return found.group(1)


def test_the_module_is_the_pinned_version_an_es_module_without_imports() -> None:
    source = (VENDOR / "uPlot.esm.js").read_text(encoding="utf-8")
    assert f"https://github.com/leeoniya/uPlot (v{_pinned()})" in source[:400]
    assert source.rstrip().endswith("export { uPlot as default };")
    assert not re.search(r"^\s*import\s", source, re.MULTILINE)  # nothing else to vendor, no build step


def test_the_readme_gives_the_version_licence_and_checksums_of_both_files() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    for name in ("uPlot.esm.js", "uPlot.min.css"):
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}` |"))
        assert f"| {_pinned()} | MIT, `LICENSE-uplot` |" in row
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() in readme
    assert "MIT License" in (VENDOR / "LICENSE-uplot").read_text(encoding="utf-8")
