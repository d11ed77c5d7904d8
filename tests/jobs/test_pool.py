"""The import's decoding workers: started warm, before any file is sent."""

from __future__ import annotations

import sys

from terskel.jobs.pool import MIN_FILES_FOR_WORKERS, decoding_pool, wanted_workers


def _decoder_loaded(_: int) -> bool:
    return "terskel.jobs.decoding" in sys.modules


def test_a_warm_pool_starts_every_worker_with_the_decoder_loaded() -> None:
    with decoding_pool(2, warm=True) as pool:
        started = len(pool._processes)  # before any work is sent
        loaded = list(pool.map(_decoder_loaded, range(8)))
    assert started == 2
    assert all(loaded)


def test_a_cold_pool_starts_its_workers_with_the_first_files() -> None:
    with decoding_pool(2) as pool:
        assert not pool._processes


def test_workers_only_for_enough_files() -> None:
    assert wanted_workers(2, MIN_FILES_FOR_WORKERS) == 2
    assert wanted_workers(2, MIN_FILES_FOR_WORKERS - 1) == 0
    assert wanted_workers(1, 1000) == 0
    assert wanted_workers(3, None) == 3
