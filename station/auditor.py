"""The auditor's desk: browse the log with filters, count it, and raise alerts.

Everything here reads indexed columns and the daily counts kept beside the log
(:mod:`station.store.audit_rows`), so a filter or the statistics cost the same at a
thousand entries and at a million. Both front ends (the TUI desks and ``seal-station
audit show|stats``) call these functions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from station.errors import InputError
from station.store.audit_rows import AuditFilter, AuditRows

__all__ = ["AuditFilter", "KINDS", "PERIODS", "Stats", "show", "stats", "alerts", "flat", "check_date",
           "WRONG_PIN_BURST"]

KINDS = ("seals_made", "lifecycle", "refusals", "wrong_pins", "logins")
"""The counts of ``audit stats``, in the order tables and charts show them."""

PERIODS = {"day": 10, "month": 7, "year": 4}
"""Period -> how many leading characters of an ISO date name it."""

WRONG_PIN_BURST = 3
"""Wrong PINs for one card since the last login that make an alert of their own."""


def check_date(text: str, what: str) -> str:
    """A --from / --to value: an ISO date or date-time, else exit 2."""
    from datetime import datetime

    if not text:
        return ""
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{what}: {text!r} is not a date (YYYY-MM-DD)") from None
    return text


def flat(entry: dict[str, Any]) -> dict[str, Any]:
    """One entry as the desk shows it: who, card, role, when, where (host, IP, MAC), what."""
    actor = entry.get("actor") or {}
    terminal = entry.get("terminal") or {}
    details = entry.get("details") or {}
    return {"seq": entry.get("seq"), "time": entry.get("time", ""), "action": entry.get("action", ""),
            "object": entry.get("object", ""), "outcome": entry.get("outcome", ""),
            "actor": actor.get("name", ""), "card": actor.get("serial", ""), "role": actor.get("role", ""),
            "host": terminal.get("host", ""), "ip": terminal.get("ip", ""), "mac": terminal.get("mac", ""),
            "reason": details.get("reason", "") if isinstance(details, dict) else "", "details": details}


def show(store: Any, where: AuditFilter, limit: int = 0) -> list[dict[str, Any]]:
    """The entries that match, oldest first, flattened for a table."""
    return [flat(json.loads(text)) for text in AuditRows(store).select(where, limit)]


@dataclass(frozen=True)
class Stats:
    """Counts per unit and per period (day, month or year)."""

    period: str
    by_unit: list[dict[str, Any]] = field(default_factory=list)
    by_period: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"period": self.period, "by_unit": self.by_unit, "by_period": self.by_period}


def stats(store: Any, start: str = "", end: str = "", period: str = "month") -> Stats:
    """Seals made, lifecycle events, refusals, wrong PINs and logins, per unit and period."""
    if period not in PERIODS:
        raise InputError(f"--period must be day, month or year, not {period!r}")
    width = PERIODS[period]
    units: dict[str, dict[str, int]] = {}
    periods: dict[str, dict[str, int]] = {}
    for day, unit, kind, n in AuditRows(store).daily(start, end):
        if kind not in KINDS:
            continue
        for table, key in ((units, unit), (periods, day[:width])):
            row = table.setdefault(key, dict.fromkeys(KINDS, 0))
            row[kind] += n
    return Stats(period,
                 [{"unit": u, **c} for u, c in sorted(units.items())],
                 [{"period": p, **c} for p, c in sorted(periods.items())])


def alerts(store: Any, serial: str, current_seq: int = 0) -> list[dict[str, Any]]:
    """Illegal operations since this card's previous login: refusals, bursts of wrong PINs,
    settings or trust changed outside the station. Newest last."""
    rows = AuditRows(store)
    since = rows.last_seq_of(serial, "login", before=current_seq) if current_seq else \
        rows.last_seq_of(serial, "login")
    found = show(store, AuditFilter(outcome="refused", after_seq=since))
    found += [e for e in show(store, AuditFilter(after_seq=since))
              if e["action"] in ("settings-changed-outside", "trust-changed-outside", "config-tampered")]
    wrong: dict[str, int] = {}
    for e in found:
        if e["reason"] == "wrong PIN":
            wrong[e["object"] or e["card"]] = wrong.get(e["object"] or e["card"], 0) + 1
    bursts = [{"seq": 0, "time": "", "action": "wrong-pin-burst", "object": card, "outcome": "refused",
               "actor": "", "card": card, "role": "", "host": "", "ip": "", "mac": "",
               "reason": f"{n} wrong PINs", "details": {"count": n}}
              for card, n in sorted(wrong.items()) if n >= WRONG_PIN_BURST]
    return sorted(found, key=lambda e: e["seq"] or 0) + bursts
