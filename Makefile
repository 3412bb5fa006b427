.PHONY: install format lint types test test-fast

install:
	python3 -m pip install -e '.[dev]'

format:
	ruff format reward_server sandboxes trainer_client tests benchmarks deploy

lint:
	ruff check reward_server sandboxes trainer_client tests benchmarks deploy

types:
	mypy reward_server sandboxes trainer_client

test:
	scripts/test

test-fast:
	scripts/test -m "not slow"
