"""`terskel --help` and `--version` answered from what typer printed last time.

typer and the rich help renderer cost ~0.4 s to import and lay out, five times the
interpreter's start. Their output for these few argument lists depends only on the
code and on the terminal: the first run records stdout and the exit code, keyed on
every source file of terskel, typer, click and rich, the interpreter, the arguments,
the terminal (ttys, size, encoding) and every environment variable those libraries
read; a later run with the same key prints the recording and never imports typer.
Any difference in the key means a miss: typer renders and the record is replaced.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

# argument lists whose output is a pure function of the key, and their record's name
CACHEABLE = {(): "no-args", ("--help",): "help", ("-h",): "h", ("--version",): "version"}
# what typer, click and rich read from the environment (checked in their sources)
ENV_NAMES = {
    "COLORTERM", "COLUMNS", "FORCE_COLOR", "GITHUB_ACTIONS", "JUPYTER_COLUMNS",
    "JUPYTER_LINES", "LINES", "NO_COLOR", "PY_COLORS", "TERM", "TERMINAL_WIDTH",
    "TTY_COMPATIBLE", "TTY_INTERACTIVE", "UNICODE_VERSION", "LANG", "LANGUAGE", "LC_ALL",
    "LC_CTYPE", "LC_MESSAGES", "PYTHONIOENCODING", "PYTHONUTF8", "DATABRICKS_RUNTIME_VERSION",
}  # fmt: skip
ENV_PREFIXES = ("TERSKEL", "TYPER", "_TYPER", "RICH", "CLICK")
LIBRARIES = ("terskel", "typer", "rich")  # click is vendored inside typer


def cache_dir() -> str:
    """Where records live: the platform's cache dir for terskel (TERSKEL_CACHE_DIR wins)."""
    if os.environ.get("TERSKEL_CACHE_DIR"):
        return os.environ["TERSKEL_CACHE_DIR"]
    import platformdirs

    return os.path.join(platformdirs.user_cache_dir("terskel"), "cli-output")


def _record_path(args: list[str]) -> str | None:
    name = CACHEABLE.get(tuple(args))
    if name is None or any(k.endswith("_COMPLETE") for k in os.environ):  # shell completion
        return None
    return os.path.join(cache_dir(), f"{name}.txt")


def _sources_stamp() -> list[tuple[str, int, int]]:
    """(path, mtime ns, size) of every .py file of the libraries that render the output."""
    from importlib.util import find_spec

    stamp: list[tuple[str, int, int]] = []
    for library in LIBRARIES:
        spec = find_spec(library)
        for folder in spec.submodule_search_locations or [] if spec else []:
            for root, dirs, files in os.walk(folder):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                for name in sorted(files):
                    if name.endswith(".py"):
                        path = os.path.join(root, name)
                        st = os.stat(path)
                        stamp.append((path, st.st_mtime_ns, st.st_size))
    return stamp


def _terminal() -> tuple[list[bool], tuple[int, int] | None, str | None]:
    ttys = [os.isatty(fd) for fd in (0, 1, 2)]
    size = None
    for fd in (0, 1, 2):  # rich's order
        try:
            size = tuple(os.get_terminal_size(fd))
            break
        except OSError:
            continue
    return ttys, size, getattr(sys.stdout, "encoding", None)  # type: ignore[return-value]


def key(args: list[str]) -> str:
    """A digest of everything the recorded output may depend on."""
    from hashlib import blake2b

    env = sorted(
        (k, v) for k, v in os.environ.items() if k in ENV_NAMES or k.startswith(ENV_PREFIXES)
    )
    main = sys.modules.get("__main__")
    spec = getattr(getattr(main, "__spec__", None), "name", None)  # click's program name
    parts: list[Any] = [sys.version, sys.executable, sys.argv[0], spec, args, env]
    parts += [_terminal(), _sources_stamp()]
    return blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def replay(args: list[str]) -> int | None:
    """Print the record for `args` and return its exit code; None on a miss."""
    path = _record_path(args)
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8", newline="") as file:
            stored_key, code, output = file.read().split("\n", 2)
    except (OSError, ValueError):
        return None
    if stored_key != key(args) or not code.isdigit():
        return None
    sys.stdout.write(output)
    sys.stdout.flush()
    return int(code)


class _Tee:
    """A stream that writes through and keeps what went by; any other use spoils it."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.parts, self.spoiled = stream, list[str](), False

    def write(self, text: str) -> int:
        written = self.stream.write(text)  # raises on bytes, as click's probe expects
        self.parts.append(text)
        return written

    def __getattr__(self, name: str) -> Any:
        if name in ("buffer", "writelines", "detach"):  # bytes or paths we do not follow
            self.spoiled = True
        return getattr(self.stream, name)


@contextmanager
def recording(args: list[str]) -> Iterator[None]:
    """Run the block (the real CLI) and keep its stdout for `replay` when it may be kept."""
    path = _record_path(args)
    if path is None or sys.stdout is None or sys.stderr is None:
        yield
        return
    out, err = _Tee(sys.stdout), _Tee(sys.stderr)
    sys.stdout, sys.stderr = out, err
    code: object = None
    try:
        yield
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code
        raise
    finally:
        sys.stdout, sys.stderr = out.stream, err.stream
        if isinstance(code, int) and not (out.spoiled or err.spoiled or err.parts):
            _save(path, f"{key(args)}\n{code}\n{''.join(out.parts)}")


def _save(path: str, text: str) -> None:
    """Write the record atomically; a cache that cannot be written is no error."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = f"{path}.{os.getpid()}"
        with open(partial, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.replace(partial, path)
    except OSError:
        pass
