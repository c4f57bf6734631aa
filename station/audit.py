"""The tamper-evident audit log (DESIGN.md §4 "Audit log").

Each entry is canonical JSON that carries its own sequence number; its leaf hash is
SHA-256(0x00 ‖ entry) in an RFC 9162 Merkle tree. Every row also stores its leaf hash
and the tree root after it, and the acting card signs a tree head at logout (and every
receipt carries one). Verification recomputes everything from the entries, so:

- an edited entry no longer matches its stored leaf (or, if the leaf was rewritten too,
  the roots and the signed heads);
- a deleted entry leaves a gap in the sequence (or a signed head that covers more
  entries than remain);
- an inserted or reordered entry sits at a sequence number its own text disagrees with.

Each finding is named by sequence number.
"""

from __future__ import annotations

import hashlib
import json
import socket
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

from crypto import merkle
from station.clock import now_text
from station.model import Actor, AuditReport, AuditRow, TreeHead
from station.store.audit_rows import AuditRows

__all__ = ["Audit", "terminal_info", "canonical", "verify_entries", "AuditedSession", "verify_and_record",
           "export_jsonl", "verify_export", "export_signed",
           "first_interface", "index_columns", "kinds_of", "LIFECYCLE_ACTIONS"]


def canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


_TERMINAL: dict[str, str] | None = None
_SIOCGIFADDR = 0x8915


