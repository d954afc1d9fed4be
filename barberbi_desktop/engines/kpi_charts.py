"""The series behind the Dashboard's three charts, computed with the KPIs.

- Today hour by hour against the same weekday's recent history (the band the
  "today is slow" alert uses, drawn as a curve).
- The last 12 weeks of revenue and the next four with a forecast band. The
  forecast is deliberately simple (the mean of the last four weeks) and its
  band is honest by construction: the 10th to 90th percentile of that same
  method's own errors when it is replayed over the shop's history at each
  horizon. The replay's hit rate is reported with the band.
- Visits and revenue per barber over the last seven days.

Every series is plain lists, stored with the KPI run, so the Dashboard reads
and draws them without computing anything.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

SHOWN_WEEKS = 12
AHEAD_WEEKS = 4
MEAN_OF = 4  # weeks averaged by the forecast
MIN_ERRORS = 6  # replayed forecasts needed before a band is drawn
MAX_WEEKS = 26
TOP_BARBERS = 20  # a chain has hundreds; the chart shows the busiest and sums the rest


def today_curve(
    a: pd.DataFrame, as_of: pd.Timestamp, now: pd.Timestamp, weeks: int
) -> dict[str, Any]:
    """Cumulative revenue by hour today and the 10/50/90th percentile of the same
    weekday over the last ``weeks`` weeks (visits without a time of day left out)."""
    done = a[(a["status"] == "completed") & _clock(a)]
    days = [as_of - pd.Timedelta(weeks=k) for k in range(0, weeks + 1)]
    done = done[done["day"].isin(days)]
    done = done[(done["day"] != as_of) | (done["start"] <= now)]  # today: what has started
    if done.empty:
        return {"available": False, "reason": "no completed visits on this weekday yet"}
    if done.loc[done["day"] != as_of, "day"].nunique() < 3:
        return {"available": False, "reason": "fewer than three past days of this weekday"}
    hour = ((done["start"] - done["day"]) / pd.Timedelta(hours=1)).astype(int)
    first, last = int(hour.min()), int(hour.max()) + 1
    hours = list(range(first, last + 1))
    by_day = (
        done.assign(hour=hour, revenue=done["revenue"].astype(float))
        .groupby(["day", "hour"])["revenue"]
        .sum()
        .unstack(fill_value=0.0)
    )
    by_day = by_day.reindex(index=days, columns=range(first, last + 1), fill_value=0.0)
    cumulative = by_day.cumsum(axis=1)
    past = cumulative.iloc[1:]
    low, mid, high = np.percentile(past.to_numpy(), [10, 50, 90], axis=0)
    now_hour = (now - as_of) / pd.Timedelta(hours=1)
    today = [
        float(v) if h <= now_hour else None for h, v in zip(hours, cumulative.iloc[0], strict=True)
    ]
    return {
        "available": True,
        "hours": hours,
        "today": today,
        "low": low.tolist(),
        "mid": mid.tolist(),
        "high": high.tolist(),
    }


def _clock(a: pd.DataFrame) -> pd.Series:
    """Visits with a time of day (an hour-by-hour chart cannot place the others)."""
    return a["time_known"] if "time_known" in a else pd.Series(True, index=a.index)


def weekly_forecast(a: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, Any]:
    """Revenue of the last 12 seven-day blocks ending on ``as_of``, and four ahead."""
    done = a[(a["status"] == "completed") & (a["day"] <= as_of)]
    age = ((as_of - done["day"]) / pd.Timedelta(days=1)).astype(int) // 7
    # Only whole weeks: the KPI frames reach back 200 days, so at most 26 are complete.
    n = min(int(age.max()) + 1, MAX_WEEKS) if len(age) else 0
    done, age = done[age < n], age[age < n]
    if n < MEAN_OF + 1:
        return {"available": False, "reason": "fewer than five weeks of visits"}
    totals = np.bincount(age, weights=done["revenue"].to_numpy(), minlength=n)[:n][::-1]
    starts = [as_of - pd.Timedelta(days=7 * (n - i) - 1) for i in range(n)]
    # Replay: from every past week, forecast the next four the same way and keep the
    # relative error at each horizon.
    errors: list[list[float]] = [[] for _ in range(AHEAD_WEEKS)]
    for origin in range(MEAN_OF, n):
        forecast = totals[origin - MEAN_OF : origin].mean()
        for h in range(AHEAD_WEEKS):
            if origin + h < n and forecast > 0:
                errors[h].append(totals[origin + h] / forecast - 1)
    level = float(totals[-MEAN_OF:].mean())
    ahead = []
    hits = total = 0
    for h in range(AHEAD_WEEKS):
        row: dict[str, Any] = {
            "start": (as_of + pd.Timedelta(days=7 * h + 1)).date().isoformat(),
            "mid": level,
        }
        if len(errors[h]) >= MIN_ERRORS:
            q10, q90 = np.percentile(errors[h], [10, 90])
            row |= {"low": level * (1 + q10), "high": level * (1 + q90)}
            hits += int(np.sum((np.array(errors[h]) >= q10) & (np.array(errors[h]) <= q90)))
            total += len(errors[h])
        ahead.append(row)
    shown = slice(max(n - SHOWN_WEEKS, 0), n)
    return {
        "available": True,
        "weeks": [
            {"start": s.date().isoformat(), "revenue": float(v)}
            for s, v in zip(starts[shown], totals[shown], strict=True)
        ],
        "forecast": ahead,
        "method": f"mean of the last {MEAN_OF} weeks; band: 10th-90th percentile of the "
        "method's own replayed errors",
        "band_replays": total,
        "band_hit_rate": round(hits / total, 3) if total else None,
    }


def barber_visits(
    a: pd.DataFrame, barbers: pd.DataFrame, as_of: pd.Timestamp, days: int = 7
) -> list[dict[str, Any]]:
    """Completed visits and revenue per active barber over the last ``days`` days."""
    recent = a[
        (a["status"] == "completed")
        & (a["day"] > as_of - pd.Timedelta(days=days))
        & (a["day"] <= as_of)
    ]
    counts = recent.groupby("barber_id").agg(visits=("revenue", "size"), revenue=("revenue", "sum"))
    active = barbers[barbers["active"].astype(bool)] if "active" in barbers else barbers
    out = []
    for row in active.itertuples():
        got = counts.loc[row.barber_id] if row.barber_id in counts.index else None
        out.append(
            {
                "barber_id": int(row.barber_id),
                "name": str(getattr(row, "name", None) or f"Barber {row.barber_id}"),
                "visits": 0 if got is None else int(got["visits"]),
                "revenue": 0.0 if got is None else float(got["revenue"]),
            }
        )
    out.sort(key=lambda r: (-r["visits"], r["name"]))
    if len(out) > TOP_BARBERS:
        rest = out[TOP_BARBERS:]
        others = {
            "barber_id": None,
            "name": f"{len(rest)} others",
            "visits": sum(r["visits"] for r in rest),
            "revenue": sum(r["revenue"] for r in rest),
        }
        out = [*out[:TOP_BARBERS], others]
    return out
