"""One source for money figures: Six Figure's gaps and the Revenue roadmap state their
amounts on the same yearly base, each under the stated ceiling, overlaps named; the
Dashboard's revenue per hour is Six Figure's revenue per booked hour."""

from __future__ import annotations

from datetime import date

import pytest

from barberbi_desktop.engines.money_base import IDEA_SHARE, TOTAL_SHARE, base_summary
from barberbi_desktop.jobs.runner import run_engine
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import kpi_values, latest_run
from barberbi_desktop.ui.dashboard import TILES

AS_OF = date(2026, 11, 24)


def test_the_demo_shop_s_tabs_agree(shop: Database) -> None:
    for engine in ("kpi", "methodology", "revenue"):
        run_engine(shop, engine, AS_OF)
    method = latest_run(shop, "methodology")
    revenue = latest_run(shop, "revenue")
    assert method is not None and revenue is not None
    m_base, r_base = method.metrics["money_base"], revenue.metrics["money_base"]
    yearly = m_base["yearly_revenue_cents"]
    assert yearly and yearly == r_base["yearly_revenue_cents"]  # the same yearly base
    top = yearly * IDEA_SHARE
    stakes = [g["revenue_at_stake_yearly"] * 100 for g in method.metrics["gaps"]
              if g["revenue_at_stake_yearly"] is not None]  # fmt: skip
    gains = [r["gain_cents"] for r in revenue.metrics["roadmap"]]
    assert stakes and gains
    assert max(stakes) <= top + 1 and max(gains) <= top + 1  # no idea above the ceiling
    assert any(g["capped"] for g in method.metrics["gaps"])  # the demo's did exceed it
    # A gap at the ceiling says so: three gaps "worth about" the same sum read as measured.
    for g in method.metrics["gaps"]:
        if g["revenue_at_stake_yearly"] is not None:
            said = "Worth up to $" if g["capped"] else "Worth about $"
            assert said in g["recommendation"], g["recommendation"]
    for base in (m_base, r_base):
        assert base["combined_cents"] <= yearly * TOTAL_SHARE + 1
    # Overlaps are named both ways: utilisation and revenue per available hour.
    by_metric = {g["metric"]: g for g in method.metrics["gaps"]}
    util, per_open = by_metric["utilisation"], by_metric["revenue_per_available_hour"]
    assert util["area"] == per_open["area"] == "chair time"
    assert "Revenue per available hour" in util["overlaps_with"]
    deposits = [r for r in revenue.metrics["roadmap"] if r["kind"] == "no_show_deposits"]
    assert deposits and deposits[0]["area"] == "chair time"
    # "Revenue per hour" on the Dashboard is the booked-hour measure of Six Figure.
    values = kpi_values(shop, latest_run(shop, "kpi").run_id)
    kpi_hour = values.loc[(values["kpi"] == "revenue_per_hour") & (values["window"] == "90d"),
                          "value"].item()  # fmt: skip
    metrics = {x["name"]: x for p in method.metrics["principles"] for x in p["metrics"]}
    assert kpi_hour == pytest.approx(metrics["revenue_per_booked_hour"]["value"], rel=0.01)
    assert dict((k, label) for k, label, _ in TILES)["revenue_per_hour"] == (
        "Revenue per booked hour"
    )
    assert metrics["revenue_per_available_hour"]["label"] == "Revenue per available hour"


def test_combined_worth_counts_one_idea_per_area_and_stays_under_the_cap() -> None:
    base = base_summary(1_000_000, [("chair time", 200_000), ("chair time", 150_000),
                                    ("prices and ticket", 100_000)])  # fmt: skip
    assert base["combined_cents"] == 300_000  # 200k + 100k: the two chair ideas overlap
    capped = base_summary(1_000_000, [("a", 250_000), ("b", 250_000), ("c", 250_000)])
    assert capped["combined_cents"] == 500_000  # at most half the yearly revenue
    unknown = base_summary(None, [("a", 10)])
    assert unknown["yearly_revenue_cents"] is None and unknown["idea_ceiling_cents"] is None
