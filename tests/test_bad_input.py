"""Bad input through the real import: bombs, huge zips, odd names, old exports, signals."""

from __future__ import annotations

import gzip
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from terskel.cli import app
from terskel.jobs.ingest import import_paths
from terskel.sources import files
from terskel.sources.strava_export import parse_activities_csv
from terskel.store import Store
from terskel.store.schema import latest_version
from tests.conftest import DEMO_DATA, ROOT, TEST_DATA

runner = CliRunner()
RUN = DEMO_DATA / "tormoder__0137001239.fit"
BOMB_BYTES = 100 * 1024 * 1024  # more than MAX_FIT_BYTES (64 MB), compresses to ~100 kB


def _failed(summary_failed: list[tuple[str, str]]) -> dict[str, str]:
    return {Path(label.split("!")[-1]).name: reason for label, reason in summary_failed}


def test_gzip_and_zip_bombs_stop_at_the_cap(store: Store, tmp_path: Path) -> None:
    zeros = bytes(BOMB_BYTES)
    (tmp_path / "bomb.fit.gz").write_bytes(gzip.compress(zeros, compresslevel=1))
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner.fit", zeros)
        archive.writestr("inner.fit.gz", gzip.compress(zeros, compresslevel=1))
        archive.writestr("run.fit", RUN.read_bytes())
    del zeros
    summary = import_paths(store, [tmp_path], workers=1)
    failed = _failed(summary.failed)
    assert set(failed) == {"bomb.fit.gz", "inner.fit", "inner.fit.gz"}
    for reason in failed.values():
        assert reason.startswith("too large for a FIT activity") and "limit 64 MB" in reason
    assert summary.imported == 1  # the run next to the bombs


