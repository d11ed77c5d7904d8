"""A tiny SVG chart kit: bars, stacked bars, lines, dots and shaded spans on labelled axes.

Hand-written instead of a plotting library so the HTML report starts fast and
stays self-contained. Coordinates are in a `width` x `height` viewBox; the page
scales the SVG to its column, so the default 400 units wide keeps 13-unit text
readable (>= 11 px) on a 390 px phone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

FONT = 13
Number = float | int
Fmt = Callable[[float], str]


# Tick steps for m:ss axes (seconds): what a runner reads off a watch.
TIME_STEPS = (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600)


def nice_step(span: float, count: int, steps: Sequence[float] = ()) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten, or one of `steps`)."""
    raw = span / max(count, 1)
    if raw <= 0:
        return 1.0
    if steps:
        return next((float(s) for s in steps if s >= raw), float(steps[-1]))
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def ticks(lo: float, hi: float, count: int = 4, steps: Sequence[float] = ()) -> list[float]:
    """Round values from lo to hi (both included when on the grid)."""
    step = nice_step(hi - lo, count, steps)
    first = math.ceil(lo / step - 1e-9) * step
    values = []
    value = first
    while value <= hi + step * 1e-9:
        values.append(round(value, 10))
        value += step
    return values


def value_range(
    values: Sequence[float], min_span: float = 0.0, zero: bool = False, pad: float = 0.08
) -> tuple[float, float]:
    """A y range around the values: padded, at least `min_span` wide, from 0 when `zero`."""
    if not values:
        return (0.0, 1.0)
    lo, hi = min(values), max(values)
    if zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        hi = hi + (hi - lo) * pad if hi > lo else 1.0
        return lo, hi
    span = max(hi - lo, min_span, 1e-9)
    middle = (lo + hi) / 2
    half = span / 2 * (1 + pad)
    return middle - half, middle + half


