"""The copied product names are the installed FIT SDK's, and the decoder uses them."""

from __future__ import annotations

from terskel.sources.fit import _product_name
from terskel.sources.garmin_products import product_names, sdk_product_names


def test_the_copy_is_the_installed_sdks_table() -> None:
    # on a failure after an SDK upgrade: python -m terskel.sources.garmin_products
    assert product_names() == sdk_product_names()


def test_garmin_numbers_become_names_and_others_stay() -> None:
    assert _product_name({"manufacturer": "garmin", "product": 2691}) == "fr935"
    assert _product_name({"manufacturer": "dynastream", "garmin_product": 1}) == "hrm1"
    assert _product_name({"manufacturer": "garmin", "product": 999_999}) == "999999"
    assert _product_name({"manufacturer": "wahoo", "product": 2691}) == "2691"