def _interface_ipv4(name: str) -> str:
    """The IPv4 address of one interface ('' when it has none): SIOCGIFADDR."""
    import fcntl
    import struct

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            packed = fcntl.ioctl(s.fileno(), _SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
        except OSError:
            return ""
    return socket.inet_ntoa(packed[20:24])


def _interface_mac(name: str) -> str:
    try:
        mac = (Path("/sys/class/net") / name / "address").read_text().strip()
    except OSError:
        return ""
    return "" if mac == "00:00:00:00:00:00" else mac


def first_interface() -> tuple[str, str]:
    """(IPv4, MAC) of the first non-loopback interface that has an address; ('', '') if none.

    The host name resolves to 127.0.x.1 on most stations, which says nothing about
    which terminal acted, so the addresses are read from the interfaces themselves.
    """
    try:
        names = [name for _, name in sorted(socket.if_nameindex())]
    except OSError:
        names = []
    for name in names:
        ip = _interface_ipv4(name)
        if ip and not ip.startswith("127."):
            return ip, _interface_mac(name)
    return "", ""


def terminal_info() -> dict[str, str]:
    """Host name, IP and MAC of this terminal (where; DOMAIN.md audit rule)."""
    global _TERMINAL
    if _TERMINAL is None:
        host = socket.gethostname()
        ip, mac = first_interface()
        if not mac:
            node = uuid.getnode()
            mac = ":".join(f"{(node >> s) & 0xFF:02x}" for s in range(40, -8, -8))
        _TERMINAL = {"host": host, "ip": ip or "127.0.0.1", "mac": mac}
    return dict(_TERMINAL)


def actor_dict(actor: Actor | None) -> dict[str, str]:
    if actor is None:
        return {"cert_sha256": "", "name": "", "role": "", "serial": ""}
    return {"cert_sha256": actor.cert_sha256, "name": actor.name, "role": actor.role.value,
            "serial": actor.serial}


LIFECYCLE_ACTIONS = frozenset({"freeze", "unfreeze", "report-lost", "revoke", "renew"})
"""Actions that change a made seal's state: counted as lifecycle events."""


def index_columns(entry: dict[str, Any]) -> dict[str, str]:
    """The columns written beside an entry so that filters use indexes, not JSON."""
    details = entry.get("details") or {}
    unit = details.get("unit") if isinstance(details, dict) else None
    return {"time": str(entry.get("time", "")), "action": str(entry.get("action", "")),
            "actor": str((entry.get("actor") or {}).get("serial", "")),
            "outcome": str(entry.get("outcome", "")), "unit": str(unit or "")}


def kinds_of(entry: dict[str, Any]) -> tuple[str, ...]:
    """Which statistics an entry counts in (the same rules as the migration's backfill)."""
    action, outcome = entry.get("action"), entry.get("outcome")
    details = entry.get("details") or {}
    kinds = []
    if action == "make" and outcome == "ok":
        kinds.append("seals_made")
    if action in LIFECYCLE_ACTIONS and outcome == "ok":
        kinds.append("lifecycle")
    if outcome == "refused":
        kinds.append("refusals")
    if isinstance(details, dict) and details.get("reason") == "wrong PIN":
        kinds.append("wrong_pins")
    if action == "login" and outcome == "ok":
        kinds.append("logins")
    return tuple(kinds)


def make_entry(seq: int, actor: Actor | dict | None, action: str, obj: str, outcome: str,
               details: dict[str, Any] | None = None, time: str | None = None,
               terminal: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "seq": seq,
        "time": time or now_text(),
        "actor": actor if isinstance(actor, dict) else actor_dict(actor),
        "action": action,
        "object": obj,
        "outcome": outcome,
        "terminal": terminal or terminal_info(),
        "details": details or {},
    }


class Audit:
    """Appends to and checks the log inside the open store."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.rows = AuditRows(store)
        self._load()

    def _load(self) -> None:
        """Open the tree from its stored frontier: the same cost at ten entries or ten
        million. The frontier is trusted only while it matches the newest row's root;
        otherwise (an older store, or rows changed behind the log's back) every leaf is
        read once and the frontier written again."""
        stored, last = self.rows.frontier(), self.rows.last()
        if stored is not None and last is not None and stored[1] == last[0]:
            try:
                log = merkle.MerkleLog(stored[0], stored[2])
            except merkle.ProofError:
                log = None
            if log is not None and log.root() == last[1]:
                self._log, self._last_seq = log, stored[1]
                return
        if stored is None and last is None:
            self._log, self._last_seq = merkle.MerkleLog(), 0
            return
        leaves = self.rows.leaves()
        self._log = merkle.MerkleLog.from_leaves(leaf for _, leaf in leaves)
        # after a deletion seq runs ahead of the tree size: never reuse a number (and keep
        # the gap visible), or no one could log in to find the damage
        self._last_seq = max((seq for seq, _ in leaves), default=0)

    @property
    def size(self) -> int:
        return self._log.size

    def root(self) -> bytes:
        return self._log.root()

    def append(self, actor: Actor | dict | None, action: str, obj: str = "", outcome: str = "ok",
               details: dict[str, Any] | None = None, *, time: str | None = None,
               terminal: dict[str, str] | None = None) -> int:
        """Add one entry (inside the caller's transaction, if any); returns its seq."""
        with self.store.transaction():
            self._sync()
            seq = max(self._log.size, self._last_seq) + 1
            entry = make_entry(seq, actor, action, obj, outcome, details, time, terminal)
            leaf = merkle.leaf_hash(canonical(entry))
            log = merkle.MerkleLog(self._log.size, self._log.frontier)
            log.append(leaf)
            columns = index_columns(entry)
            if not columns["unit"] and obj:
                columns["unit"] = self.rows.unit_of(obj) or ""
            self.rows.add(AuditRow(seq, canonical(entry).decode(), leaf, log.root()), columns, kinds_of(entry))
            self.rows.put_frontier(log.size, seq, log.frontier)
            self._log = log
            self._last_seq = seq
        return seq

    def _sync(self) -> None:
        """Re-read the tree if the store moved on without us: another process (the TUI and
        a command on the same station) appended, or a transaction we wrote in rolled back."""
        current = self.rows.last() or (0, merkle.MerkleLog().root())
        if current != (self._last_seq, self._log.root()):
            self._load()

    def root_at(self, size: int) -> bytes:
        """The tree root after ``size`` entries, as each row stored it (witnesses compare
        an older signed head with it); recomputed from the leaves when a row is missing."""
        stored = self.rows.root_after(size) if size else None
        return stored if stored is not None else merkle.root(self.rows.leaf_hashes(size))

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(text) for text in self.rows.texts()]

    def sign_head(self, signer: Any, cert_sha256: str) -> TreeHead:
        """A tree head signed by the acting card (at logout, and for each receipt)."""
        size, root, time = self._log.size, self._log.root(), now_text()
        signature = signer.sign(head_message(size, root, time))
        head = TreeHead(size, root, time, cert_sha256, signer.algorithm, signature)
        self.rows.add_head(head)
        return head

    def heads(self) -> list[TreeHead]:
        return self.rows.heads()

    def verify(self, certificates: dict[str, bytes]) -> AuditReport:
        last = self.rows.last()
        return verify_entries(self.rows.stream, self.heads(), certificates,
                              batches=((None, texts, None) for texts in self.rows.entry_batches()),
                              last_root=None if last is None else last[1], seq_range=self.rows.seq_range())


def head_message(size: int, root: bytes, time: str) -> bytes:
    """What a card signs for a tree head: a fixed, unambiguous text."""
    return f"seal-station tree head v1\n{size}\n{root.hex()}\n{time}\n".encode()


Batch = tuple[Sequence[int] | None, Sequence[bytes], Sequence[bytes | None] | None]
"""(seqs, entries as UTF-8 bytes, stored leaves): what the fast pass reads at a time. A
store gives entries only (None, entries, None): see ``seq_range`` in :func:`verify_entries`."""

_BATCH = 2048


def verify_entries(rows: Sequence[tuple[int, str | bytes, bytes | None, bytes | None]] | Callable[[], Iterable],
                   heads: Iterable[TreeHead], certificates: dict[str, bytes],
                   verify_sig: Callable[[bytes, str, bytes, bytes], bool] | None = None, *,
                   batches: Iterable[Batch] | None = None, last_root: bytes | None = None,
                   seq_range: tuple[int, int] | None = None) -> AuditReport:
    """Check a log from its rows (seq, entry text, stored leaf, stored root) and heads.

    ``rows`` is a list, or a function that streams them. ``certificates`` maps certificate
    SHA-256 -> DER for the cards that may sign heads. Stored leaf/root may be None (an
    export carries entries only).

    A store passes ``batches`` of its entries alone, the newest stored ``last_root`` and
    the ``seq_range`` of its rows: the fast pass reads those, and ``rows`` is called only
    when it finds something wrong. Seqs are the table's key, so n rows running from 1 to n
    are exactly 1..n; leaves are not compared row by row, for the entries are hashed and
    the tree they make is compared with the newest stored root and every signed head.

    An intact log is checked in one streaming pass at hash speed: each entry's leaf, its
    sequence number, the roots at every signed head and the newest stored root. Any
    disagreement sends the log through the exact pass, which names every finding (a stored
    leaf that disagrees with its entry included).
    """
    heads = list(heads)
    fetch = rows if callable(rows) else (lambda: rows)
    if batches is None:
        listed = list(fetch())
        batches, last_root = _batches_of(listed), (listed[-1][3] if listed else None)
    fast = _fast_pass(batches, {h.size for h in heads})
    if fast is None or (last_root is not None and last_root != fast[1][fast[0]]) or (
            seq_range is not None and seq_range != (1, fast[0])):
        return _exact_pass(fetch(), heads, certificates, verify_sig)
    size, roots = fast
    report = _check_heads(heads, certificates, verify_sig, size, roots, [])
    if report.problems:
        return _exact_pass(fetch(), heads, certificates, verify_sig)
    return report


def _batches_of(rows: Sequence[tuple[int, str | bytes, bytes | None, bytes | None]]) -> Iterator[Batch]:
    """Rows given as a list, in the fast pass's batches (no stored leaf at all: None)."""
    for start in range(0, len(rows), _BATCH):
        part = rows[start:start + _BATCH]
        leaves = [r[2] for r in part]
        yield ([r[0] for r in part], [t if isinstance(t, bytes) else t.encode() for _, t, _, _ in part],
               None if all(leaf is None for leaf in leaves) else leaves)


def _fast_pass(batches: Iterable[Batch], head_sizes: set[int]) -> tuple[int, dict[int, bytes]] | None:
    """(size, roots at the head sizes and at the end) if every row is in place; None at the
    first doubt.

    A batch is checked as a whole where that can be done in C: its seqs against the
    positions, its recomputed leaves against the stored ones. An entry's own sequence
    number is read without parsing it: canonical JSON sorts its keys, so the last
    ``"seq":`` is the top-level one (a quote inside a string is escaped). A text that does
    not read that way goes to the exact pass, which parses it."""
    sha = hashlib.sha256
    frontier: list[bytes] = []
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT}
    size = 0
    for seqs, texts, stored in batches:
        expected = range(size + 1, size + len(texts) + 1)
        if (seqs is not None and list(seqs) != list(expected)) or False in [
                text.startswith(b'"seq":%d,' % seq, text.rfind(b'"seq":')) for seq, text in zip(expected, texts)]:
            return None
        leaves = [sha(b"\x00" + text).digest() for text in texts]
        if stored is not None and leaves != list(stored):
            return None
        for h in leaves:
            carries = size
            while carries & 1:
                h = sha(b"\x01" + frontier.pop() + h).digest()
                carries >>= 1
            frontier.append(h)
            size += 1
            if size in head_sizes:
                roots[size] = _fold(frontier)
    roots[size] = _fold(frontier)
    return size, roots


def _fold(frontier: list[bytes]) -> bytes:
    if not frontier:
        return merkle.EMPTY_ROOT
    r = frontier[-1]
    for h in reversed(frontier[:-1]):
        r = merkle.node_hash(h, r)
    return r


def _exact_pass(rows: Iterable[tuple[int, str, bytes | None, bytes | None]], heads: list[TreeHead],
                certificates: dict[str, bytes],
                verify_sig: Callable[[bytes, str, bytes, bytes], bool] | None) -> AuditReport:
    """Every row recomputed and compared: names each finding by sequence number."""
    if verify_sig is None:
        from crypto.algorithms import verify_signature as verify_sig
    problems: list[tuple[int, str]] = []
    log = merkle.MerkleLog()
    roots: dict[int, bytes] = {0: log.root()}
    expected = 1
    for seq, text, stored_leaf, stored_root in rows:
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        try:
            entry = json.loads(text)
            inner = entry.get("seq")
        except (ValueError, AttributeError):
            inner = None
        if seq > expected:
            problems.extend((s, "missing (deleted)") for s in range(expected, seq))
        elif seq < expected:
            problems.append((seq, "duplicate sequence number"))
        if inner != seq:
            problems.append((seq, f"entry says it is #{inner}: inserted or reordered"))
        leaf = merkle.leaf_hash(text.encode())
        if stored_leaf is not None and leaf != stored_leaf:
            problems.append((seq, "altered (content does not match its leaf hash)"))
        log.append(leaf)
        roots[log.size] = log.root()
        if stored_root is not None and stored_root != roots[log.size] and not any(
                p[0] == seq for p in problems):
            problems.append((seq, "tree root does not match (log rewritten before this entry)"))
        expected = max(expected, seq + 1)
    return _check_heads(heads, certificates, verify_sig, log.size, roots, problems)


def _check_heads(heads: list[TreeHead], certificates: dict[str, bytes],
                 verify_sig: Callable[[bytes, str, bytes, bytes], bool] | None, size: int,
                 roots: dict[int, bytes], problems: list[tuple[int, str]]) -> AuditReport:
    """Each signed head: its signature, and the root at its size."""
    if verify_sig is None:
        from crypto.algorithms import verify_signature as verify_sig
    signed = 0
    checked = 0
    for head in heads:
        cert = certificates.get(head.signer_cert_sha256)
        message = head_message(head.size, head.root, head.time)
        if cert is None or not verify_sig(cert, head.algorithm, message, head.signature):
            problems.append((head.size, "signed tree head: signature invalid or signer unknown"))
            continue
        checked += 1
        if head.size > size:
            problems.append((size + 1, f"missing: a signed tree head covers {head.size} entries,"
                                       f" only {size} remain"))
        elif roots.get(head.size) != head.root:
            first = _first_bad(problems, head.size)
            problems.append((first, f"does not match the tree head signed at size {head.size}"))
        else:
            signed = max(signed, head.size)
    problems = sorted(set(problems))
    return AuditReport(ok=not problems, size=size, signed_size=signed, root=roots[size],
                       problems=tuple(problems), heads_checked=checked)


def _first_bad(problems: list[tuple[int, str]], size: int) -> int:
    seqs = [p[0] for p in problems if p[0] <= size]
    return min(seqs) if seqs else size



def export_jsonl(audit: Audit, path: Path, certificates: dict[str, bytes]) -> int:
    """Write entries, signed heads and the signers' certificates as JSON lines."""
    import base64

    from station.home import atomic_write

    lines = [json.dumps({"entry": json.loads(text), "text": text}, ensure_ascii=False)
             for text in audit.rows.texts()]
    for h in audit.heads():
        lines.append(json.dumps({"head": {"size": h.size, "root": h.root.hex(), "time": h.time,
                                          "signer": h.signer_cert_sha256, "algorithm": h.algorithm,
                                          "signature": h.signature.hex()}}))
    for digest, der in certificates.items():
        lines.append(json.dumps({"certificate": digest, "der": base64.b64encode(der).decode()}))
    atomic_write(path, ("\n".join(lines) + "\n").encode())
    return len(lines)


def export_signed(session: Any, path: Path) -> int:
    """``audit export --jsonl``: the acting card signs a head over the whole log first, so
    the export is covered to its last entry; the export itself is audited."""
    session.audit.sign_head(session.signer, session.actor.cert_sha256)
    count = export_jsonl(session.audit, path, session.certificates())
    session.log("audit-export", str(path), "ok", lines=count, size=session.audit.size)
    return count


def verify_export(path: Path, certificates: dict[str, bytes], trust_problems: Sequence[str] = ()) -> AuditReport:
    """Check an exported log offline, trusting only the cards the admin-signed bundle
    names (``certificates``: SHA-256 -> DER, from :func:`station.receipts.bundle.load_bundle`;
    ``trust_problems``: what is wrong with that bundle).

    Certificates inside the export are ignored: whoever edits the file can put a fresh
    key there and re-sign a head over what they left. A head counts only when a card the
    bundle lists signed it, and an export that no such head covers is not intact.
    """
    from station.errors import InputError
    from station.inputs import read_file

    rows: list[tuple[int, str, None, None]] = []
    heads: list[TreeHead] = []
    try:
        for line in read_file(path, "audit export", 256 * 1024 * 1024).decode("utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if "text" in item:
                rows.append((int(json.loads(item["text"]).get("seq", 0)), item["text"], None, None))
            elif "head" in item:
                h = item["head"]
                heads.append(TreeHead(int(h["size"]), bytes.fromhex(h["root"]), h["time"], h["signer"],
                                      h["algorithm"], bytes.fromhex(h["signature"])))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{path}: not an audit export ({type(exc).__name__})") from None
    report = verify_entries(rows, heads, certificates)
    extra = [(0, f"bundle: {p}") for p in trust_problems]
    if report.size and not report.heads_checked:
        extra.append((0, "no tree head signed by a card the bundle names"))
    if not extra:
        return report
    problems = tuple(sorted(set(report.problems) | set(extra)))
    return replace(report, ok=False, problems=problems)


class AuditedSession(Protocol):
    """What :func:`verify_and_record` needs of a :class:`station.session.Session`."""

    audit: Audit

    def certificates(self) -> dict[str, bytes]: ...

    def log(self, action: str, obj: str = "", outcome: str = "ok", **details: Any) -> int: ...


def verify_and_record(session: AuditedSession) -> AuditReport:
    """Check the whole log and then record that it was checked, and how it came out.

    Both front ends run this one function, so a check made in the TUI and one made with
    ``seal-station audit verify`` leave the same trace in the log they checked.
    """
    report = session.audit.verify(session.certificates())
    session.log("audit-verify", "", "ok" if report.ok else "failed", problems=len(report.problems))
    return report