@dataclass
class Chart:
    """One chart: add marks, then `svg()`. X is categorical (`categories`) or numeric."""

    title: str
    width: int = 400
    height: int = 200
    y_label: str = ""
    y_fmt: Fmt = field(default=lambda v: f"{v:g}")
    reverse_y: bool = False
    y_steps: Sequence[float] = ()  # e.g. TIME_STEPS for m:ss axes
    y_range: tuple[float, float] | None = None
    min_span: float = 0.0
    zero: bool = False
    categories: list[str] = field(default_factory=list)
    x_range: tuple[float, float] | None = None
    x_ticks: Sequence[tuple[float, str]] = field(default_factory=list)
    x_label: str = ""
    css_class: str = "chart"
    _marks: list[Callable[[_Frame], str]] = field(default_factory=list)
    _ys: list[float] = field(default_factory=list)
    _legend: list[tuple[str, str]] = field(default_factory=list)

    # -- marks -------------------------------------------------------------

    def stacked_bars(self, stacks: Sequence[Sequence[tuple[str, float, str]]]) -> Chart:
        """One bar per category, stacked from (name, value, colour) parts."""
        self._ys.extend(sum(v for _, v, _ in parts) for parts in stacks)
        self._ys.append(0.0)

        def draw(f: _Frame) -> str:
            out = []
            for i, parts in enumerate(stacks):
                x0, x1 = f.band(i)
                base = 0.0
                for name, value, colour in parts:
                    if value <= 0:
                        continue
                    top, bottom = f.y(base + value), f.y(base)
                    tip = f"{self.categories[i]}: {name} {self.y_fmt(value)}"
                    out.append(_rect(x0, min(top, bottom), x1 - x0, abs(bottom - top), colour, tip))
                    base += value
            return "".join(out)

        self._marks.append(draw)
        return self

    def bars(self, values: Sequence[float | None], colour: str, name: str = "") -> Chart:
        """One plain bar per category."""
        return self.stacked_bars([[(name, v or 0.0, colour)] for v in values])

    def line(
        self,
        xs: Sequence[float],
        ys: Sequence[float | None],
        colour: str,
        name: str = "",
        dots: bool = False,
        width: float = 2.0,
        dash: str = "",
    ) -> Chart:
        """A line through the points (gaps at None); numeric x, or category index."""
        self._ys.extend(y for y in ys if y is not None)

        def draw(f: _Frame) -> str:
            runs: list[list[tuple[float, float]]] = [[]]
            for x, y in zip(xs, ys, strict=True):
                if y is None:
                    runs.append([])
                else:
                    runs[-1].append((f.x(x), f.y(y)))
            extra = f' stroke-dasharray="{dash}"' if dash else ""
            out = [
                f'<polyline fill="none" stroke="{colour}" stroke-width="{width}"{extra} '
                f'stroke-linejoin="round" points="{_points(run)}"/>'
                for run in runs
                if len(run) > 1
            ]
            if dots:
                out.append(_dots(f, xs, ys, colour, name, self._x_text))
            return "".join(out)

        self._marks.append(draw)
        return self

    def dots(
        self, xs: Sequence[float], ys: Sequence[float | None], colour: str, name: str = ""
    ) -> Chart:
        """Dots at the points (None skipped)."""
        self._ys.extend(y for y in ys if y is not None)
        self._marks.append(lambda f: _dots(f, xs, ys, colour, name, self._x_text))
        return self

    def columns(
        self, xs: Sequence[float], ys: Sequence[float], colour: str, tips: Sequence[str]
    ) -> Chart:
        """Thin bars from 0 at numeric x positions (e.g. a daily value under a curve)."""
        self._ys.extend(ys)
        self._ys.append(0.0)

        def draw(f: _Frame) -> str:
            width = max((f.right - f.left) / max(len(xs), 1) * 0.7, 1.0)
            return "".join(
                _rect(f.x(x) - width / 2, min(f.y(y), f.y(0)), width, abs(f.y(0) - f.y(y)),
                      colour, tip)
                for x, y, tip in zip(xs, ys, tips, strict=True)
                if y > 0
            )  # fmt: skip

        self._marks.append(draw)
        return self

    def span(self, x0: float, x1: float, colour: str = "#fdd0a2", tip: str = "") -> Chart:
        """A shaded vertical band from x0 to x1 (drawn under later marks)."""

        def draw(f: _Frame) -> str:
            left, right = f.x(x0), f.x(x1)
            return _rect(left, f.top, max(right - left, 1), f.bottom - f.top, colour, tip, 0.55)

        self._marks.append(draw)
        return self

    def hline(self, y: float, colour: str = "#999", label: str = "", below: bool = False) -> Chart:
        """A dashed reference line across the plot, its label above (or below) it."""

        def draw(f: _Frame) -> str:
            yy = f.y(y)
            ty = yy + FONT + 1 if below else yy - 3
            text = (
                f'<text x="{f.right - 2:.1f}" y="{ty:.1f}" text-anchor="end" fill="{colour}">'
                f"{escape(label)}</text>"
                if label
                else ""
            )
            return (
                f'<line x1="{f.left:.1f}" x2="{f.right:.1f}" y1="{yy:.1f}" y2="{yy:.1f}" '
                f'stroke="{colour}" stroke-dasharray="4 3"/>{text}'
            )

        self._marks.append(draw)
        return self

    def legend(self, items: Sequence[tuple[str, str]]) -> Chart:
        """(name, colour) swatches under the plot."""
        self._legend = list(items)
        return self

    # -- rendering ---------------------------------------------------------

    def svg(self) -> str:
        """The chart as one `<svg>` element."""
        frame = self._frame()
        body = [
            f'<text x="0" y="{FONT + 2}" font-weight="600">{escape(self.title)}</text>',
            self._y_axis(frame),
            *(mark(frame) for mark in self._marks),
            self._x_axis(frame),
            self._legend_svg(frame),
        ]
        return (
            f'<svg class="{self.css_class}" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {self.width} {frame.total_height}" role="img" '
            f'aria-label="{escape(self.title)}" font-family="system-ui,sans-serif" '
            f'font-size="{FONT}" fill="#333">' + "".join(body) + "</svg>"
        )

    def _frame(self) -> _Frame:
        lo, hi = self.y_range or value_range(self._ys, self.min_span, self.zero)
        y_ticks = ticks(lo, hi, steps=self.y_steps)
        label_w = max((len(self.y_fmt(t)) for t in y_ticks), default=2) * FONT * 0.6
        left = round(label_w + (FONT + 8 if self.y_label else 6))
        top = FONT + 14
        bottom = self.height - (FONT + 10) - (FONT + 4 if self.x_label else 0)
        legend_rows = _legend_rows(self._legend, self.width - left)
        total = self.height + legend_rows * (FONT + 8)
        return _Frame(
            left, self.width - 8, top, bottom, lo, hi, self.reverse_y,
            len(self.categories), self.x_range, total,
        )  # fmt: skip

    def _x_text(self, x: float) -> str:
        if self.categories:
            return self.categories[int(x)] if 0 <= int(x) < len(self.categories) else ""
        return f"{x:g}"

    def _y_axis(self, f: _Frame) -> str:
        out = []
        for tick in ticks(f.lo, f.hi, steps=self.y_steps):
            y = f.y(tick)
            out.append(
                f'<line x1="{f.left}" x2="{f.right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e6e6"/>'
                f'<text x="{f.left - 4}" y="{y + FONT * 0.35:.1f}" text-anchor="end">'
                f"{escape(self.y_fmt(tick))}</text>"
            )
        if self.y_label:
            middle = (f.top + f.bottom) / 2
            out.append(
                f'<text transform="translate({FONT - 1},{middle:.1f}) rotate(-90)" '
                f'text-anchor="middle" fill="#666">{escape(self.y_label)}</text>'
            )
        return "".join(out)

    def _x_axis(self, f: _Frame) -> str:
        out = [
            f'<line x1="{f.left}" x2="{f.right}" y1="{f.bottom}" y2="{f.bottom}" stroke="#888"/>'
        ]
        base = f.bottom + FONT + 4
        if self.categories:
            step = max(1, math.ceil(len(self.categories) * FONT * 3.2 / (f.right - f.left)))
            for i, name in enumerate(self.categories):
                if i % step == 0:
                    x0, x1 = f.band(i)
                    out.append(_label((x0 + x1) / 2, base, name))
        for value, name in self.x_ticks:
            out.append(_label(f.x(value), base, name))
        if self.x_label:
            out.append(
                f'<text x="{(f.left + f.right) / 2:.1f}" y="{base + FONT + 3}" '
                f'text-anchor="middle" fill="#666">{escape(self.x_label)}</text>'
            )
        return "".join(out)

    def _legend_svg(self, f: _Frame) -> str:
        if not self._legend:
            return ""
        out, x, y = [], float(f.left), self.height + 4
        for name, colour in self._legend:
            w = _legend_width(name)
            if x + w > self.width and x > f.left:
                x, y = float(f.left), y + FONT + 8
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="11" height="11" fill="{colour}"/>'
                f'<text x="{x + 15:.1f}" y="{y + 10:.1f}">{escape(name)}</text>'
            )
            x += w
        return "".join(out)


