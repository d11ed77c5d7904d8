"""Structure detected batch by batch during a parallel import (while workers decode):
the same store as analysing after the import, and a kill in between heals."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from terskel.jobs import ingest
from terskel.jobs.analyze import ANALYSIS_COLUMNS, ImportStructures, analysis_samples, analyze
from terskel.jobs.decoding import decode_job
from terskel.sources.fit import decode, sha256_of
from terskel.store import Store
from terskel.store.faults import KILL_ENV
from tests.conftest import shared_path
from tests.faults.snapshot import differences, snapshot

FILES = 10  # more than ingest.MIN_FILES_FOR_WORKERS: the import decodes in workers


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of the smallest shared running files."""
    source = shared_path("fit/running")
    folder = tmp_path_factory.mktemp("runs")
    for path in sorted(source.glob("*.fit"), key=lambda p: p.stat().st_size)[:FILES]:
        shutil.copy(path, folder / path.name)
    return folder


def _store(db: Path, folder: Path, workers: int, pipelined: bool) -> dict[str, int]:
    with Store.open(db) as store:
        # as the CLI does: each batch modelled in the decoding workers, saved at the next one
        structures = ImportStructures(store) if pipelined else None
        ingest.import_paths(store, [folder], workers=workers, on_batch=structures)
        if structures:
            structures.finish()
        before = int(store.scalar("SELECT count(*) FROM structures"))
        analysed = analyze(store)
        return {"before": before, "activities": analysed.activities}


def test_pipelined_structures_store_what_analysing_afterwards_stores(
    runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "BATCH_FILES", 3)  # several batches: detection between them
    after = _store(tmp_path / "after.duckdb", runs, workers=1, pipelined=False)
    during = _store(tmp_path / "during.duckdb", runs, workers=2, pipelined=True)
    assert after["before"] == 0 and during["before"] >= 5  # detected during the import
    assert during["activities"] == after["activities"] >= 5  # zones and types afterwards
    expected = snapshot(tmp_path / "after.duckdb")
    assert differences(snapshot(tmp_path / "during.duckdb"), expected) == []


def _cli(db: Path, folder: Path, **env: str) -> int:
    db.with_suffix(".toml").touch()  # an empty config: defaults
    command = [sys.executable, "-m", "terskel", "--db", str(db), "import", "--workers", "2"]
    done = subprocess.run(
        [*command, str(folder)],
        capture_output=True,
        env={**os.environ, "TERSKEL_CONFIG": str(db.with_suffix(".toml")), **env},
        check=False,
    )
    return done.returncode


@pytest.mark.slow  # three CLI imports in subprocesses
def test_import_killed_after_a_pipelined_structure_heals_on_the_next_import(
    runs: Path, tmp_path: Path
) -> None:
    assert _cli(tmp_path / "whole.duckdb", runs) in (0, 1)
    killed = tmp_path / "killed.duckdb"
    assert _cli(killed, runs, **{KILL_ENV: "save_structures"}) == -signal.SIGKILL
    with Store.open(killed, read_only=True) as store:  # killed inside the import
        assert store.scalar("SELECT count(*) FROM structures") >= 1
        assert store.scalar("SELECT count(*) FROM activity_peaks") == 0
    assert _cli(killed, runs) in (0, 1)
    assert differences(snapshot(killed), snapshot(tmp_path / "whole.duckdb")) == []


def _serial(pool: object, inputs: Iterator[tuple[Any, bytes]], fallback_tz: Any, _n: int) -> Any:
    """Decoding in input order in this process: which batch saves which file is then fixed."""
    return ((decode_job(item.label, data, fallback_tz), data) for item, data in inputs)


