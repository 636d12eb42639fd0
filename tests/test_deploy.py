"""The deploy files run afina's own commands: Procfile, compose.yaml and Dockerfile agree.

No container engine runs here, so the files are read, not run: every `afina …`
command they name exists (its `--help` works), compose runs the Procfile's
processes with the Procfile's commands, the image starts the web process and is
set up by the project's own scripts, and the Socket Mode manifest is the same
Slack app as the HTTP one.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from tests.support.cli import run

ROOT = Path(__file__).resolve().parents[1]


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def compose_commands() -> dict[str, str]:
    """Each service's `command:`, read from the file as it is written (one line each)."""
    found: dict[str, str] = {}
    service = None
    for line in (ROOT / "compose.yaml").read_text(encoding="utf-8").splitlines():
        if match := re.fullmatch(r"  ([a-z-]+):", line):
            service = match.group(1)
        elif (match := re.fullmatch(r"\s+command: (.+)", line)) and service:
            found[service] = match.group(1)
    return found


def dockerfile() -> list[str]:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()


def dockerfile_command() -> str:
    [cmd] = [line for line in dockerfile() if line.startswith("CMD ")]
    return " ".join(json.loads(cmd.removeprefix("CMD ")))


def named_commands() -> list[str]:
    every = [*procfile().values(), *compose_commands().values(), dockerfile_command()]
    return sorted(set(every))


def test_compose_runs_the_procfile_processes_and_the_image_starts_the_web_one() -> None:
    assert procfile() == {
        "release": "afina migrate",
        "web": "afina serve",
        "worker": "afina worker",
    }
    assert compose_commands() == procfile()
    assert dockerfile_command() == procfile()["web"]


@pytest.mark.parametrize("command", named_commands())
def test_every_command_they_name_is_an_afina_command(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    program, *args = command.split()
    assert program == "afina"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert scripts["scripts"]["afina"] == "bot.cli:entry"
    shown = run(capsys, *args, "--help")
    assert shown.code == 0, shown.err
    assert re.search(rf"Usage: \S+ {args[0]} ", shown.out), shown.out  # its own help, not afina's


def test_a_command_afina_lacks_would_be_caught(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "deploy-everything", "--help").code == 2


def test_the_image_is_set_up_by_the_projects_own_scripts() -> None:
    runs = " ".join(line for line in dockerfile() if line.startswith(("RUN ", "    ")))
    used = set(re.findall(r"scripts/[a-z_-]+", runs))
    assert used == {"scripts/bootstrap"}
    assert all((ROOT / script).is_file() for script in used)


def _settings_lines(path: Path) -> list[str]:
    """A manifest's content without comments, request URLs and the Socket Mode switch."""
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        content = line.split(" #", 1)[0].rstrip()
        if not content or content.lstrip().startswith("#"):
            continue
        if "request_url:" in content or "socket_mode_enabled:" in content:
            continue
        kept.append(content)
    return kept


def test_the_socket_mode_manifest_is_the_same_app_without_request_urls() -> None:
    http, socket = ROOT / "slack" / "manifest.yml", ROOT / "slack" / "manifest-socket-mode.yml"
    assert _settings_lines(socket) == _settings_lines(http)
    assert "socket_mode_enabled: true" in socket.read_text(encoding="utf-8")
    assert "socket_mode_enabled: false" in http.read_text(encoding="utf-8")
    assert "request_url" not in socket.read_text(encoding="utf-8")
