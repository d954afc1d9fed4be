"""The monthly owner report as a PDF: the month's figures, a chart, and the latest results.

Painted with QPainter on a QPdfWriter, which works off the GUI thread (it is a
paint device, not a widget), so the app can write it from a worker.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPageLayout, QPageSize, QPainter, QPdfWriter

from barberbi_desktop.engines.month import MONEY, SHARE, MonthFigures, monthly
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.files import create_private, partial_name, private_dir, remove_partial
from barberbi_desktop.storage.frames import load_shop_data
from barberbi_desktop.storage.results import latest_run
from barberbi_desktop.storage.summary import shop_summary

DPI = 150
WIDTH = 1240 - 2 * 90  # A4 at 150 dpi, minus margins


def _fmt(name: str, value: float) -> str:
    if value != value:
        return "—"
    if name in MONEY:
        return f"${value / 100:,.0f}"
    if name in SHARE:
        return f"{value:.1%}"
    return f"{value:,.0f}"


class _Page:
    """A cursor down the page with the few drawing primitives the report needs."""

    def __init__(self, painter: QPainter, writer: QPdfWriter) -> None:
        self.p, self.writer, self.y = painter, writer, 0.0
        self.pages = 1

    def font(self, size: int, bold: bool = False) -> None:
        f = QFont("DejaVu Sans", size)
        f.setBold(bold)
        self.p.setFont(f)

    def text(self, s: str, size: int = 10, bold: bool = False, gap: float = 8) -> None:
        self.font(size, bold)
        rect = QRectF(0, self.y, WIDTH, 1000)
        bound = self.p.boundingRect(rect, Qt.TextFlag.TextWordWrap, s)
        self.p.drawText(rect, Qt.TextFlag.TextWordWrap, s)
        self.y += bound.height() + gap

    def table(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        self.font(9, True)
        x = 0.0
        for h, w in zip(header, widths, strict=True):
            self.p.drawText(QRectF(x, self.y, w * WIDTH, 24), Qt.AlignmentFlag.AlignLeft, h)
            x += w * WIDTH
        self.y += 26
        self.p.drawLine(0, int(self.y), WIDTH, int(self.y))
        self.y += 4
        self.font(9)
        for row in rows:
            x, height = 0.0, 24.0
            for cell, w in zip(row, widths, strict=True):
                rect = QRectF(x + 2, self.y, w * WIDTH - 6, 200)
                bound = self.p.boundingRect(rect, Qt.TextFlag.TextWordWrap, cell)
                self.p.drawText(rect, Qt.TextFlag.TextWordWrap, cell)
                height = max(height, bound.height() + 4)
                x += w * WIDTH
            self.y += height
        self.y += 14

    def bars(self, values: list[float], labels: list[str], height: float = 220) -> None:
        top = max(values) if values and max(values) > 0 else 1.0
        n = max(len(values), 1)
        step = WIDTH / n
        self.p.setPen(Qt.PenStyle.NoPen)
        self.p.setBrush(QColor("#3f51b5"))
        for i, v in enumerate(values):
            h = height * v / top
            self.p.drawRect(QRectF(i * step + 1, self.y + height - h, step - 2, h))
        self.p.setPen(QColor("#000000"))
        self.font(7)
        for i, label in enumerate(labels):
            if i % max(1, math.ceil(n / 16)) == 0:
                self.p.drawText(QRectF(i * step, self.y + height + 2, step * 3, 16), label)
        self.y += height + 30

    def new_page(self) -> None:
        self.writer.newPage()
        self.pages += 1
        self.y = 0.0


def write_report(db: Database, month: str, out: Path) -> dict[str, Any]:
    """Write the owner report for ``month`` (YYYY-MM) to ``out``; returns what went in."""
    figures = monthly(load_shop_data(db), month)
    summary = shop_summary(db)
    runs = {e: latest_run(db, e) for e in ("ltv", "methodology", "revenue")}
    private_dir(out.parent)
    partial = partial_name(out)  # renamed only once complete
    remove_partial(partial)
    create_private(partial)  # owner-only before a byte is written: Qt keeps the mode
    writer = QPdfWriter(str(partial))
    writer.setResolution(DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Portrait,
                                     QMarginsF(15, 15, 15, 15)))  # fmt: skip
    writer.setTitle(f"BarberBI owner report {month}")
    painter = QPainter(writer)
    try:
        page = _Page(painter, writer)
        _first_page(page, figures, summary.shop_name or "Your shop")
        page.new_page()
        sections = _second_page(page, runs)
    except BaseException:
        painter.end()
        partial.unlink(missing_ok=True)
        raise
    painter.end()
    del writer  # flushes the file
    partial.replace(out)
    return {"path": str(out), "pages": page.pages, "month": month, "sections": sections}


def _first_page(page: _Page, f: MonthFigures, shop: str) -> None:
    page.text(f"{shop}: {f.month.strftime('%B %Y')}", 18, True, 4)
    page.text("Monthly owner report · BarberBI", 9, gap=24)
    rows = []
    for r in f.headline.itertuples():
        change = "—" if r.change != r.change else f"{r.change:+.0%}"
        rows.append([r.figure, _fmt(r.figure, r.this_month), _fmt(r.figure, r.prior_month), change])
    page.table(["", "This month", "Month before", "Change"], rows, [0.4, 0.2, 0.2, 0.2])
    page.text("Revenue by day", 12, True)
    page.bars([float(v) for v in f.daily.to_numpy()], [f"{d:%d}" for d in f.daily.index])
    page.text("Barbers", 12, True)
    page.table(
        ["Barber", "Visits", "Revenue", "Average ticket"],
        [[b.barber, f"{b.visits:,}", f"${b.revenue / 100:,.0f}", f"${b.average_ticket / 100:,.2f}"]
         for b in f.by_barber.head(12).itertuples()],
        [0.4, 0.2, 0.2, 0.2],
    )  # fmt: skip


def _second_page(page: _Page, runs: dict[str, Any]) -> list[str]:
    done = []
    ltv, method, revenue = runs["ltv"], runs["methodology"], runs["revenue"]
    page.text("Clients by segment", 12, True)
    if ltv is not None and ltv.metrics.get("segments"):
        page.table(["Segment", "Clients"],
                   [[k, f"{v:,}"] for k, v in ltv.metrics["segments"].items()], [0.6, 0.4])
        done.append("segments")
    else:
        page.text("No client-value run yet (run `barberbi run ltv`).", gap=16)
    page.text("Six Figure Barber scores", 12, True)
    if method is not None and method.metrics.get("principles"):
        rows = [[p["name"].replace("_", " ").capitalize(),
                 "—" if p["score"] is None else f"{p['score']:.0f} / 100"]
                for p in method.metrics["principles"]]  # fmt: skip
        overall = method.metrics.get("overall")
        rows.append(["Overall", "—" if overall is None else f"{overall:.0f} / 100"])
        page.table(["Principle", "Score"], rows, [0.6, 0.4])
        done.append("methodology")
    else:
        page.text("No methodology run yet (run `barberbi run methodology`).", gap=16)
    page.text("Top recommendations", 12, True)
    road = revenue.metrics.get("roadmap", []) if revenue is not None else []
    if road:
        page.table(
            ["#", "What", "Gain a year", "Confidence"],
            [[str(r["rank"]), r["title"], f"${r['gain_cents'] / 100:,.0f}",
              f"{r['confidence']:.0%}"] for r in road[:5]],
            [0.06, 0.6, 0.18, 0.16],
        )  # fmt: skip
        done.append("recommendations")
    else:
        page.text("No revenue run yet (run `barberbi run revenue`).", gap=16)
    return done
