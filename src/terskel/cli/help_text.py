"""A fix to typer's rich help pages, applied once when the app is built.

typer keeps the single line breaks of a docstring's later paragraphs, so help text
is wrapped where the source was, not at the terminal's width; here paragraphs are
re-flowed (blank lines still separate them). (typer 0.28, pinned in pyproject.toml,
already shows no `<bool>` type after a flag; 0.29 needed a patch for that too.)

typer's help renderer (rich_utils, which loads rich.markdown and pygments: ~0.15 s)
is patched when a help page is first formatted, so commands that print no help
never import it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from typer import core

_SINGLE_BREAK = re.compile(r"(?<!\n)\n(?!\n)")


def _reflow(paragraphs: list[str], markup_mode: Any) -> str:
    """Paragraphs joined by blank lines, each one line that rich wraps to the width."""
    return "\n\n".join(_SINGLE_BREAK.sub(" ", p) for p in paragraphs)


def _patch_renderer() -> None:
    from typer import rich_utils

    if hasattr(rich_utils, "_fix_linebreaks"):
        rich_utils._fix_linebreaks = _reflow


def _renderer_patched_first(format_help: Callable[..., None]) -> Callable[..., None]:
    """`format_help` that patches the help renderer before it runs."""

    def patched(self: Any, ctx: Any, formatter: Any) -> None:
        _patch_renderer()
        format_help(self, ctx, formatter)

    patched.__wrapped__ = format_help  # type: ignore[attr-defined]
    return patched


def install() -> None:
    """Patch typer's help rendering (idempotent; skipped if typer changes these names)."""
    for cls in (core.TyperCommand, core.TyperGroup):
        if not hasattr(cls.format_help, "__wrapped__"):
            cls.format_help = _renderer_patched_first(cls.format_help)  # type: ignore[method-assign]
