"""Scripts that print speed, quality and cost figures; run each from the repository root as
`.venv/bin/python -m bench.NAME` (`make bench` runs them all), so `bot`, `tuning` and
`tests.support` import as they do in the tests."""
