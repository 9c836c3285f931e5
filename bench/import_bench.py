"""Cold import of the Lambda entry module against cold ``import boto3``, as a ratio measured in one run.

Each sample is a fresh interpreter (``python -c``) with the repository first on ``sys.path`` and the same
environment; only the import statement is timed, with ``time.perf_counter`` inside the child. The two kinds of
sample alternate, and each is preceded by one untimed run so that bytecode caches exist for both.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPETITIONS = 7
#: the entry module with the input boundary's models, as a REST or WebSocket function holds it after its first request
BOUNDARY = "app, chalicelib.boundary.models, chalicelib.boundary.frames"
_PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def cold_import_seconds(module: str, env: dict[str, str] | None = None) -> float:
    answer = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)],
        cwd=ROOT, env=env if env is not None else dict(os.environ), capture_output=True, text=True, check=True,
    )
    return float(answer.stdout.strip().splitlines()[-1])


def run(env: dict[str, str] | None = None, repetitions: int = REPETITIONS) -> dict[str, float]:
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for module in ("app", "boto3", BOUNDARY):  # warm-up: compile bytecode, fill the OS file cache
        cold_import_seconds(module, env)
    app_times, boto3_times, boundary_times = [], [], []
    for _ in range(repetitions):
        app_times.append(cold_import_seconds("app", env))
        boto3_times.append(cold_import_seconds("boto3", env))
        boundary_times.append(cold_import_seconds(BOUNDARY, env))
    app_median, boto3_median = statistics.median(app_times), statistics.median(boto3_times)
    boundary_median = statistics.median(boundary_times)
    return {
        "import.app_ms": round(app_median * 1000, 1),
        "import.boto3_ms": round(boto3_median * 1000, 1),
        "import.ratio_to_boto3": round(app_median / boto3_median, 3),
        # what the first client request adds to a REST or WebSocket function's cold start (pydantic and the models)
        "import.app_with_boundary_ms": round(boundary_median * 1000, 1),
        "import.boundary_ratio_to_boto3": round(boundary_median / boto3_median, 3),
    }
