"""domain/ and services/ import no AWS SDK, no PynamoDB and no Chalice (design: layers stay apart)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("boto3", "botocore", "pynamodb", "chalice", "chalicelib.adapters", "chalicelib.bootstrap")
PURE = sorted((ROOT / "chalicelib" / "domain").rglob("*.py")) + sorted((ROOT / "chalicelib" / "services").rglob("*.py"))


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", PURE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_domain_and_services_stay_free_of_aws_and_frameworks(path: Path) -> None:
    bad = sorted(n for n in imported(path) if any(n == f or n.startswith(f + ".") for f in FORBIDDEN))
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


def test_the_check_sees_the_files() -> None:
    assert len(PURE) > 10
