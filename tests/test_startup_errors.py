"""A broken database or a bad setting: one clear line, a non-zero exit, never a traceback.

Each case runs the real `afina` command as a separate process, the way a person
or a process manager starts it, and reads what it prints. The line must name
the setting to fix, and must never carry a password, a secret, SQL, its
parameters, or the text of a person's message.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import AFINA

PASSWORD = "pa55-w0rd-nobody-sees"
MESSAGE = "Hola, soy Ana y mi DNI es 12345678Z"
COMMANDS = {
    "ask": ["ask", MESSAGE],
    "doctor": ["doctor", "--offline"],
    "serve": ["serve", "--port", "0"],
    "worker": ["worker"],
}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def afina(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """One `afina` process with only these settings (and the test's AFINA_HOME)."""
    return at_once({"": args}, cwd, **env)[""]


def at_once(
    commands: dict[str, list[str]],
    cwd: Path,
    *,
    each: dict[str, dict[str, str]] | None = None,
    **env: str,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Several `afina` processes started together (each takes seconds just to import);
    `each` adds settings of its own to one of them."""
    kept = {"PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH"}
    inherited = {k: v for k, v in os.environ.items() if k in kept}
    started = {
        name: subprocess.Popen(
            [AFINA, *args],
            env=inherited
            | {"AFINA_HOME": os.environ["AFINA_HOME"]}
            | env
            | (each or {}).get(name, {}),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in commands.items()
    }
    done = {}
    for name, process in started.items():
        try:
            out, err = process.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            err += f"\n(still running after 90 s: {name} did not stop)"
        done[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return done


def one_clear_line(done: subprocess.CompletedProcess[str], *, names: str) -> str:
    """The error as the person reads it: one line on stderr that names the setting."""
    assert done.returncode != 0, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert names in lines[0], lines[0]
    for private in (PASSWORD, MESSAGE, "12345678Z", "INSERT", "SELECT", "parameters"):
        assert private not in output, (private, output)
    return lines[0]


def doctor_says(done: subprocess.CompletedProcess[str], *, names: str) -> str:
    """`afina doctor` prints one line per check: the database one fails, naming the setting."""
    assert done.returncode == 1, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "Traceback" not in output and PASSWORD not in output, output
    [line] = [line for line in done.stdout.splitlines() if " database " in f" {line} "]
    assert line.startswith("✗") and names in line, line
    return line


BAD_DATABASES = {
    "not a URL": ("notaurl", "DATABASE_URL is not a database URL"),
    "mysql": (
        f"mysql://afina:{PASSWORD}@127.0.0.1/afina",
        "afina runs on SQLite or PostgreSQL",
    ),
    "connection refused": (
        f"postgresql://afina:{PASSWORD}@127.0.0.1:{closed_port()}/afina",
        "connection refused",
    ),
    "unknown host": (
        f"postgresql://afina:{PASSWORD}@no-such-host.invalid/afina",
        "host name not found",
    ),
}


@pytest.mark.parametrize("case", BAD_DATABASES)
def test_a_database_that_cannot_be_used_is_one_line_for_every_command(
    case: str, tmp_path: Path
) -> None:
    url, says = BAD_DATABASES[case]
    for command, done in at_once(COMMANDS, tmp_path, DATABASE_URL=url).items():
        if command == "doctor":
            line = doctor_says(done, names="DATABASE_URL")
        else:
            line = one_clear_line(done, names="DATABASE_URL")
        assert says in line, (command, line)
        if "@" in url:
            assert "afina:***@" in line, (command, line)  # which server, the password masked


def test_mysql_says_which_databases_are_supported(tmp_path: Path) -> None:
    done = afina(["ask", MESSAGE], tmp_path, DATABASE_URL="mysql://u@127.0.0.1/shop")
    line = one_clear_line(done, names="DATABASE_URL")
    assert "sqlite:///" in line and "postgresql://" in line, line


@pytest.fixture
def home_under_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "a-file").write_text("not a folder")
    home = tmp_path / "a-file" / "home"
    monkeypatch.setenv("AFINA_HOME", str(home))
    return home


def test_afina_home_under_a_file_is_one_line(home_under_a_file: Path, tmp_path: Path) -> None:
    for command, done in at_once(COMMANDS, tmp_path).items():
        if command == "doctor":
            line = doctor_says(done, names="AFINA_HOME")
        else:
            line = one_clear_line(done, names="AFINA_HOME")
        assert "a-file is a file, not a folder" in line, (command, line)


@pytest.fixture
def home_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    if os.geteuid() == 0:  # root writes anywhere it has a mode for; sysfs refuses even root
        if not Path("/sys/kernel").is_dir():
            pytest.skip("running as root without /sys: no folder root cannot write")
        home = Path("/sys/afina-home")
        monkeypatch.setenv("AFINA_HOME", str(home))
        yield home
        return
    locked = tmp_path / "read-only"
    locked.mkdir(mode=0o500)
    monkeypatch.setenv("AFINA_HOME", str(locked / "home"))
    yield locked / "home"
    locked.chmod(0o700)


def test_afina_home_that_cannot_be_written_is_one_line(
    home_not_writable: Path, tmp_path: Path
) -> None:
    commands = {name: COMMANDS[name] for name in ("ask", "worker")}
    for command, done in at_once(commands, tmp_path).items():
        line = one_clear_line(done, names="AFINA_HOME")
        assert "cannot be created" in line, (command, line)


@pytest.fixture
def locked_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The default SQLite file, migrated, with another process holding its write lock."""
    home = tmp_path / "home"
    monkeypatch.setenv("AFINA_HOME", str(home))
    assert afina(["migrate"], tmp_path).returncode == 0
    holder = sqlite3.connect(home / "afina.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # what a long write in another process looks like
    yield home
    holder.execute("ROLLBACK")
    holder.close()


def test_a_database_locked_past_the_busy_timeout_is_one_line_without_the_message(
    locked_database: Path, tmp_path: Path
) -> None:
    commands = {name: COMMANDS[name] for name in ("ask", "worker", "doctor")}
    for command, done in at_once(commands, tmp_path, SQLITE_BUSY_TIMEOUT_S="0.5").items():
        if command == "doctor":
            line = doctor_says(done, names="AFINA_HOME")
        else:
            line = one_clear_line(done, names="SQLITE_BUSY_TIMEOUT_S")
            assert "AFINA_HOME" in line, (command, line)
        assert "locked by another process" in line, (command, line)


SECRET = "sk-proj-secretvalue0123456789abcdef"


BAD_SETTINGS = {  # each with a different command: settings are read before any command runs
    "PORT": ("eighty", "serve"),
    "TEMPERATURE": ("9", "ask"),
    "MODEL_BACKEND": ("gpt", "worker"),
    "OPENAI_MAX_RETRIES": (SECRET, "doctor"),  # a key pasted in the wrong place
    "REVIEWERS": (f'["{SECRET}"', "ask"),
    "SYSTEM_PROMPT_FILE": ("/no/such/voice.md", "worker"),
    "SQLITE_BUSY_TIMEOUT_S": ("-1", "serve"),
}


def test_a_bad_setting_is_one_line_naming_it_without_its_value(tmp_path: Path) -> None:
    commands = {name: COMMANDS[command] for name, (_, command) in BAD_SETTINGS.items()}
    each = {name: {name: value} for name, (value, _) in BAD_SETTINGS.items()}
    for name, done in at_once(commands, tmp_path, each=each).items():
        line = one_clear_line(done, names=name)
        assert line.startswith("error: "), line
        assert SECRET not in line, line


def test_a_settings_file_that_is_not_text_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"OPENAI_API_KEY=" + SECRET.encode() + b"\nPORT=\xff\xfe\n")
    line = one_clear_line(afina(COMMANDS["ask"], tmp_path), names=".env")
    assert "not UTF-8 text" in line and SECRET not in line, line


def test_several_bad_settings_are_named_on_one_line(tmp_path: Path) -> None:
    done = afina(COMMANDS["serve"], tmp_path, PORT="eighty", TEMPERATURE="9")
    line = one_clear_line(done, names="PORT")
    assert "TEMPERATURE" in line, line
