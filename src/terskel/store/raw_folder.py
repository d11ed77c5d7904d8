"""Original file bytes, content-addressed in a folder beside the store (issue 14).

`<store>.raw/ab/<sha256>.gz`: one gzip file per imported file, named by the SHA-256 of
the original bytes; `raw_files` keeps the hash and this relative path.

Why not in DuckDB: every checkpoint rewrites the last row group of each table a
transaction touched, and raw_files' 221 files of the bench store (26.8 MB) sit in one
row group. Inserting one 0.53 MB file and checkpointing cost 0.47 s CPU and grew the
1,092-run store by 13.4 MB (25x the file); gzip-compressing that file's bytes first
(0.23 MB) did not change the growth (13.4 MB) and still cost 0.34 s. A file per
payload costs one write of the compressed bytes (~0.45x the file), and a checkpoint
then only rewrites the small tables' last row groups and their indexes.

Crash safety: a payload is written to a temporary name, fsynced and renamed (then the
folder fsynced) *before* the transaction that records its row, so a row never points
at a missing or half-written file. A kill between the two leaves a file with no row:
harmless, the next import of those bytes finds the file complete and records it.

An import's batch goes through `put_many`: every file is written and fsynced by a few
threads at once (the kernel commits their fsyncs together; zlib and fsync release the
GIL), and each folder touched is fsynced once for the batch, not once per file; the
root once for the new bucket folders, not once per bucket. The same durability before
the rows' commit, with 290 files: 746 fsyncs before (one per file, its bucket and
each new bucket's root), 571 now (the files, then each batch's touched buckets once).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from isal import igzip

SUFFIX = ".gz"
# ISA-L's gzip (python-isal; any gzip reader reads it), level 2: the 290 shared FIT files
# (37.1 MB) to 19.05 MB in 0.10 s CPU, where zlib's level 1 made 18.43 MB in 0.47 s (an
# import's parent pays this on every file: ~4 % of a 290-file import's CPU); zlib level
# 6 makes 17.3 MB in 1.61 s
LEVEL = 2
# Threads that write and fsync a batch's files (their fsyncs overlap).
WRITERS = 4


class RawFolderError(Exception):
    """A payload that is missing or does not match its hash."""


def folder_of(store_path: Path) -> Path:
    """The raw folder of a store file: `<store>.raw` beside it."""
    return store_path.with_name(store_path.name + ".raw")


def relative_path(sha256: str) -> str:
    """Where a payload lives inside the folder, as recorded in raw_files.path."""
    return f"{sha256[:2]}/{sha256}{SUFFIX}"


class RawFolder:
    """The content-addressed payload folder of one store (only `Store` uses it)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, sha256: str, data: bytes) -> str:
        """Write the bytes durably (unless already there) and return their relative path."""
        return self.put_many([(sha256, data)])[sha256]

    def put_many(self, payloads: Iterable[tuple[str, bytes]]) -> dict[str, str]:
        """`put` for many payloads (sha256, bytes): each folder fsynced once, the files
        written and fsynced by a few threads at once; sha256 -> relative path."""
        paths: dict[str, str] = {}
        todo: dict[str, tuple[Path, bytes]] = {}
        for sha256, data in payloads:
            paths[sha256] = relative = relative_path(sha256)
            target = self.root / relative
            if relative not in todo and not target.exists():  # exists: complete
                todo[relative] = (target, data)
        if not todo:
            return paths
        folders = {target.parent for target, _ in todo.values()}
        self._ensure_dirs(folders)
        if len(todo) == 1:
            _write_file(*next(iter(todo.values())))
        else:
            with ThreadPoolExecutor(min(WRITERS, len(todo))) as writers:
                # list(): a failed write raises here, before any row is written
                list(writers.map(lambda item: _write_file(*item), todo.values()))
        for folder in sorted(folders):
            _fsync_dir(folder)
        return paths

    def get(self, relative: str, sha256: str) -> bytes:
        """The original bytes at `relative`, checked against their hash."""
        try:
            data = gzip.decompress((self.root / relative).read_bytes())
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise RawFolderError(f"{self.root / relative}: cannot read ({exc})") from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise RawFolderError(f"{self.root / relative}: bytes do not match {sha256}")
        return data

    def size(self) -> int:
        """Bytes the folder takes on disk (its files)."""
        if not self.root.exists():
            return 0
        return sum(p.stat().st_size for p in self.root.rglob(f"*{SUFFIX}"))

    def stored(self) -> set[str]:
        """Relative paths of every complete payload in the folder."""
        if not self.root.exists():
            return set()
        return {p.relative_to(self.root).as_posix() for p in self.root.glob(f"??/*{SUFFIX}")}

    def _ensure_dirs(self, folders: set[Path]) -> None:
        """Create these bucket folders (and the root); the parents fsynced once."""
        missing = [folder for folder in folders if not folder.is_dir()]
        if not missing:
            return
        created_root = not self.root.is_dir()
        for folder in missing:
            folder.mkdir(parents=True, exist_ok=True)
        if created_root:
            _fsync_dir(self.root.parent)
        _fsync_dir(self.root)


def _write_file(target: Path, data: bytes) -> None:
    """Compress to a temporary name beside `target`, fsync, rename into place."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    # mtime=0: the same bytes always give the same file
    packed = igzip.compress(data, compresslevel=LEVEL, mtime=0)
    with open(temporary, "wb") as handle:
        handle.write(packed)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)


def _fsync_dir(folder: Path) -> None:
    """Make a rename or a new name in `folder` durable (POSIX: fsync the directory)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
