"""Runs every benchmark (each bench/*.py module with a `main`) and writes bench/results/latest.md.

eval "$(scripts/test-services)" && .venv/bin/python -m bench.run_all
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.harness.figures import Figure, markdown_table

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results" / "latest.md"


def main() -> None:
    figures: list[Figure] = []
    for path in sorted(BENCH_DIR.glob("*.py")):
        if path.stem in {"__init__", "run_all"}:
            continue
        module = importlib.import_module(f"bench.{path.stem}")
        if hasattr(module, "main"):
            print(f"== bench.{path.stem}", flush=True)
            figures += module.main([])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(_report(figures))
    print(f"\nwritten: {RESULTS.relative_to(BENCH_DIR.parent)}")


def _report(figures: list[Figure]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}, {sys.platform}"
    return f"# Benchmarks, {when}\n\n{machine}\n\n{markdown_table(figures)}"


if __name__ == "__main__":
    main()
