"""Running `afina` in-process the way a person runs it, capturing what they would see."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from bot.cli import common, main
from bot.config import get_settings


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out.strip().splitlines()[-1])


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """One `afina ...` invocation as a fresh process would see it (settings re-read)."""
    get_settings.cache_clear()
    common.core.cache_clear()
    code = main(list(args))
    captured = capsys.readouterr()
    try:
        common.core().engine.dispose() if common.core.cache_info().currsize else None
    finally:
        common.core.cache_clear()
    return Result(code, captured.out, captured.err)
