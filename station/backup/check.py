"""``backup verify``: is this file whole, and signed by an administrator of the station?

No card and no key: every byte is read; the admin signature covers all of them but the
signature block itself, which must parse and verify. The signer must be an
administrator the station's enrollment bundle names (enrolled before the backup was made
and not removed by then), and the bundle must be the same station's. The tree head in
the header is checked against the bundle too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from crypto.errors import CryptoError
from station.backup.fileformat import Header, iter_chunks, open_backup, read_header, read_trailer, signed_message
from station.backup.writer import TrailingDigest
from station.errors import InvalidError

if TYPE_CHECKING:
    from station.receipts.bundle import Bundle

__all__ = ["Report", "verify_backup"]


@dataclass(frozen=True)
class Report:
    valid: bool
    station_id: str
    created: str
    size: int
    tree_size: int
    signer: str
    signer_name: str
    problems: tuple[str, ...]


def verify_backup(path: Path, bundle_path: Path) -> Report:
    """Check ``path`` against the bundle; a file that is no backup raises InputError (exit 2)."""
    from crypto.algorithms import verify_signature
    from station.receipts.bundle import load_bundle

    bundle = load_bundle(Path(bundle_path))
    problems: list[str] = list(bundle.problems)
    try:
        with open_backup(Path(path)) as fh:
            header = read_header(fh, Path(path))
            with TrailingDigest(header.prefix) as body:
                for _ in iter_chunks(fh, header, body, Path(path)):
                    pass
                sig = read_trailer(fh, Path(path))
                signed = signed_message(body.digest())
    except InvalidError as exc:  # damaged beyond reading: a report, not a crash
        return Report(False, "", "", Path(path).stat().st_size, 0, "", "", (exc.message,))
    if header.station_id != bundle.station_id:
        problems.append(f"the backup is of station {header.station_id}, the bundle of {bundle.station_id}")
    signer = bundle.by_hash(sig["signer"])
    if signer is None or signer.role != "admin":
        problems.append("the backup is not signed by an administrator the bundle names")
    else:
        if signer.removed_at is not None and signer.removed_at <= header.created:
            problems.append(f"the signing card {signer.serial} had been removed when the backup was made")
        try:
            ok = verify_signature(signer.certificate, sig["algorithm"], signed, sig["value"])
        except CryptoError:
            ok = False
        if not ok:
            problems.append("the signature does not verify: the file was altered or not signed by this card")
    problems += _head_problems(header, bundle)
    return Report(not problems, header.station_id, header.created, Path(path).stat().st_size,
                  int(header.data.get("tree_head", {}).get("size", 0)), sig["signer"],
                  signer.name if signer else "", tuple(problems))


def _head_problems(header: Header, bundle: Bundle) -> list[str]:
    """Is the tree head in the clear header signed by a card the bundle names?"""
    from crypto.algorithms import verify_signature
    from station.audit import head_message

    head = header.data.get("tree_head")
    try:
        who = bundle.by_hash(str(head["signer"]))
        message = head_message(int(head["size"]), bytes.fromhex(head["root"]), str(head["time"]))
        if who is None or not verify_signature(who.certificate, str(head["algorithm"]), message,
                                               bytes.fromhex(head["signature"])):
            return ["the tree head in the header is not signed by a card the bundle names"]
    except (KeyError, TypeError, ValueError):  # CryptoError is a ValueError: an unknown algorithm too
        return ["the backup's header has no readable tree head"]
    return []
