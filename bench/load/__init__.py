"""Load figures of the running service (python -m bench.load; see bench/load/__main__.py)."""
