"""A process that imports terskel once, then forks one child per command run.

A fresh interpreter takes seconds to import terskel's command line; the fault
tests run dozens of commands, each to be killed at a commit. The zygote imports
everything but computes nothing (no polars or DuckDB thread pool exists yet, so
forking is safe), then for each request on stdin forks a child that runs the CLI
and answers with the child's exit status (negative: the signal that killed it).

Request (one JSON line): {"args": ["--db", "...", "import", "..."], "env": {...}}
Answers (JSON lines):    {"pid": 1234} at once, {"rc": 0} when the child has ended
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    """Import once, then serve fork requests until stdin closes."""
    import terskel.cli
    import terskel.jobs.sync.garmin
    import terskel.jobs.sync.strava

    terskel.cli.app  # noqa: B018  (builds the app: every command module imported)
    from tests.faults import launch  # noqa: F401

    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request["args"], request["env"])
        print(json.dumps({"pid": pid}), flush=True)
        status = os.waitpid(pid, 0)[1]
        rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(json.dumps({"rc": rc}), flush=True)


def _child(args: list[str], env: dict[str, str]) -> None:
    """Run one command in the forked child and exit with its code."""
    os.environ.update(env)
    out = os.open(env.get("FAULT_OUTPUT", os.devnull), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(out, 1)
    os.dup2(out, 2)
    sys.argv = ["terskel", *args]
    code = 0
    try:
        from tests.faults import launch

        launch.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 99
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
