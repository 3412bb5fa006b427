.PHONY: install format lint types test test-fast check

install:
	python3 -m pip install -c constraints.txt -e '.[dev]'

format:
	ruff format reward_server sandboxes trainer_client tests benchmarks deploy

lint:
	ruff check reward_server sandboxes trainer_client tests benchmarks deploy
	ruff format --check reward_server sandboxes trainer_client tests benchmarks deploy

types:
	mypy reward_server sandboxes trainer_client benchmarks

test:
	scripts/test

test-fast:
	scripts/test -m "not slow"

# What CI runs (.ci/run) and what to run before a commit: lint, types, the whole suite.
check: lint types test
