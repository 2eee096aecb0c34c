# Two commands for a new machine: `make run` starts the server with keydb.conf on
# 127.0.0.1:6379; `make test` runs the test suite. Both install what they need.
SHELL := /bin/bash
PYTHON_GIL := 0
export PYTHON_GIL

.PHONY: run test perf venv

venv:
	@bash scripts/ensure-venv.sh >/dev/null

run:
	@py="$$(bash scripts/ensure-venv.sh)" && exec "$$py" -m keydb_ft keydb.conf $(ARGS)

test:
	@bash scripts/ensure-redis.sh
	@py="$$(bash scripts/ensure-venv.sh)" && KEYDB_FT_LOCK_RANKS=1 "$$py" -m pytest -q $(PYTEST_ARGS)

perf:
	@bash scripts/ensure-redis.sh
	@py="$$(bash scripts/ensure-venv.sh)" && "$$py" perf/bench.py $(ARGS)
