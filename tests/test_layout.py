"""The code keeps the shape the README describes: every folder listed, no module over 400 lines."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400


def layout_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## How the code is laid out", 1)[1].split("\n## ", 1)[0]


def test_the_readme_layout_names_every_code_folder_and_only_real_ones() -> None:
    named = set(re.findall(r"`([a-z_./]+)/`", layout_section()))
    assert all((ROOT / folder).is_dir() for folder in named), named
    folders = {
        path.parent.relative_to(ROOT).as_posix()
        for top in ("bot", "tuning", "tests", "bench")
        for path in (ROOT / top).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert folders - named == set(), "folders the README's layout section does not name"


def test_no_module_in_bot_or_tuning_is_over_400_lines() -> None:
    long = {
        path.relative_to(ROOT).as_posix(): lines
        for top in ("bot", "tuning")
        for path in (ROOT / top).rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
