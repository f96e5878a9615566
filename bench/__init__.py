"""Benchmarks that print figures beside their limits; they never assert on timing.

Each module here with a `main(argv)` is one benchmark; `python -m bench.run_all` runs them all.
The pieces they share live in bench.harness.
"""
