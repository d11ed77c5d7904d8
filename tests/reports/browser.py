"""Render an HTML report in headless Chromium and read back what the page measured."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import escape
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--run-all-compositor-stages-before-draw",
]  # fmt: skip

# Headless Chromium lays pages out at least 500 px wide, whatever --window-size says;
# so the report goes into an iframe of the wanted width (its viewport, media queries
# and all), in a wrapper page of that width.
WRAPPER = (
    '<!doctype html><html><body style="margin:0"><iframe srcdoc="{page}" '
    'style="border:0;width:{width}px;height:{height}px;display:block"></iframe>'
    '<pre id="probe"></pre></body></html>'
)
# Measures the laid-out report and writes the result as JSON into the wrapper's <pre>.
PROBE = """<script>
addEventListener('load', () => {
  const texts = [...document.querySelectorAll('svg.chart text')];
  const sizes = texts.map(t => parseFloat(getComputedStyle(t).fontSize)
                              * t.ownerSVGElement.getScreenCTM().a);
  const body = document.body.getBoundingClientRect();
  const wide = [...document.querySelectorAll('main *')].filter(e => {
    if (e.closest('.scroll')) return false;
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > innerWidth + 1;
  }).map(e => e.tagName + '.' + e.className).slice(0, 5);
  parent.document.getElementById('probe').textContent = JSON.stringify({
    width: innerWidth, scrollWidth: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
    bodyWidth: body.width, wide: wide,
    charts: document.querySelectorAll('svg.chart').length,
    chartTitles: [...document.querySelectorAll('svg.chart')].map(s => s.getAttribute('aria-label')),
    sessions: [...document.querySelectorAll('section.session')].map(s => s.id),
    links: [...document.querySelectorAll('a[href^="#session-"]')].map(a => a.getAttribute('href')),
    minChartFontPx: sizes.length ? Math.min(...sizes) : null,
    viewport: !!document.querySelector('meta[name=viewport]'),
  });
});
</script>"""


def chromium() -> str | None:
    """The Chromium binary, when installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def framed(html: str, width: int, height: int = 2000) -> str:
    """The report inside an iframe `width` px wide (see WRAPPER)."""
    return WRAPPER.format(page=escape(html, quote=True), width=width, height=height)


def probe_page(binary: str, html: str, width: int, tmp: Path) -> dict[str, Any]:
    """Lay the page out `width` px wide and return what the probe measured."""
    page = tmp / f"probe-{width}.html"
    page.write_text(framed(html.replace("</body>", PROBE + "</body>"), width), encoding="utf-8")
    result = subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={tmp / f'profile-{width}'}",
         f"--window-size={width},2000", "--virtual-time-budget=3000", "--dump-dom",
         page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    match = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.DOTALL)
    assert match, f"no probe output (exit {result.returncode}): {result.stderr[-500:]}"
    data: dict[str, Any] = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    return data


def screenshot(binary: str, html: str, width: int, height: int, png: Path, tmp: Path) -> None:
    """A PNG of the page laid out `width` px wide, its top `height` px."""
    page = tmp / f"shot-{width}.html"
    page.write_text(framed(html, width, height), encoding="utf-8")
    subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={tmp / f'shot-{width}'}",
         f"--window-size={width},{height}", f"--screenshot={png}", "--virtual-time-budget=3000",
         page.as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
