.PHONY: run test test-quick lint bench
# Set up and start the bot on its embedded default (terminal chat).
run:
	@scripts/run
# Set up and run lint, types and the whole test suite.
test:
	@scripts/test
# Every test that starts no process (see tests/support/markers.py): under a minute, no lint.
test-quick:
	.venv/bin/pytest -q -m "not process" -p no:cacheprovider
lint:
	.venv/bin/ruff check bot tuning tests bench && .venv/bin/ruff format --check bot tuning tests bench && .venv/bin/mypy
bench:
	.venv/bin/python -m bench.responder
	.venv/bin/python -m bench.quality
	.venv/bin/python -m bench.tuning
	.venv/bin/python -m bench.slack
	.venv/bin/python -m bench.telegram
	.venv/bin/python -m bench.serve
	.venv/bin/python -m bench.local_train
	.venv/bin/python -m bench.console
	.venv/bin/python -m bench.soak
