"""A demo shop written out as Fresha's appointment list, for tests that need a shop
built only through the importer with only the fields a Fresha export has.

The layout is Fresha's (`shared/EXPORT_FORMATS.md`): its eighteen columns in order,
dates like ``02 Feb 2026, 1:46pm`` in the shop's local time with no zone, the slot as
``15:30:00-16:00:00``, durations like ``1h 30min``, statuses New / Confirmed /
Completed / Cancelled / No Show, the client as a name only, ``Cancelled date`` only on
cancelled bookings, and the trailing ``""`` line Fresha writes.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from barberbi_desktop.demo import catalog
from barberbi_desktop.demo.simulate import DemoShop

HEADER = [
    "Appt. ref.", "Client", "Team member", "Status", "Created date", "Scheduled date",
    "Cancelled date", "Category", "Service", "Duration (mins)", "Appt. slot", "Created by",
    "Cancelled by", "Location", "Net sales", "Cancellation reason", "Fees charged",
    "Upfront payments",
]  # fmt: skip
STATUS = {"booked": "New", "confirmed": "Confirmed", "completed": "Completed",
          "cancelled": "Cancelled", "no_show": "No Show"}  # fmt: skip


def _when(t: pd.Series) -> pd.Series:
    """``02 Feb 2026, 1:46pm``; blank where unknown."""
    hour = (t.dt.hour % 12).replace(0, 12).astype("Int64").astype(str)
    half = np.where(t.dt.hour < 12, "am", "pm")
    text = t.dt.strftime("%d %b %Y, ") + hour + t.dt.strftime(":%M") + half
    return text.where(t.notna(), "")


def _duration(minutes: pd.Series) -> pd.Series:
    h, m = minutes // 60, minutes % 60
    return np.where(h > 0, h.astype(str) + "h " + m.astype(str) + "min", m.astype(str) + "min")


def write_fresha(shop: DemoShop, path: Path) -> Path:
    """One location's appointments (the demo shop has one) as a Fresha export."""
    a = shop.appointments.sort_values("appointment_id")
    tz = str(shop.locations["timezone"].iloc[0])
    local = {c: a[c].dt.tz_convert(tz).dt.tz_localize(None) for c in
             ("start", "end", "booked_at", "cancelled_at")}  # fmt: skip
    names = shop.clients.set_index("client_id")["display_name"]
    staff = shop.barbers.set_index("barber_id")["name"]
    items = shop.sale_items[shop.sale_items["kind"] == "service"]
    net = (items["unit_price_cents"] * items["quantity"] - items["discount_cents"]).groupby(
        items["appointment_id"]
    ).sum()
    menu = [catalog.MENU[int(i)] for i in a["service"]]
    cents = a["appointment_id"].map(net).fillna(0).astype(np.int64)
    gone = a["status"] == "cancelled"
    frame = pd.DataFrame(
        {
            "Appt. ref.": "#" + a["appointment_id"].astype(str),
            "Client": a["client_id"].map(names).to_numpy(),
            "Team member": a["barber_id"].map(staff).to_numpy(),
            "Status": a["status"].map(STATUS).to_numpy(),
            "Created date": _when(local["booked_at"]).to_numpy(),
            "Scheduled date": _when(local["start"]).to_numpy(),
            "Cancelled date": _when(local["cancelled_at"]).where(gone, "").to_numpy(),
            "Category": [m.category.title() for m in menu],
            "Service": [m.name for m in menu],
            "Duration (mins)": _duration(a["dur"].astype(int)),
            "Appt. slot": (
                local["start"].dt.strftime("%H:%M:%S") + "-" + local["end"].dt.strftime("%H:%M:%S")
            ).to_numpy(),
            "Created by": np.where(a["channel"] == "online", "Client", "Front desk"),
            "Cancelled by": np.where(gone, "Client", ""),
            "Location": str(shop.locations["name"].iloc[0]),
            "Net sales": [f"{c / 100:.2f}" for c in cents],
            "Cancellation reason": np.where(gone, "Client cancelled", ""),
            "Fees charged": "0.00",
            "Upfront payments": "0.00",
        }
    )
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(frame[HEADER].itertuples(index=False))
        fh.write('""\n')
    return path
