"""Seeded fuzz corpus: mutants of real FIT files, built here, through the real import.

Bit flips, zeroed 512-byte blocks (a bad disk sector), truncations, duplicated chunks,
bad header sizes and huge field sizes in definition messages. Every mutant must import
or fail with one line: no traceback, no hang (a timeout per file), bounded memory, and
nothing implausible reaches `activities` or the report's rows.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest

from terskel.jobs.analyze import analyze
from terskel.jobs.import_summary import ImportSummary
from terskel.jobs.ingest import import_paths
from terskel.sources.plausibility import DEFAULT_BOUNDS, FOOT_SPORTS
from terskel.store import Store
from tests.conftest import DEMO_DATA, SHARED, TEST_DATA

SEED = 20261201
PER_FILE_TIMEOUT_S = 30  # the slowest mutant decodes in ~2 s on a loaded 2-core machine
MAX_RSS_GROWTH_MB = 512  # a bomb or a runaway allocation would exceed it
# Small permissive files (tests/data and the package's demo data): fast to mutate and read.
SMALL = [
    TEST_DATA / "fitdecode__activity-filecrc.fit",
    TEST_DATA / "fitdecode__activity-unexpected-eof.fit",
    TEST_DATA / "fitparse__compressed-speed-distance.fit",
    TEST_DATA / "fitparse_rs__ZeroHeaderCrc.fit",
    DEMO_DATA / "workoutizer__with_nones.fit",
    DEMO_DATA.parent / "demo-weeks" / "fitparse__2013-02-06-12-11-14.fit",
]


def _definition_offsets(data: bytes, limit: int = 64) -> list[int]:
    """Offsets of field-size bytes in the first definition messages (a light FIT walk)."""
    # record header: bit 7 compressed timestamp, bit 6 definition, bit 5 developer data
    offsets: list[int] = []
    sizes: dict[int, int] = {}
    pos = data[0] if data else 0
    end = min(len(data) - 2, pos + int.from_bytes(data[4:8], "little"))
    while pos < end and len(offsets) < limit:
        header = data[pos]
        if header & 0x80:  # compressed timestamp data message
            pos += 1 + sizes.get((header >> 5) & 0x3, 0)
        elif header & 0x40:
            count = data[pos + 5] if pos + 5 < len(data) else 0
            fields = range(pos + 6, pos + 6 + 3 * count, 3)
            offsets += [f + 1 for f in fields if f + 1 < len(data)]
            size = sum(data[f + 1] for f in fields if f + 1 < len(data))
            pos += 6 + 3 * count
            if header & 0x20 and pos < len(data):
                dev = data[pos]
                size += sum(
                    data[pos + 1 + 3 * i + 1] for i in range(dev) if pos + 2 + 3 * i < len(data)
                )
                pos += 1 + 3 * dev
            sizes[header & 0x0F] = size
        else:
            pos += 1 + sizes.get(header & 0x0F, 0)
        if not sizes:
            break
    return offsets


def _bit_flips(data: bytearray, rng: random.Random) -> None:
    for _ in range(rng.randint(1, 32)):
        index = rng.randrange(len(data))
        data[index] ^= 1 << rng.randrange(8)


def _zero_block(data: bytearray, rng: random.Random) -> None:
    start = rng.randrange(max(1, len(data) - 512))
    data[start : start + 512] = bytes(min(512, len(data) - start))


def _truncate(data: bytearray, rng: random.Random) -> None:
    if len(data) > 1:
        del data[rng.randrange(1, len(data)) :]


def _duplicate_chunk(data: bytearray, rng: random.Random) -> None:
    start = rng.randrange(len(data))
    chunk = data[start : start + rng.randint(16, 4096)]
    at = rng.randrange(len(data))
    data[at:at] = chunk


def _bad_header_size(data: bytearray, rng: random.Random) -> None:
    data[0] = rng.choice([0, 1, 11, 13, 15, 64, 255])
    if rng.random() < 0.5:  # and a data size that promises more than there is
        data[4:8] = rng.randrange(2**32).to_bytes(4, "little")


def _huge_field_size(data: bytearray, rng: random.Random) -> None:
    offsets = _definition_offsets(bytes(data))
    for offset in rng.sample(offsets, min(len(offsets), rng.randint(1, 3))):
        data[offset] = 255
    if not offsets:
        _bit_flips(data, rng)


MUTATORS: list[Callable[[bytearray, random.Random], None]] = [
    _bit_flips,
    _zero_block,
    _truncate,
    _duplicate_chunk,
    _bad_header_size,
    _huge_field_size,
]


def corpus(sources: list[Path], count: int, seed: int) -> list[tuple[str, bytes]]:
    """`count` seeded mutants of `sources`, each named after its file, mutator and number."""
    rng = random.Random(seed)
    originals = [(p.stem, p.read_bytes()) for p in sources if p.stat().st_size > 16]
    mutants = []
    for index in range(count):
        stem, original = originals[index % len(originals)]
        mutate = MUTATORS[(index // len(originals)) % len(MUTATORS)]
        data = bytearray(original)
        mutate(data, rng)
        if rng.random() < 0.2 and len(data) > 16:  # sometimes a second kind of damage on top
            rng.choice(MUTATORS)(data, rng)
        mutants.append((f"{index:04d}-{mutate.__name__.strip('_')}-{stem}.fit", bytes(data)))
    return mutants


@contextmanager
def _timeout(seconds: int, name: str) -> Iterator[None]:
    def _expired(_signum: int, _frame: FrameType | None) -> None:
        raise TimeoutError(f"{name}: import took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _import_each(store: Store, folder: Path, mutants: list[tuple[str, bytes]]) -> ImportSummary:
    """Import the mutants one by one (a timeout each); the summaries merged."""
    total = ImportSummary()
    for name, data in mutants:
        path = folder / name
        path.write_bytes(data)
        with _timeout(PER_FILE_TIMEOUT_S, name):
            one = import_paths(store, [path], workers=1)
        for label, reason in one.failed + one.quarantined:
            assert reason and "\n" not in reason, f"{label}: reason is not one line: {reason!r}"
            assert "Traceback" not in reason
        total.imported += one.imported
        total.linked += one.linked
        total.present += one.present
        total.failed += one.failed
        total.skipped += one.skipped
        total.quarantined += one.quarantined
    return total


def _assert_nothing_implausible(store: Store) -> None:
    bounds = DEFAULT_BOUNDS
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [
        *store.activities().iter_rows(named=True),
        *store.report_activities(dt.date(1900, 1, 1), dt.date(2200, 1, 1)),
    ]
    for row in rows:
        start = row.get("start_utc") or row["start_local"]
        assert bounds.earliest - dt.timedelta(days=1) <= start <= now + bounds.future_slack
        for key in ("elapsed_s", "timer_s"):
            assert row[key] is None or 0 <= row[key] <= bounds.max_elapsed_s, row
        assert row["distance_m"] is None or 0 <= row["distance_m"] <= bounds.max_distance_m
        limit = bounds.max_foot_speed_mps if row["sport"] in FOOT_SPORTS else bounds.max_speed_mps
        speed = row.get("avg_speed_mps")
        assert speed is None or speed <= limit, row


def _fuzz(
    tmp_path: Path, sources: list[Path], count: int, capfd: pytest.CaptureFixture[str]
) -> None:
    mutants = corpus(sources, count, SEED)
    assert len({data for _name, data in mutants}) > 0.9 * count  # the mutants differ
    folder = tmp_path / "mutants"
    folder.mkdir()
    before = _rss_mb()
    with Store.open(tmp_path / "fuzz.duckdb") as store:
        summary = _import_each(store, folder, mutants)
        handled = (
            summary.imported + summary.linked + summary.present + len(summary.failed)
            + len(summary.skipped) + len(summary.quarantined)
        )  # fmt: skip
        assert handled >= count  # a multisport mutant may count several sessions
        assert summary.failed and summary.imported  # the corpus exercises both paths
        analyze(store)  # the analysis of whatever was let in must not fail either
        _assert_nothing_implausible(store)
    assert _rss_mb() - before < MAX_RSS_GROWTH_MB
    err = capfd.readouterr().err
    assert "Traceback" not in err and "panicked" not in err


def test_fuzz_corpus_imports_without_a_crash(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    _fuzz(tmp_path, SMALL, 150, capfd)


def _shared_small() -> list[Path]:
    folder = SHARED / "fit"
    if not folder.exists():
        return []
    return sorted(p for p in folder.rglob("*.fit") if p.stat().st_size <= 150_000)


@pytest.mark.slow
def test_wider_fuzz_corpus(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    shared = _shared_small()
    if not shared:
        pytest.skip(f"{SHARED / 'fit'} not available")
    sources = SMALL + sorted(DEMO_DATA.glob("*.fit")) + shared
    _fuzz(tmp_path, sources, 400, capfd)
