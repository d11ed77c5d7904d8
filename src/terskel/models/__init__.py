"""Threshold-model templates: TOML data shipped in this package, validated with pydantic
(frozen dataclasses checked by terskel/validated.py: pydantic loads only for a template
not validated before).

A template is chosen by name in `[report] template`; `[report.overrides]` replaces
single fields, and `[report.templates.NAME]` defines a template of one's own
(with `base = "norwegian-singles"` it starts from a shipped one).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from terskel.validated import FORBID, Invalid, remembered

if TYPE_CHECKING:  # lent by terskel.validated when pydantic reads the annotations
    from annotated_types import Ge, Gt, Le

__all__ = ["SHIPPED", "Band", "Template", "TemplateError", "load_template", "shipped_template"]

SHIPPED = ("norwegian-elite", "norwegian-singles", "sweet-spot", "polarized")
# Fields multiplied by target_weekly_km / reference_weekly_km.
SCALED = ("weekly_km", "threshold_dose_min", "hard_minutes")


class TemplateError(Exception):
    """A template cannot be found or is not valid; the message is one line."""


@dataclass(frozen=True)
class Band:
    """A target range; either end may be open, and an empty band switches a check off."""

    __pydantic_config__ = FORBID
    min: float | None = None
    max: float | None = None

    @property
    def enabled(self) -> bool:
        """True when the band sets any limit."""
        return self.min is not None or self.max is not None

    def scaled(self, factor: float) -> Band:
        """Both ends multiplied by `factor`."""
        return Band(
            min=None if self.min is None else self.min * factor,
            max=None if self.max is None else self.max * factor,
        )


@dataclass(frozen=True, kw_only=True)
class Template:
    """One threshold-model template: every number the weekly checks compare against."""

    __pydantic_config__ = FORBID
    name: str
    description: str = ""
    reference_weekly_km: Annotated[float, Gt(0)]
    weekly_km: Band
    threshold_sessions: Band
    double_threshold_days: Band
    double_min_gap_h: Annotated[float, Ge(0)] = 3.0
    threshold_dose_min: Band = Band()
    threshold_dose_share: Band = Band()
    session_rep_min: Band = Band()
    intensity_control_share: Band = Band()
    rep_drift_pct: Band = Band()
    easy_low_share: Band = Band()
    easy_scope: Literal["easy", "all"] = "easy"
    hard_minutes: Band = Band()
    x_element: Band = Band()
    long_run_km: Band = Band()
    long_run_min: Band = Band()
    flatness_pct: Band = Band()
    polarity_above_share: Band = Band()
    polarity_weeks: Annotated[int, Ge(1), Le(12)] = 4
    near: Annotated[float, Ge(0), Le(1)] = 0.10

    def scaled(self, factor: float) -> Template:
        """The template with its volume-bound fields scaled by `factor`."""
        update = {name: getattr(self, name).scaled(factor) for name in SCALED}
        return dataclasses.replace(self, **update)


def shipped_template(name: str) -> dict[str, Any]:
    """The raw fields of a template shipped with terskel."""
    import tomllib
    from importlib import resources

    if name not in SHIPPED:
        raise TemplateError(f"unknown template {name!r} (shipped: {', '.join(SHIPPED)})")
    text = resources.files("terskel.models").joinpath(f"{name}.toml").read_text("utf-8")
    return tomllib.loads(text)


def load_template(
    name: str,
    overrides: dict[str, Any] | None = None,
    custom: dict[str, dict[str, Any]] | None = None,
) -> Template:
    """The named template (custom ones first), with `overrides` applied, validated."""
    fields = _raw(name, custom or {}, seen=())
    fields.update(overrides or {})
    try:
        return remembered(Template, fields)
    except Invalid as exc:
        raise TemplateError(f"template {name!r}: {_describe(exc)}") from exc


def _raw(name: str, custom: dict[str, dict[str, Any]], seen: tuple[str, ...]) -> dict[str, Any]:
    """A template's fields, following `base` chains of custom templates."""
    if name in seen:
        raise TemplateError(f"template {name!r}: its base chain loops ({' -> '.join(seen)})")
    if name not in custom:
        return shipped_template(name)
    own = dict(custom[name])
    base = own.pop("base", None)
    fields = _raw(str(base), custom, (*seen, name)) if base else {}
    fields.update(own)
    fields["name"] = name
    return fields


def _describe(exc: Invalid) -> str:
    """The first validation error as 'field: problem'."""
    where = ".".join(str(part) for part in exc.loc) or "template"
    unknown = exc.kind in ("extra_forbidden", "unexpected_keyword_argument")
    return f"{where}: {'unknown field' if unknown else exc.msg}"