def test_an_archive_stops_at_its_total_cap(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = sorted(DEMO_DATA.glob("*.fit"))
    # room for the first two files only
    monkeypatch.setattr(files, "MAX_ARCHIVE_BYTES", sum(p.stat().st_size for p in runs[:2]))
    with zipfile.ZipFile(tmp_path / "many.zip", "w") as archive:
        for path in runs:
            archive.writestr(path.name, path.read_bytes())
    summary = import_paths(store, [tmp_path / "many.zip"], workers=1)
    ((label, reason),) = summary.failed
    assert reason.startswith("archive holds more than") and label.endswith(runs[2].name)
    assert summary.imported == 2


def test_a_zip_of_many_entries_logs_in_batches(store: Store, tmp_path: Path) -> None:
    entries = 20_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(entries):
            archive.writestr(f"junk/{index}.fit", f"not fit {index}")
    (tmp_path / "junk.zip").write_bytes(buffer.getvalue())
    start = time.perf_counter()
    summary = import_paths(store, [tmp_path / "junk.zip"], workers=1)
    seconds = time.perf_counter() - start
    assert len(summary.failed) == entries
    logged = store.scalar("SELECT count(*) FROM import_log WHERE status = 'failed'")
    assert logged == entries
    assert seconds < 60, f"{entries} failed entries took {seconds:.0f} s"


def test_a_file_name_that_is_not_utf8_does_not_lose_the_batch(store: Store, tmp_path: Path) -> None:
    odd = os.fsdecode(b"caf\xe9-run.fit")  # Latin-1 name on a UTF-8 file system
    (tmp_path / odd).write_bytes(RUN.read_bytes())
    other = DEMO_DATA / "heartandsole__3981100861.fit"
    (tmp_path / other.name).write_bytes(other.read_bytes())
    summary = import_paths(store, [tmp_path], workers=1)
    assert (summary.imported, summary.failed) == (2, [])
    paths = store.con.execute("SELECT first_path FROM raw_files").fetchall()
    assert any("caf\ufffd-run.fit" in row[0] for row in paths)


def test_an_old_export_with_a_bad_distance_keeps_the_row() -> None:
    # old exports: one Distance column, in km
    text = (
        'Activity ID,Activity Date,Activity Type,Distance\n1,"Feb 6, 2013, 12:11:14 PM",Run,n/a\n'
    )
    text += '2,"Feb 7, 2013, 12:11:14 PM",Run,"1,234.5"\n'
    first, second = parse_activities_csv(text)
    assert first.number("Distance") is None
    assert second.number("Distance") == pytest.approx(1_234_500)


@pytest.mark.parametrize(
    "name", ["../outside.gpx", "/etc/hostname", "activities/../../outside.gpx"]
)
def test_an_export_filename_outside_the_export_is_refused(
    store: Store, tmp_path: Path, name: str
) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (tmp_path / "outside.gpx").write_bytes(
        (TEST_DATA / "strava" / "gpxpy__garmin_tpx.gpx").read_bytes()
    )
    (export / "activities.csv").write_text(
        "Activity ID,Activity Date,Activity Type,Filename,Distance,Distance\n"
        f'7,"Nov 19, 2017, 11:23:07 AM",Ride,{name},20.1,20100\n'
    )
    summary = import_paths(store, [export], workers=1)
    ((_label, reason),) = summary.failed
    assert "points outside the export; not read" in reason
    assert store.activities().height == 0
    assert store.scalar("SELECT count(*) FROM samples") == 0


def test_lookback_days_must_not_be_negative(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[garmin]\nlookback_days = -5\n")
    result = runner.invoke(
        app, ["--config", str(config), "--db", str(tmp_path / "s.duckdb"), "activities"]
    )
    assert result.exit_code == 2
    assert "lookback_days" in result.output and "greater than or equal to 0" in result.output


def test_no_analyze_skips_the_analysis(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    plain = runner.invoke(app, ["--db", str(db), "import", "--no-analyze", str(DEMO_DATA)])
    assert plain.exit_code == 0, plain.output
    assert "analysed" not in plain.output
    with Store.open(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM structures") == 0
        assert store.activities().height == 5
    analysed = runner.invoke(app, ["--db", str(db), "analyze"])
    assert analysed.exit_code == 0
    with Store.open(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM structures") > 0


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found |= {int(p) for p in text.split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_stops_the_workers_and_exits_143(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    runs = sorted(DEMO_DATA.glob("*.fit"))
    for index in range(60):  # distinct bytes each, enough work to be caught mid-way
        source = runs[index % len(runs)]
        (folder / f"{index}.fit").write_bytes(source.read_bytes() + bytes([index]))
    command = [sys.executable, "-m", "terskel", "--db", str(tmp_path / "s.duckdb")]
    command += ["import", "--workers", "2", str(folder)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    # the workers start before the store opens (jobs/pool.py): wait for both, mid-import
    while (
        (len(workers) < 2 or not (tmp_path / "s.duckdb").exists())
        and time.monotonic() < deadline
        and process.poll() is None
    ):
        time.sleep(0.2)
        workers = {pid for pid in _children(process.pid) if _alive(pid)}
    assert process.poll() is None, "import ended before its workers could be seen"
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 143, err.decode()
    assert "terminated (SIGTERM)" in err.decode()
    assert "Traceback" not in err.decode()
    time.sleep(0.5)
    assert not [pid for pid in workers if _alive(pid)], "worker processes left running"
    with Store.open(tmp_path / "s.duckdb", read_only=True) as store:
        count = store.activities().height
        assert count == store.scalar("SELECT count(DISTINCT activity_id) FROM activity_sources")
    assert pl.__version__  # polars imported for the store read above


# A writing command whose new store gets a SIGTERM at its first commit (the first
# migration): before, only import held it; sync installed its handler after the store had
# opened and the others none, so the signal's default action ended the process part-way
# through the migrations.
_SIGTERM_AT_FIRST_COMMIT = """
import os, signal, sys
from terskel.store import faults

sent = []

def _sigterm_once():
    if not sent:
        sent.append(1)
        os.kill(os.getpid(), signal.SIGTERM)

faults.committed = _sigterm_once
sys.argv = ["terskel", *sys.argv[1:]]
from terskel.cli import run
run()
"""


@pytest.mark.parametrize("writer", [["sync"], ["analyze"], ["init"]], ids=lambda w: w[0])
def test_sigterm_while_a_writer_makes_its_store_waits_for_it_and_exits_143(
    tmp_path: Path, writer: list[str]
) -> None:
    db = tmp_path / "s.duckdb"
    command = [sys.executable, "-c", _SIGTERM_AT_FIRST_COMMIT, "--db", str(db), *writer]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HOME": str(tmp_path)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 143, done.stderr
    assert "terminated (SIGTERM)" in done.stderr and "Traceback" not in done.stderr
    with Store.open(db, read_only=True) as store:  # whole, at the latest schema
        assert store.schema_version() == latest_version()


# Loaded by every process of the import below: a decoding worker kills itself on its
# first file (as the kernel's OOM killer or a crashing decoder would; the workers start
# before any file is sent, jobs/pool.py), the CLI itself lives on.
_WORKER_DIES = """
import os, signal, sys
if any("spawn_main" in arg for arg in sys.orig_argv):
    import terskel.jobs.decoding

    def _die(*_args):
        os.kill(os.getpid(), signal.SIGKILL)

    terskel.jobs.decoding.decode_job = _die
"""


def test_a_worker_that_dies_ends_the_import_with_one_line_and_the_next_import_goes_on(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    runs = sorted(DEMO_DATA.glob("*.fit"))
    for index in range(12):  # enough files for worker processes, distinct bytes each
        source = runs[index % len(runs)]
        (folder / f"{index}.fit").write_bytes(source.read_bytes() + bytes([index]))
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_WORKER_DIES)
    db = tmp_path / "s.duckdb"
    command = [sys.executable, "-m", "terskel", "--db", str(db), "import", "--workers", "2"]
    src = str(ROOT / "src")
    dying = {**os.environ, "PYTHONPATH": f"{hook}{os.pathsep}{src}"}
    done = subprocess.run([*command, str(folder)], capture_output=True, text=True, env=dying)
    assert done.returncode == 1, done.stderr
    assert "a worker process died while reading" in done.stderr
    assert "run the same import again" in done.stderr
    assert "Traceback" not in done.stderr
    healthy = {**os.environ, "PYTHONPATH": src}
    again = subprocess.run([*command, str(folder)], capture_output=True, text=True, env=healthy)
    assert again.returncode == 0, again.stderr
    uninterrupted = [*command[:3], "--db", str(tmp_path / "once.duckdb"), *command[5:]]
    once = subprocess.run(
        [*uninterrupted, str(folder)], capture_output=True, text=True, env=healthy
    )
    assert once.returncode == 0, once.stderr
    counts = []
    for path in (db, tmp_path / "once.duckdb"):
        with Store.open(path, read_only=True) as store:
            counts.append(
                (store.activities().height, store.scalar("SELECT count(*) FROM raw_files"))
            )
    assert counts[0] == counts[1] and counts[0][1] == 12


def _dies(*_args: object) -> object:
    os.kill(os.getpid(), signal.SIGKILL)  # a forked pool worker, as the OOM killer would
    raise AssertionError("unreachable")


def test_a_pool_worker_that_dies_ends_analyze_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from terskel.analysis import intervals
    from terskel.cli import main

    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        import_paths(store, [DEMO_DATA], workers=1)
    monkeypatch.setattr(intervals, "POOL_MIN", 2)  # the demo's runs go to the fork pool
    monkeypatch.setattr(intervals, "_POOL", None)  # a pool of its own, dropped after
    monkeypatch.setattr(intervals, "read_one", _dies)  # forked: the workers inherit it
    monkeypatch.setattr(sys, "argv", ["terskel", "--db", str(db), "analyze", "--rebuild"])
    with pytest.raises(SystemExit) as ended:
        main()
    err = capsys.readouterr().err
    assert ended.value.code == 1, err
    assert "a worker process died" in err and "run the same command again" in err
    assert "Traceback" not in err
