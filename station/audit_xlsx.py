"""``audit export --xlsx``: the audit log as a workbook an inspector opens in a spreadsheet.

Three sheets: a summary (the period and filters, the statistics per unit and per period
and a bar chart of them), every entry (frozen header, filters, dates as dates, numbers as
numbers) and the signed tree heads. The file is written whole beside its target and
renamed over it, so a link at the target is replaced, never followed.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from station.auditor import KINDS, AuditFilter, flat, stats
from station.home import atomic_write
from station.store.audit_rows import AuditRows

__all__ = ["export_xlsx", "SHEETS"]

SHEETS = ("Summary", "Entries", "Tree heads")

_ENTRY_COLUMNS = ("seq", "time", "action", "object", "outcome", "actor", "card", "role", "host", "ip",
                  "mac", "reason", "details")


def _when(text: str) -> Any:
    """An ISO time as a spreadsheet date (naive UTC); the text itself if it does not parse."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
    except (ValueError, AttributeError):
        return text


def export_xlsx(store: Any, path: Path, where: AuditFilter = AuditFilter(), period: str = "month",
                station_id: str = "") -> int:
    """Write the workbook; returns the number of entries in it."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    rows = AuditRows(store)
    figures = stats(store, where.start, where.end, period)
    book = Workbook()
    summary = book.active
    summary.title = SHEETS[0]
    bold = Font(bold=True)
    summary.append(["Audit log export", station_id])
    summary.append(["Exported (UTC)", datetime.utcnow().replace(microsecond=0)])
    summary.append(["From", where.start or "(beginning)"])
    summary.append(["To", where.end or "(now)"])
    for name in ("action", "actor", "unit", "outcome"):
        summary.append([f"Filter: {name}", getattr(where, name) or "(all)"])
    summary.append(["Period", period])
    summary.append([])
    summary.append(["Unit", *KINDS])
    header_row = summary.max_row
    for row in figures.by_unit:
        summary.append([row["unit"] or "(none)", *(row[k] for k in KINDS)])
    summary.append([])
    summary.append([period.capitalize(), *KINDS])
    period_header = summary.max_row
    for row in figures.by_period:
        summary.append([row["period"], *(row[k] for k in KINDS)])
    period_end = summary.max_row
    for r in (header_row, period_header):
        for cell in summary[r]:
            cell.font = bold
    summary.column_dimensions["A"].width = 28
    if period_end > period_header:
        chart = BarChart()
        chart.title = f"Per {period}"
        chart.add_data(Reference(summary, min_col=2, max_col=1 + len(KINDS), min_row=period_header,
                                 max_row=period_end), titles_from_data=True)
        chart.set_categories(Reference(summary, min_col=1, min_row=period_header + 1, max_row=period_end))
        summary.add_chart(chart, "H2")

    entries = book.create_sheet(SHEETS[1])
    entries.append(list(_ENTRY_COLUMNS))
    for cell in entries[1]:
        cell.font = bold
    count = 0
    for text in rows.select(where):
        e = flat(json.loads(text))
        e["time"] = _when(e["time"])
        e["details"] = json.dumps(e["details"], ensure_ascii=False, sort_keys=True)
        entries.append([e[c] for c in _ENTRY_COLUMNS])
        count += 1
    entries.freeze_panes = "A2"
    entries.auto_filter.ref = f"A1:{chr(ord('A') + len(_ENTRY_COLUMNS) - 1)}{count + 1}"
    for cell in entries["B"][1:]:
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    entries.column_dimensions["B"].width = 20

    heads = book.create_sheet(SHEETS[2])
    heads.append(["size", "time", "root", "signer", "algorithm", "signature"])
    for cell in heads[1]:
        cell.font = bold
    for h in rows.heads():
        heads.append([h.size, _when(h.time), h.root.hex(), h.signer_cert_sha256, h.algorithm, h.signature.hex()])
    heads.freeze_panes = "A2"

    buffer = io.BytesIO()
    book.save(buffer)
    atomic_write(Path(path), buffer.getvalue())
    return count
