"""Garmin product numbers as the names the official FIT SDK gives them (2691 -> fr935).

The names are the SDK profile's `garmin_product` type, copied into
`data/garmin_products.json`: importing `garmin_fit_sdk` builds its whole profile
(~0.05 s CPU, a twentieth of a one-file nightly import) for this one lookup.
`tests/sources/test_garmin_products.py` checks the copy against the installed SDK;
after an SDK upgrade, write it again with `python -m terskel.sources.garmin_products`.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

TABLE = "garmin_products.json"


@cache
def product_names() -> dict[int, str]:
    """Product number -> the SDK's name, for Garmin and Dynastream devices."""
    text = resources.files("terskel").joinpath("data", TABLE).read_text(encoding="utf-8")
    return {int(number): name for number, name in json.loads(text).items()}


def sdk_product_names() -> dict[int, str]:
    """The same table read from the installed SDK's profile (slow: imports the SDK)."""
    from garmin_fit_sdk import Profile

    return {int(k): str(v) for k, v in Profile["types"]["garmin_product"].items()}


def write_table(path: Path) -> None:
    """Write the SDK's table to `path` (data/garmin_products.json), one product a line."""
    names = sdk_product_names()
    lines = [f"  {json.dumps(str(k))}: {json.dumps(names[k])}" for k in sorted(names)]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")


if __name__ == "__main__":
    write_table(Path(str(resources.files("terskel").joinpath("data", TABLE))))