def test_a_run_a_later_batch_gives_a_better_record_is_modelled_from_the_record_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two watches' records of one run, the better one in the next batch: that batch
    replaces the run's samples while the first record's model is still under way (saved
    only at the next batch, after the replacement). The structure stored must be the kept
    record's, as `analyze --rebuild` finds it, not the replaced one's."""
    running = shared_path("fit/running")
    first = running / "runalyze__FR735XT-with-performance-condition.fit"  # stream 10.96
    better = running / "runalyze__Fenix-3-with-runscribe-v1-38.fit"  # 11.0: it wins
    monkeypatch.setattr(ingest, "BATCH_FILES", 1)
    monkeypatch.setattr(ingest, "_decode_parallel", _serial)
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store, ThreadPoolExecutor(1) as pool:
        structures = ImportStructures(store)
        # as the CLI does, the pool a stand-in for its decoding workers
        ingest.import_paths(store, [first, better], on_batch=structures, pool=pool)  # type: ignore[arg-type]
        structures.finish()
        analyze(store)
        assert store.scalar("SELECT count(*) FROM activities") == 1
    imported = snapshot(db)
    with Store.open(db) as store:
        analyze(store, rebuild=True)
    assert differences(snapshot(db), imported) == []


def test_a_run_replaced_while_its_model_is_under_way_unreported_is_left_to_analyse(
    tmp_path: Path,
) -> None:
    """A write the batches do not report (a Strava export's rows come after the last
    batch) replaces a run's samples while its model is under way: the structure saved
    then is stamped with when its samples were read, so the run stays to analyse and
    `analyze` ends where `analyze --rebuild` does."""
    running = shared_path("fit/running")
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        ingest.import_paths(store, [running / "runalyze__FR735XT-with-performance-condition.fit"])
        structures = ImportStructures(store)
        structures(None)  # the model of the first record under way
        ingest.import_paths(store, [running / "runalyze__Fenix-3-with-runscribe-v1-38.fit"])
        structures.finish()
        ids = store.activities_to_analyze(None, False, ("running",))
        assert len(ids) == 1 and store.structures(ids).height == 1  # saved, and stale
        analyze(store)
        assert store.activities_to_analyze(None, False, ("running",)) == []
    imported = snapshot(db)
    with Store.open(db) as store:
        analyze(store, rebuild=True)
    assert differences(snapshot(db), imported) == []


def test_an_interrupt_between_batches_stops_the_workers_at_once(
    runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    monkeypatch.setattr(ingest, "BATCH_FILES", 3)
    # other tests in this process may have left the detection's forked pool (kept for the run)
    before = set(multiprocessing.active_children())

    def decoders() -> list[object]:
        return [p for p in multiprocessing.active_children() if p not in before]

    def interrupted(_pool: object, _saved: object) -> None:
        assert decoders()  # the pool is decoding the next files
        raise KeyboardInterrupt  # as Ctrl-C or SIGTERM (Terminated) during the detection

    with Store.open(tmp_path / "s.duckdb") as store:
        try:
            ingest.import_paths(store, [runs], workers=2, on_batch=interrupted)
        except KeyboardInterrupt:  # its traceback (holding the import's frames) still alive
            left = decoders()
    assert left == []


def test_the_samples_a_batch_hands_over_are_the_stored_ones(
    runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "BATCH_FILES", 3)
    from_memory: list[int] = []

    class Checked(ImportStructures):
        def _start(self, chunk: list[int], pool: object, saved: dict[int, pl.DataFrame]) -> Any:
            built = analysis_samples(chunk, saved, self.store.samples).collect()
            stored = self.store.samples(chunk, ANALYSIS_COLUMNS).collect()
            assert built.schema == stored.schema and built.equals(stored)
            from_memory.extend(i for i in chunk if i in saved)
            return super()._start(chunk, pool, saved)  # type: ignore[arg-type]

    with Store.open(tmp_path / "s.duckdb") as store:
        structures = Checked(store)
        ingest.import_paths(store, [runs], workers=2, on_batch=structures)
        structures.finish()
        analysed = store.activities_to_analyze(None, False, ("running",))
    assert analysed == [] and len(from_memory) >= 5  # every run's samples from its batch


def test_samples_from_uploads_and_from_the_store_together_read_as_the_store(
    runs: Path, tmp_path: Path
) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        ingest.import_paths(store, [runs], workers=1)
        sources = store.con.execute(
            "SELECT a.activity_id, a.primary_source_id FROM activities a ORDER BY 1"
        ).fetchall()
        by_sha = {sha256_of(p.read_bytes()): p for p in runs.glob("*.fit")}
        saved = {}
        for activity_id, source_id in sources[::2]:  # every other run from its upload
            sha, index = source_id.split(":")
            sessions = decode(by_sha[sha].read_bytes()).sessions
            saved[activity_id] = next(s for s in sessions if str(s.index) == index).samples
        ids = [row[0] for row in sources]
        built = analysis_samples(ids, saved, store.samples).collect()
        stored = store.samples(ids, ANALYSIS_COLUMNS).collect()
    assert 0 < len(saved) < len(ids)
    assert built.schema == stored.schema
    assert built.equals(stored)


def test_identical_files_are_decoded_once_and_the_first_path_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two copies of one file in one import with workers: the copy stored never depends on
    which worker finishes first, because the second copy is never sent to one."""
    source = sorted(shared_path("fit/running").glob("*.fit"), key=lambda p: p.stat().st_size)[0]
    copies = [tmp_path / "b" / "later.fit", tmp_path / "a" / "first.fit"]
    for copy in copies:
        copy.parent.mkdir()
        shutil.copy(source, copy)
    sent: list[str] = []
    real = ingest._decode_parallel

    def recording(pool: object, inputs: Iterator[tuple[Any, bytes]], *rest: Any) -> Any:
        def watched() -> Iterator[tuple[Any, bytes]]:
            for item, data in inputs:
                sent.append(item.label)
                yield item, data

        return real(pool, watched(), *rest)

    monkeypatch.setattr(ingest, "_decode_parallel", recording)
    with Store.open(tmp_path / "store.duckdb") as store:
        summary = ingest.import_paths(store, copies, workers=2)
        paths = store.con.execute("SELECT first_path FROM raw_files").fetchall()
    assert len(sent) == 1 and summary.present == 1
    assert paths == [(sent[0],)] and sent[0].endswith("later.fit")  # the input order
