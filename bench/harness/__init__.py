"""What the benchmarks share: a throwaway database, the API as a subprocess, wrk, the report."""
