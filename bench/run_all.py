"""Runs every benchmark (each bench/*.py module with a `main`) and writes bench/results/latest.md.

    eval "$(scripts/test-services)" && .venv/bin/python -m bench.run_all [NAME ...]

NAME picks benchmarks by module name (create_payout, ...); none means all of them. Each runs with
its own defaults. The report is a markdown table: what, figure, limit, ratio, target.
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


def main(argv: list[str] | None = None) -> None:
    wanted = set(sys.argv[1:] if argv is None else argv)
    figures: list[Figure] = []
    for name in benchmark_names():
        if wanted and name not in wanted:
            continue
        module = importlib.import_module(f"bench.{name}")
        print(f"== bench.{name}", flush=True)
        figures += module.main([])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(_report(figures))
    print(f"\nwritten: {RESULTS.relative_to(BENCH_DIR.parent)}")


def benchmark_names() -> list[str]:
    """Modules directly under bench/ that define main(); bench.harness holds no benchmarks."""
    names = []
    for path in sorted(BENCH_DIR.glob("*.py")):
        if path.stem in {"__init__", "run_all"}:
            continue
        if hasattr(importlib.import_module(f"bench.{path.stem}"), "main"):
            names.append(path.stem)
    return names


def _report(figures: list[Figure]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}, {sys.platform}"
    return f"# Benchmarks, {when}\n\n{machine}\n\n{markdown_table(figures)}"


if __name__ == "__main__":
    main()
