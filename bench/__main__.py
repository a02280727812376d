"""Run every benchmark once, briefly: python -m bench (or make bench).

Each benchmark prints its own figures, with ratios to a baseline measured in the same run.
Run one alone with its own options for the full-size figures (see README).
"""

from __future__ import annotations

import subprocess
import sys

RUNS = [
    ["bench.bench_codes", "--seconds", "1"],
    ["bench.bench_qr", "--rounds", "2"],
    ["bench.bench_import", "--rows", "20000", "--backend", "both"],
    ["bench.scan_bench", "--generated", "5"],
    ["bench.bench_licences", "--entities", "20000", "--issue", "300", "--samples", "100"],
    ["bench.bench_access", "--seconds", "1", "--entries", "500"],
    ["bench.load", "--entities", "2000", "--seconds", "3", "--concurrency", "8"],
]


def main() -> int:
    failed = 0
    for module, *args in RUNS:
        print(f"\n=== {module} {' '.join(args)}", flush=True)
        failed += subprocess.call([sys.executable, "-m", module, *args]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
