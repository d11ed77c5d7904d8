"""What an import's worker process runs: decode one file's bytes into a status.

Its own module so that a spawned worker imports the decoder and nothing of the
store: `terskel.jobs.ingest` brings DuckDB and the store's modules, ~0.2 s of CPU
in every worker before its first file.
"""

from __future__ import annotations

from dataclasses import dataclass

from terskel.sources.fit import FitError, FitFile, NotAnActivity, decode, sha256_of


@dataclass(frozen=True)
class Decoded:
    """A worker's answer for one input."""

    label: str
    sha256: str
    fit: FitFile | None
    status: str  # ok | skipped | failed
    message: str | None


def decode_job(label: str, data: bytes, fallback_tz: str | None) -> Decoded:
    """Decode one file; every failure becomes a status, never an exception."""
    sha = sha256_of(data)
    try:
        return Decoded(label, sha, decode(data, fallback_tz), "ok", None)
    except NotAnActivity as exc:
        return Decoded(label, sha, None, "skipped", str(exc))
    except FitError as exc:
        return Decoded(label, sha, None, "failed", str(exc))
    except Exception as exc:  # a decoder bug must not stop the batch; it is logged
        return Decoded(label, sha, None, "failed", f"decoder error: {_one_line(exc)}")
    except BaseException as exc:
        # A Rust panic is a BaseException and cannot be pickled back from a worker:
        # only a plain status may cross the pool. Ctrl-C and exits still propagate.
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        return Decoded(label, sha, None, "failed", f"decoder crash: {_one_line(exc)}")


def _one_line(exc: BaseException) -> str:
    """`Type: first line of the message`, for a log row and a summary line."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:200] if lines else ''}".rstrip(": ")
