.PHONY: run test lint bench
# Set up and start the bot on its embedded default (terminal chat).
run:
	@scripts/run
# Set up and run lint, types and the whole test suite.
test:
	@scripts/test
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
