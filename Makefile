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
	.venv/bin/python bench/responder.py
	.venv/bin/python bench/tuning.py
	.venv/bin/python bench/slack.py
	.venv/bin/python bench/telegram.py
	.venv/bin/python bench/serve.py
	.venv/bin/python bench/local_train.py
