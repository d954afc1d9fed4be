"""Invented visits in the BarberBI template layout, for tests and benchmarks that need many.

Names, emails and phones are made up from counters (555 numbers, example.com);
one row per visit, as the template is written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from barberbi_desktop.ingest.template import COLUMNS

SERVICES = [("Skin Fade", "cut", 45.0), ("Beard Trim", "beard", 25.0),
            ("Hot Towel Shave", "beard", 40.0), ("Kids Cut", "cut", 30.0),
            ("Colour", "colour", 70.0)]  # fmt: skip
BARBERS = ["Marco", "Dee", "Tomasz", "Ade", "Luis", "Kenji"]


def template_rows(rows: int, seed: int = 11, first_id: int = 1) -> pd.DataFrame:
    """``rows`` visits over two years ending 2026-11-20, in the template's columns."""
    rng = np.random.default_rng(seed)
    clients = max(rows // 5, 1)
    client = rng.integers(1, clients + 1, rows)
    service = rng.integers(0, len(SERVICES), rows)
    start = pd.Timestamp("2024-11-20 09:00") + pd.to_timedelta(
        rng.integers(0, 730, rows), unit="D"
    ) + pd.to_timedelta(rng.integers(0, 18, rows) * 30, unit="min")
    end = start + pd.Timedelta(minutes=45)
    status = rng.choice(["completed", "completed", "completed", "cancelled", "no_show"], rows)
    price = np.array([SERVICES[s][2] for s in service])
    cancelled = (start - pd.Timedelta(hours=20)).strftime("%Y-%m-%d %H:%M")
    frame = pd.DataFrame(
        {
            "appointment_id": [f"A-{i}" for i in range(first_id, first_id + rows)],
            "start": start.strftime("%Y-%m-%d %H:%M"),
            "end": end.strftime("%Y-%m-%d %H:%M"),
            "status": status,
            "client_id": [f"C-{c}" for c in client],
            "client_name": [f"Client {c}" for c in client],
            "client_email": [f"client{c}@example.com" for c in client],
            "client_phone": [f"(555) {200 + c // 10000 % 800:03d}-{c % 10000:04d}" for c in client],
            "barber": [BARBERS[b] for b in rng.integers(0, len(BARBERS), rows)],
            "service": [SERVICES[s][0] for s in service],
            "category": [SERVICES[s][1] for s in service],
            "price": [f"{p:.2f}" for p in price],
            "discount": "",
            "tax": [f"{p * 0.08:.2f}" for p in price],
            "tip": [f"{t:.2f}" for t in rng.integers(0, 12, rows).astype(float)],
            "payment_method": rng.choice(["card", "cash"], rows),
            "channel": rng.choice(["online", "phone", "walk-in"], rows),
            "booked_at": (start - pd.Timedelta(days=3)).strftime("%Y-%m-%d %H:%M"),
            "location": "Main",
            "cancelled_at": np.where(status == "cancelled", cancelled, ""),
        }
    )
    return frame[COLUMNS]


def write_template_rows(path: Path, rows: int, seed: int = 11, first_id: int = 1) -> Path:
    template_rows(rows, seed, first_id).to_csv(path, index=False)
    return path
