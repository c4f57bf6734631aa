"""After a restore the station numbers on from the highest number anyone has seen.

A backup brings back an older store, whose counters are behind what the station had
issued when it was lost: making the next seal from them would issue an esID, a receipt
number or a status-list sequence a second time. So a restore raises every counter to
the highest value known — the backup's header, the restored store, the station it
replaces when that store can be read, and the witnesses (the cards that keep the last
signed tree head) — and records each gap in the audit log.

Also here: the reminder on the administrator's home (days since the last backup).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from station.store.backups import Backups, is_number_key

__all__ = ["highest", "raise_counters", "raise_counters_after_restore", "Reminder", "reminder",
           "backup_reminder"]


def highest(*sources: Mapping[str, int]) -> dict[str, int]:
    """Per counter name, the highest value any source knows (unknown names are dropped)."""
    out: dict[str, int] = {}
    for source in sources:
        for key, value in source.items():
            if is_number_key(key) and isinstance(value, int) and value >= 0:
                out[key] = max(out.get(key, 0), value)
    return out


def raise_counters(store: Any, audit: Any, actor: Any, known: Iterable[Mapping[str, int]],
                   reason: str = "restore") -> dict[str, dict[str, int]]:
    """Raise the store's counters to the highest ``known`` values, in one transaction.

    Returns the gaps ``{counter: {"from": old, "to": new}}`` and records them (one audit
    entry ``numbers-raised``, also when nothing had to move, so the log says it was checked).
    """
    repo = Backups(store)
    with store.transaction():
        current = repo.numbers()
        target = highest(current, *known)
        gaps = {key: {"from": current.get(key, 0), "to": value}
                for key, value in sorted(target.items()) if value > current.get(key, 0)}
        for key, gap in gaps.items():
            repo.set_number(key, gap["to"])
        audit.append(actor, "numbers-raised", reason, "ok", {"gaps": gaps, "numbers": target})
    return gaps


def raise_counters_after_restore(session: Any, witness_numbers: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """The hook for the witnesses: numbers a card has seen (counter name -> highest value
    issued, e.g. ``{"esid-seq-2026": 41, "receipt-seq": 40}``) raise the logged-in
    session's counters; returns and audits the gaps."""
    return raise_counters(session.store, session.audit, session.actor, [witness_numbers], "witness")


@dataclass(frozen=True)
class Reminder:
    """What the administrator's home says about backups."""

    last: str | None  # UTC time of the last backup made here (or restored from)
    days: int | None  # whole days since then; None if never
    warn_days: int
    due: bool


def reminder(store: Any, warn_days: int, now: datetime | None = None) -> Reminder:
    last = Backups(store).last_backup()
    if last is None:
        return Reminder(None, None, warn_days, True)
    now = now or datetime.now(timezone.utc)
    try:
        then = datetime.fromisoformat(last.replace("Z", "+00:00"))
    except ValueError:
        return Reminder(last, None, warn_days, True)
    days = max(0, (now - then).days)
    return Reminder(last, days, warn_days, days >= warn_days)


def backup_reminder(session: Any) -> Reminder:
    """The reminder for the logged-in station, with the warning age from its settings."""
    return reminder(session.store, session.config.backup_warn_days)
