"""The static files a deployer copies (docs/deploy.md) hold every module the widget and the desk import: an import of
a folder left out of the copy would load on `make run` and break on CloudFront."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)['"](/[^'"]+)['"]""")


def _copied_folders() -> set[str]:
    deploy = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    command = re.search(r"cp -r ((?:web/\w+ )+)build/web/", deploy)
    assert command, "docs/deploy.md lost its `cp -r web/... build/web/` line"
    return {folder.removeprefix("web/") for folder in command.group(1).split()}


def test_every_absolute_import_of_the_front_ends_is_in_a_copied_folder() -> None:
    copied = _copied_folders()
    imports: dict[str, str] = {}
    for module in sorted((ROOT / "web").rglob("*.js")):
        if "vendor" in module.parts:
            continue
        for path in IMPORT.findall(module.read_text(encoding="utf-8")):
            imports[path] = str(module.relative_to(ROOT))
    assert len(imports) > 20  # the desk's and the widget's modules import each other by absolute path
    missing = {path: where for path, where in imports.items() if path.split("/")[1] not in copied}
    assert missing == {}
    for path, where in imports.items():
        assert (ROOT / "web" / path.lstrip("/")).is_file(), f"{where} imports {path}, which does not exist"
