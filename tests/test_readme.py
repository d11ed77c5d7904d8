"""The README's promises, run as written: quick start, the crontab line, the systemd unit."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.conftest import DEMO_DATA, ROOT

README = (ROOT / "README.md").read_text()


def _block(language: str, contains: str) -> str:
    """The first fenced block of a language that contains a string."""
    for body in re.findall(rf"```{language}\n(.*?)```", README, flags=re.S):
        if contains in body:
            return str(body)
    raise AssertionError(f"no ```{language} block with {contains!r} in README.md")


def _home(tmp_path: Path) -> dict[str, str]:
    """A fresh HOME holding a clone-like link to this checkout and a config with a folder."""
    home = tmp_path / "home"
    (home / ".local" / "state").mkdir(parents=True)
    (home / "terskel").symlink_to(ROOT)
    config = home / ".config" / "terskel" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[sync]\nfolders = ["{DEMO_DATA}"]\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "TERSKEL_"))}
    env["HOME"] = str(home)
    env.setdefault("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv"))
    return env


def _run_unattended(command: list[str], env: dict[str, str], cwd: str | None = None) -> None:
    """Run a command as cron or systemd would: no terminal; it must succeed."""
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)


def _activities(home: Path) -> int:
    db = home / ".local" / "share" / "terskel" / "terskel.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute("SELECT count(*) FROM activities").fetchall()[0][0])
    finally:
        con.close()


def test_quick_start_is_exactly_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = [line.split("#")[0].strip() for line in _block("sh", "demo").splitlines()]
    assert [c for c in commands if c] == ["uv run terskel demo", "uv run pytest"]
    assert "uv run terskel demo" in quick


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv not on PATH")
def test_crontab_line_runs_as_written(tmp_path: Path) -> None:
    line = _block("cron", "terskel sync").strip()
    fields = line.split(maxsplit=5)
    assert fields[:5] == ["15", "3", "*", "*", "*"]
    env = _home(tmp_path)
    _run_unattended(["sh", "-c", fields[5]], env)
    home = Path(env["HOME"])
    assert _activities(home) == 5
    assert (home / ".local" / "state" / "terskel-sync.log").read_text() == ""  # quiet: no news


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv not on PATH")
def test_systemd_service_runs_as_written(tmp_path: Path) -> None:
    service = _block("ini", "ExecStart")
    timer = _block("ini", "OnCalendar")
    assert "Persistent=true" in timer and "WantedBy=timers.target" in timer
    settings = dict(
        line.split("=", 1) for line in service.splitlines() if "=" in line and "#" not in line
    )
    env = _home(tmp_path)
    workdir = settings["WorkingDirectory"].replace("%h", env["HOME"])
    command = shlex.split(settings["ExecStart"])
    _run_unattended(command, env, cwd=workdir)
    assert _activities(Path(env["HOME"])) == 5
