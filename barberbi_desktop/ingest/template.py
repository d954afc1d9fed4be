"""The BarberBI import template: the way in for platforms without a profile."""

from __future__ import annotations

import csv
from pathlib import Path

from barberbi_desktop.ingest.profiles import profiles

COLUMNS = [
    "appointment_id", "start", "end", "status", "client_id", "client_name", "client_email",
    "client_phone", "barber", "service", "category", "price", "discount", "tax", "tip",
    "payment_method", "channel", "booked_at", "location", "cancelled_at",
]  # fmt: skip

EXAMPLE = [
    "A-1001", "2026-11-20 10:00", "2026-11-20 10:45", "completed", "C-17", "Sam Rivera",
    "sam@example.com", "(555) 201-3344", "Marco", "Skin Fade", "cut", "45.00", "", "3.60",
    "8.00", "card", "online", "2026-11-14 18:32", "Main", "",
]  # fmt: skip


def write_template(path: Path) -> Path:
    """Save the template (header and one example row) as UTF-8 CSV that Excel opens cleanly."""
    assert list(profiles()["barberbi"].columns) == COLUMNS, "template profile out of step"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerow(EXAMPLE)
    return path
