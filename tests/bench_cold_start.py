"""`make bench`: what a cold start pays to import the app, against the floor every Lambda
function of a Chalice + PynamoDB app pays anyway (`import chalice, boto3, pynamodb.models`).

Each figure is the median of fresh interpreters, the two kinds interleaved so that a busy
machine slows both alike. `python -m tests.bench_cold_start [rounds]` prints this part alone."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
FLOOR = "import chalice, boto3, pynamodb.models"
APP = "import app"


def _import_seconds(statement: str) -> float:
    script = f"import time\nstart = time.perf_counter()\n{statement}\n" \
             "print(time.perf_counter() - start)"
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True,
        env={**os.environ, "PARLEY_STAGE": "prod"}, timeout=60, check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def measure(rounds: int = 9) -> tuple[float, float]:
    """Median seconds of the floor and of `import app`, over `rounds` fresh processes each."""
    floor: list[float] = []
    app: list[float] = []
    for _ in range(rounds):
        floor.append(_import_seconds(FLOOR))
        app.append(_import_seconds(APP))
    return statistics.median(floor), statistics.median(app)


def print_ratio(rounds: int = 9) -> None:
    floor, app = measure(rounds)
    print(f"\nCold import, median of {rounds} fresh processes each (interleaved):")
    print(f"  {FLOOR:40} {floor * 1000:7.1f} ms")
    print(f"  {APP:40} {app * 1000:7.1f} ms   ratio {app / floor:.2f}x (goal: at most 1.30x)")


if __name__ == "__main__":
    print_ratio(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
