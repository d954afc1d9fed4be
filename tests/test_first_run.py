"""The first hour on a brand-new shop: the shop's first location saved before any
import (so the first import lands there, in its zone), refused with one sentence when
wrong, and the shop's name shown from then on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from barberbi_desktop.errors import InputError
from barberbi_desktop.storage import shop_config as config
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.summary import has_appointments, shop_summary
from tests.import_helpers import one, query


def test_the_first_import_lands_at_the_saved_location_in_its_zone(empty_db: Database) -> None:
    loc = config.set_up_shop(empty_db, "Corner Cuts", "Main", "Europe/Lisbon", "eur", None)
    assert not has_appointments(empty_db)
    report = one(empty_db, "fresha.csv")
    assert report.status == "landed", report.reason
    assert has_appointments(empty_db)
    assert query(empty_db, "SELECT id, name, timezone, currency FROM locations") == [
        (loc, "Main", "Europe/Lisbon", "EUR")
    ]
    # Fresha's first row: "02 Nov 2026, 10:00am" at the shop, which is UTC+0 in November.
    (first,) = query(empty_db, "SELECT min(start_utc) FROM appointments WHERE location_id = ?",
                     loc)[0]  # fmt: skip
    assert datetime.fromtimestamp(first, UTC) == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    summary = shop_summary(empty_db)
    assert summary.shop_name == "Corner Cuts" and summary.locations == 1


def test_a_location_named_like_the_shop_when_none_is_given(empty_db: Database) -> None:
    config.set_up_shop(empty_db, "  Fade Factory ", "", "America/Chicago", "USD", None)
    assert config.load_locations(empty_db)["name"].tolist() == ["Fade Factory"]
    config.add_location(empty_db, "Uptown", "America/Chicago", "usd", None)
    assert shop_summary(empty_db).locations == 2


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (("", "", "UTC", "USD"), "Type the shop's name first."),
        (("Cuts", "", "Mars/Olympus", "USD"), "'Mars/Olympus' is not a time zone"),
        (("Cuts", "", "UTC", "dollars"), "a currency is a three-letter code"),
        (("Cuts", "x" * 121, "UTC", "USD"), "at most 120 characters"),
    ],
)
def test_bad_input_is_refused_with_one_sentence_and_nothing_saved(
    empty_db: Database, args: tuple[str, ...], sentence: str
) -> None:
    with pytest.raises(InputError, match=sentence) as caught:
        config.set_up_shop(empty_db, *args, None)
    assert str(caught.value).count(". ") == 0 and str(caught.value).endswith(".")
    assert query(empty_db, "SELECT count(*) FROM locations") == [(0,)]
    assert query(empty_db, "SELECT count(*) FROM settings WHERE key = 'shop_name'") == [(0,)]


def test_a_second_location_of_the_same_name_is_refused(empty_db: Database) -> None:
    config.add_location(empty_db, "Main", "UTC", "USD", None)
    with pytest.raises(InputError, match="'main' already exists"):
        config.add_location(empty_db, "main", "UTC", "USD", None)
    assert query(empty_db, "SELECT count(*) FROM locations") == [(1,)]