@dataclass(frozen=True)
class _Frame:
    """The plot area and the scales mapping data to it."""

    left: float
    right: float
    top: float
    bottom: float
    lo: float
    hi: float
    reverse: bool
    bands: int
    x_range: tuple[float, float] | None
    total_height: int

    def y(self, value: float) -> float:
        share = (value - self.lo) / (self.hi - self.lo) if self.hi > self.lo else 0.5
        if self.reverse:
            share = 1 - share
        return self.bottom - share * (self.bottom - self.top)

    def band(self, index: int) -> tuple[float, float]:
        width = (self.right - self.left) / max(self.bands, 1)
        return self.left + index * width + width * 0.15, self.left + (
            index + 1
        ) * width - width * 0.15

    def x(self, value: float) -> float:
        if self.bands:
            x0, x1 = self.band(0)
            width = (self.right - self.left) / self.bands
            return (x0 + x1) / 2 + value * width
        lo, hi = self.x_range or (0.0, 1.0)
        share = (value - lo) / (hi - lo) if hi > lo else 0.5
        return self.left + share * (self.right - self.left)


def _rect(
    x: float, y: float, w: float, h: float, colour: str, tip: str, opacity: float = 1.0
) -> str:
    alpha = f' fill-opacity="{opacity}"' if opacity < 1 else ""
    title = f"<title>{escape(tip)}</title>" if tip else ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}"{alpha}>'
        f"{title}</rect>"
    )


def _dots(
    f: _Frame,
    xs: Sequence[float],
    ys: Sequence[float | None],
    colour: str,
    name: str,
    x_text: Callable[[float], str],
) -> str:
    return "".join(
        f'<circle cx="{f.x(x):.1f}" cy="{f.y(y):.1f}" r="4" fill="{colour}">'
        f"<title>{escape(f'{x_text(x)} {name}'.strip())}</title></circle>"
        for x, y in zip(xs, ys, strict=True)
        if y is not None
    )


def _points(run: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in run)


def _label(x: float, y: float, text: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{escape(text)}</text>'


def _legend_width(name: str) -> float:
    return 15 + len(name) * FONT * 0.6 + 12


def _legend_rows(items: list[tuple[str, str]], room: float) -> int:
    if not items:
        return 0
    rows, x = 1, 0.0
    for name, _ in items:
        w = _legend_width(name)
        if x + w > room and x > 0:
            rows, x = rows + 1, 0.0
        x += w
    return rows


def mss(seconds: float) -> str:
    """Seconds as m:ss (pace and duration axes)."""
    total = round(seconds)
    return f"{total // 60}:{total % 60:02d}"
