"""The signed status list: every seal of this station that is not active, for verifiers.

``revocations export OUT`` writes one JSON document — station id, a sequence number that
only grows (the station's counter ``status-seq``), the time, and each frozen, lost
or revoked seal with its state, reason and time — signed by the acting card. A verifier
trusts it through the enrollment bundle: the bundle's own signature must hold, the list
must be from the bundle's station and signed by a card the bundle lists as enrolled at
that time. The same document fits in a QR code as ``SSL1:`` + base45(zlib(JSON)) when
it is small enough, so a short list leaves the air gap through a camera too.

:func:`apply_status` folds the list into a seal verdict: a seal the list names as
frozen, lost or revoked is not valid, that word in ``problems`` — unless the event came
after the document's signing time (``--at``), which it then cannot count against.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from station.errors import InputError, InvalidError
from station.receipts.bundle import Bundle, canonical

if TYPE_CHECKING:  # pragma: no cover
    from station.session import Session

__all__ = ["FORMAT", "QR_PREFIX", "StatusList", "export_status_list", "load_status_list", "apply_status"]

FORMAT = "seal-station status list v1"
QR_PREFIX = "SSL1:"
_MAX_BYTES = 64 * 1024 * 1024
_MAX_QR = 1024 * 1024  # a list that fits one QR code inflates to a few KiB
_STATES = ("frozen", "lost", "revoked")


@dataclass(frozen=True)
class StatusList:
    station_id: str
    sequence: int
    time: str
    entries: dict[str, dict[str, str]]  # esid -> {"state", "reason", "time"}
    signer: str


def _body(session: Session) -> dict[str, Any]:
    from station.registering import now_iso
    from station.store.counters import Counters
    from station.store.lifecycle import SealRegistry

    with session.store.transaction():
        rows = SealRegistry(session.store).not_active()
        sequence = Counters(session.store).next_value("status-seq")
    return {"format": FORMAT, "station_id": session.config.station_id, "sequence": sequence,
            "time": now_iso(), "entries": [{"esid": e, "state": s, "reason": r, "time": t} for e, s, r, t in rows]}


def export_status_list(session: Session, out: Path) -> dict[str, Any]:
    """Sign the current list with the acting card and write it to ``out``; audited."""
    from station.cards import device_errors
    from station.home import atomic_write

    body = _body(session)
    with device_errors(session.card.serial):
        value = session.signer.sign(canonical(body))
    doc = {**body, "signature": {"signer": session.actor.cert_sha256, "algorithm": session.signer.algorithm,
                                 "value": base64.b64encode(value).decode()}}
    data = canonical(doc)
    try:
        atomic_write(Path(out), data)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from None
    qr = qr_text(doc)
    session.log("revocations-export", str(out), "ok", sequence=body["sequence"], entries=len(body["entries"]),
                bytes=len(data), qr=qr is not None)
    return {"list": str(out), "station_id": body["station_id"], "sequence": body["sequence"],
            "time": body["time"], "entries": len(body["entries"]), "bytes": len(data), "qr": qr}


def qr_text(doc: dict[str, Any]) -> str | None:
    """The list as one QR code's text, or None when it does not fit one."""
    import base45

    from station.errors import StateError
    from station.receipts import qr

    text = QR_PREFIX + base45.b45encode(zlib.compress(canonical(doc), 9)).decode("ascii")
    if len(text) > 4296:
        return None
    try:
        qr.version_of(text)
    except StateError:
        return None
    return text


def _read(path: Path) -> dict[str, Any]:
    import base45

    try:
        if Path(path).stat().st_size > _MAX_BYTES:
            raise InputError(f"{path}: too large for a status list")
        data = Path(path).read_bytes()
        if data.lstrip().startswith(QR_PREFIX.encode()):
            inflate = zlib.decompressobj()
            data = inflate.decompress(base45.b45decode(data.strip()[len(QR_PREFIX):].decode("ascii")), _MAX_QR)
            if inflate.unconsumed_tail or not inflate.eof:
                raise ValueError("not one whole compressed list")
        doc = json.loads(data.decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError("not a status list")
        return doc
    except (OSError, ValueError, zlib.error, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a seal-station status list ({type(exc).__name__})") from None


def _parse(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], StatusList]:
    try:
        sig = doc["signature"]
        body = {k: v for k, v in doc.items() if k != "signature"}
        entries = {}
        for e in doc["entries"]:
            if e["state"] not in _STATES:
                raise ValueError("state")
            _when(str(e["time"]))
            entries[str(e["esid"])] = {"state": str(e["state"]), "reason": str(e["reason"]), "time": str(e["time"])}
        sequence = doc["sequence"]
        if type(sequence) is not int or sequence < 1:
            raise ValueError("sequence")
        _when(str(doc["time"]))
        parsed = StatusList(str(doc["station_id"]), sequence, str(doc["time"]), entries, str(sig["signer"]))
        return body, sig, parsed
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"the status list is malformed ({type(exc).__name__})") from None


def _when(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def load_status_list(path: Path, bundle: Bundle) -> StatusList:
    """The list, if it is whole and this bundle's station signed it; otherwise refused (exit 1)."""
    from crypto.algorithms import UnsupportedAlgorithm, verify_signature
    from station.receipts.verify import _enrolled_as

    body, sig, parsed = _parse(_read(path))
    if not bundle.signature_ok:
        raise InvalidError("the enrollment bundle does not verify: " + "; ".join(bundle.problems))
    if parsed.station_id != bundle.station_id:
        raise InvalidError(f"the status list is from station {parsed.station_id}, the bundle is station "
                           f"{bundle.station_id}'s")
    signer = bundle.by_hash(parsed.signer)
    if signer is None or _enrolled_as(signer, signer.role, _when(parsed.time)):
        raise InvalidError("the status list is not signed by a card the bundle lists as enrolled then")
    try:
        value = base64.b64decode(str(sig["value"]), validate=True)
        ok = verify_signature(signer.certificate, str(sig.get("algorithm")), canonical(body), value)
    except (UnsupportedAlgorithm, ValueError, TypeError):
        ok = False
    if not ok:
        raise InvalidError("the status list's signature does not verify (altered, or not this station's)")
    return parsed


def apply_status(result: dict[str, Any], status: StatusList, at: datetime | None) -> dict[str, Any]:
    """Fold the list into a seal verdict (CLI.md: ``status``; frozen/lost/revoked in problems)."""
    esid = str(result.get("esID") or "")
    warnings = result.setdefault("warnings", [])
    result["status_list"] = {"station_id": status.station_id, "sequence": status.sequence, "time": status.time}
    if not esid.startswith(status.station_id + "-"):
        result["status"] = "unknown"
        warnings.append(f"the status list is station {status.station_id}'s; it does not cover this seal")
        return result
    entry = status.entries.get(esid)
    if entry is None:
        result["status"] = "active"
        return result
    if at is not None and _when(entry["time"]) > at:
        result["status"] = "active"
        warnings.append(f"{entry['state']} at {entry['time']}, after the signing time")
        return result
    result["status"] = entry["state"]
    result["problems"] = list(result.get("problems", [])) + [entry["state"]]
    result["valid"] = False
    return result
