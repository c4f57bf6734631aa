"""The tamper-evident audit log: every edit, deletion, insertion or reordering is named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest

from crypto import merkle
from station.audit import Audit, canonical, make_entry, verify_and_record, verify_export
from station.audit import _exact_pass as _exact
from station.home import Home
from station.model import AuditReport, Role
from station.receipts.bundle import load_bundle
from station.session import login
from station.store.db import Store
from tests.helpers import DemoWorld, error_line, run_cli, store_key_for

K = 3  # the entry each tampering aims at


def _verify_cli(world: DemoWorld, home: Home, *extra: str):
    auditor = world.card("auditor")
    return run_cli(world.env(auditor, home=home), "audit", "verify", "--by", auditor.serial, *extra)


def test_cli_verify_after_a_session(world: DemoWorld) -> None:
    officer = world.card("officer")
    login(world.home, officer.serial, officer.pin, role=Role.OFFICER).close()  # signs a head
    proc = _verify_cli(world, world.home, "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    report = json.loads(proc.stdout)
    assert report["valid"] is True and report["problems"] == []
    assert report["heads_checked"] >= 1
    assert 0 < report["signed_size"] <= report["size"]
    assert len(bytes.fromhex(report["root"])) == 32

    proc = _verify_cli(world, world.home)
    assert proc.returncode == 0, proc.stderr
    assert "intact" in proc.stdout and "NOT" not in proc.stdout


def _rows(store: Store) -> dict[int, tuple[str, bytes, bytes]]:
    return {r[0]: (r[1], bytes(r[2]), bytes(r[3]))
            for r in store.all("SELECT seq, entry, leaf, root FROM audit ORDER BY seq")}


def _edit(store: Store) -> set[int]:
    text = _rows(store)[K][0]
    entry = json.loads(text)
    entry["outcome"] = "refused" if entry["outcome"] == "ok" else "ok"
    store.execute("UPDATE audit SET entry = ? WHERE seq = ?", (canonical(entry).decode(), K))
    return {K}


def _edit_and_rehash(store: Store) -> set[int]:
    """A cleverer forger also rewrites the entry's leaf hash."""
    entry = json.loads(_rows(store)[K][0])
    entry["object"] = "someone else"
    text = canonical(entry)
    store.execute("UPDATE audit SET entry = ?, leaf = ? WHERE seq = ?",
                  (text.decode(), merkle.leaf_hash(text), K))
    return {K}


def _delete(store: Store) -> set[int]:
    store.execute("DELETE FROM audit WHERE seq = ?", (K,))
    return {K}


def _insert(store: Store) -> set[int]:
    """Renumber K.. up by one and slip a well-formed forged entry in at K."""
    rows = _rows(store)
    store.execute("UPDATE audit SET seq = -seq WHERE seq >= ?", (K,))
    store.execute("UPDATE audit SET seq = 1 - seq WHERE seq < 0")
    forged = canonical(make_entry(K, None, "approve", "APP-forged", "ok", {"note": "forged"},
                                  time=json.loads(rows[K][0])["time"]))
    leaves = [rows[s][1] for s in range(1, K)] + [merkle.leaf_hash(forged)]
    root = merkle.MerkleLog.from_leaves(leaves).root()
    store.execute("INSERT INTO audit (seq, entry, leaf, root) VALUES (?, ?, ?, ?)",
                  (K, forged.decode(), merkle.leaf_hash(forged), root))
    return {K, K + 1}  # the forgery, or the displaced entry right after it


def _swap(store: Store) -> set[int]:
    rows = _rows(store)
    a, b = K, K + 2
    for x, y in ((a, b), (b, a)):
        store.execute("UPDATE audit SET entry = ?, leaf = ? WHERE seq = ?", (rows[y][0], rows[y][1], x))
    return {a, b}


TAMPERINGS: dict[str, Callable[[Store], set[int]]] = {
    "edit": _edit, "edit-and-rehash": _edit_and_rehash, "delete": _delete, "insert": _insert,
    "swap": _swap,
}


@pytest.mark.parametrize("how", list(TAMPERINGS))
def test_tampering_is_found_and_named(world: DemoWorld, home_copy: Home, how: str) -> None:
    key = store_key_for(home_copy, world.card("officer"))
    store = Store.open(home_copy.db, key)
    try:
        audit = Audit(store)
        certificates = {r[0]: bytes(r[1]) for r in store.all("SELECT cert_sha256, certificate FROM enrollments")}
        before = audit.verify(certificates)
        assert before.ok and before.size > K + 2 and before.signed_size > K + 2
        with store.transaction():
            expected = TAMPERINGS[how](store)
        report = Audit(store).verify(certificates)
    finally:
        store.close()
    assert not report.ok
    named = {seq for seq, _ in report.problems}
    first = min(named)
    assert first in expected, report.problems
    if how == "swap":
        assert expected <= named, report.problems
    if how == "delete":
        assert (K, "missing (deleted)") in report.problems

    proc = _verify_cli(world, home_copy, "--json")  # the auditor can still log in and see it
    assert proc.returncode == 1, proc.stderr
    error_line(proc, 1)
    data = json.loads(proc.stdout)
    assert data["valid"] is False
    assert min(p["seq"] for p in data["problems"]) == first
    proc = _verify_cli(world, home_copy)
    assert proc.returncode == 1
    assert f"#{first}" in error_line(proc, 1)
    assert "NOT intact" in proc.stdout


class _Undo(Exception):
    """Raised to roll a tampering back once its report is read."""


def test_a_log_read_in_small_batches_is_checked_as_one(world: DemoWorld, home_copy: Home, monkeypatch) -> None:
    """Batch edges, and signed heads inside a batch, change nothing: an intact log passes in
    one streaming pass, and every tampering is named exactly as when the log is read whole."""
    import functools

    import station.audit as audit_module
    from station.store.audit_rows import AuditRows

    store = Store.open(home_copy.db, store_key_for(home_copy, world.card("officer")))
    try:
        certificates = {r[0]: bytes(r[1]) for r in store.all("SELECT cert_sha256, certificate FROM enrollments")}
        whole = {}
        for how, tamper in TAMPERINGS.items():
            with pytest.raises(_Undo), store.transaction():
                tamper(store)
                whole[how] = Audit(store).verify(certificates)
                raise _Undo
        exact = []
        monkeypatch.setattr(audit_module, "_exact_pass", lambda *a: exact.append(1) or _exact(*a))
        monkeypatch.setattr(AuditRows, "entry_batches", functools.partialmethod(AuditRows.entry_batches, 2))
        intact = Audit(store).verify(certificates)
        assert intact.ok and intact.signed_size > 2 and not exact
        for how, tamper in TAMPERINGS.items():
            with pytest.raises(_Undo), store.transaction():
                tamper(store)
                assert Audit(store).verify(certificates) == whole[how], how
                raise _Undo
    finally:
        store.close()


def _check_as(home: Home, serial: str, pin: str) -> tuple[AuditReport, dict]:
    """Verify the log as the TUI and the command do; the report and the entry it left."""
    session = login(home, serial, pin, role=Role.AUDITOR)
    try:
        return verify_and_record(session), session.audit.entries()[-1]
    finally:
        session.close()


def test_a_check_is_recorded_with_its_outcome(world: DemoWorld, home_copy: Home) -> None:
    """Both front ends verify through one function, and the log keeps each check and its result."""
    auditor = world.card("auditor")
    report, last = _check_as(home_copy, auditor.serial, auditor.pin)
    assert report.ok
    assert (last["action"], last["outcome"], last["details"]) == ("audit-verify", "ok", {"problems": 0})
    assert last["actor"]["serial"] == auditor.serial

    store = Store.open(home_copy.db, store_key_for(home_copy, world.card("officer")))
    try:
        with store.transaction():
            _edit(store)
    finally:
        store.close()
    report, last = _check_as(home_copy, auditor.serial, auditor.pin)
    assert not report.ok
    assert (last["action"], last["outcome"]) == ("audit-verify", "failed")
    assert last["details"]["problems"] == len(report.problems) > 0


def _export(world: DemoWorld, home: Home, path: Path) -> int:
    auditor = world.card("auditor")
    proc = run_cli(world.env(auditor, home=home), "audit", "export", "--jsonl", str(path), "--by", auditor.serial)
    assert proc.returncode == 0, proc.stderr
    return sum(1 for ln in path.read_text(encoding="utf-8").splitlines() if '"text"' in ln)


def _bundle(world: DemoWorld, home: Home, path: Path) -> dict[str, bytes]:
    """The certificates of the cards the admin-signed bundle names."""
    admin = world.card("admin")
    proc = run_cli(world.env(admin, home=home), "bundle", "export", str(path), "--by", admin.serial)
    assert proc.returncode == 0, proc.stderr
    bundle = load_bundle(path)
    assert bundle.signature_ok
    return {e.cert_sha256: e.certificate for e in bundle.enrolled}


def test_export_verifies_offline_and_tampering_fails(world: DemoWorld, home_copy: Home, tmp_path: Path) -> None:
    export, bundle_file = tmp_path / "audit.jsonl", tmp_path / "bundle.json"
    bundle = _bundle(world, home_copy, bundle_file)
    size = _export(world, home_copy, export)
    report = verify_export(export, bundle)
    assert report.ok, report.problems
    assert report.size == size and report.heads_checked >= 1 and report.signed_size == size
    env = world.env(home=home_copy)
    proc = run_cli(env, "audit", "verify", "--file", str(export), "--bundle", str(bundle_file), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["valid"] is True
    assert "--bundle" in error_line(run_cli(env, "audit", "verify", "--file", str(export)), 2)

    lines = export.read_text(encoding="utf-8").splitlines()
    entries = [i for i, ln in enumerate(lines) if '"text"' in ln]

    edited = list(lines)
    item = json.loads(edited[entries[1]])
    entry = json.loads(item["text"])
    entry["outcome"] = "refused"
    item["text"] = canonical(entry).decode()
    edited[entries[1]] = json.dumps(item, ensure_ascii=False)
    bad = tmp_path / "edited.jsonl"
    bad.write_text("\n".join(edited) + "\n", encoding="utf-8")
    assert not verify_export(bad, bundle).ok
    error_line(run_cli(env, "audit", "verify", "--file", str(bad), "--bundle", str(bundle_file)), 1)

    dropped = [ln for i, ln in enumerate(lines) if i != entries[1]]
    bad.write_text("\n".join(dropped) + "\n", encoding="utf-8")
    report = verify_export(bad, bundle)
    assert not report.ok and (2, "missing (deleted)") in report.problems

    forged_head = [ln.replace('"signature": "', '"signature": "00') if '"head"' in ln else ln
                   for ln in lines]
    bad.write_text("\n".join(forged_head) + "\n", encoding="utf-8")
    assert not verify_export(bad, bundle).ok

    bad.write_text("this is not an export\n", encoding="utf-8")
    error_line(run_cli(env, "audit", "verify", "--file", str(bad), "--bundle", str(bundle_file)), 2)


def test_an_export_cut_short_and_re_signed_by_a_fresh_key_is_invalid(world: DemoWorld, home_copy: Home,
                                                                      tmp_path: Path) -> None:
    """The certificates inside an export are not trusted: entries deleted, the rest
    renumbered and a head re-signed by a fresh key (its certificate added to the file)."""
    import base64
    import hashlib

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from crypto.algorithms import SoftwareSigner
    from station.audit import head_message
    from station.demo import issue_certificate, make_ca

    export, bundle_file = tmp_path / "audit.jsonl", tmp_path / "bundle.json"
    bundle = _bundle(world, home_copy, bundle_file)
    _export(world, home_copy, export)
    texts = [json.loads(ln)["text"] for ln in export.read_text(encoding="utf-8").splitlines() if '"text"' in ln]
    kept = texts[: len(texts) // 2]  # the tail is gone
    log = merkle.MerkleLog()
    for t in kept:
        log.append(merkle.leaf_hash(t.encode()))
    ca_key, ca_der = make_ca("Forger CA")
    key = ec.generate_private_key(ec.SECP256R1())
    pub = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    signer = SoftwareSigner(key, issue_certificate(ca_key, ca_der, pub, cn="auditor", org="t"))
    digest = hashlib.sha256(signer.certificate).hexdigest()
    time = "2026-01-01T00:00:00Z"
    head = {"size": log.size, "root": log.root().hex(), "time": time, "signer": digest,
            "algorithm": signer.algorithm, "signature": signer.sign(head_message(log.size, log.root(), time)).hex()}
    forged = tmp_path / "forged.jsonl"
    forged.write_text("\n".join([json.dumps({"entry": json.loads(t), "text": t}, ensure_ascii=False) for t in kept]
                                + [json.dumps({"head": head}),
                                   json.dumps({"certificate": digest,
                                               "der": base64.b64encode(signer.certificate).decode()})]) + "\n",
                      encoding="utf-8")
    report = verify_export(forged, bundle)
    assert not report.ok and report.heads_checked == 0
    proc = run_cli(world.env(home=home_copy), "audit", "verify", "--file", str(forged), "--bundle", str(bundle_file))
    error_line(proc, 1)


def test_two_sessions_and_a_rolled_back_transaction_keep_one_log(world: DemoWorld, home_copy: Home) -> None:
    """The TUI and a command may both write on one station; a failed transaction that had
    logged an entry rolls it back. Neither may fork the tree or reuse a sequence number."""
    officer, auditor = world.card("officer"), world.card("auditor")
    first = login(home_copy, officer.serial, officer.pin)
    try:
        second = login(home_copy, auditor.serial, auditor.pin)
        try:
            second.log("second-session", "x")
        finally:
            second.close()
        with pytest.raises(RuntimeError):
            with first.store.transaction():
                first.log("rolled-back", "y")
                raise RuntimeError("the ceremony failed after logging")
        seq = first.log("first-session", "z")
        report = first.audit.verify(first.certificates())
        assert report.ok, report.problems
        actions = [e["action"] for e in first.audit.entries()]
        assert "second-session" in actions and "rolled-back" not in actions
        assert actions[-1] == "first-session" and seq == len(actions)
    finally:
        first.close()


def test_entries_carry_the_first_non_loopback_address_and_its_mac(monkeypatch) -> None:
    """Not the host name's lookup (127.0.x.1 on most stations): the interfaces' own."""
    import socket as socket_mod

    from station import audit as audit_mod

    monkeypatch.setattr(audit_mod, "_TERMINAL", None)
    monkeypatch.setattr(socket_mod, "if_nameindex", lambda: [(1, "lo"), (3, "wlan0"), (2, "eth0")])
    addresses = {"lo": "127.0.0.1", "eth0": "10.1.2.3", "wlan0": "192.168.1.9"}
    monkeypatch.setattr(audit_mod, "_interface_ipv4", lambda name: addresses[name])
    monkeypatch.setattr(audit_mod, "_interface_mac", lambda name: {"eth0": "02:00:00:00:00:0e"}.get(name, ""))
    monkeypatch.setattr(socket_mod, "gethostbyname", lambda host: "127.0.1.1")
    info = audit_mod.terminal_info()
    assert (info["ip"], info["mac"]) == ("10.1.2.3", "02:00:00:00:00:0e")
    entry = make_entry(1, None, "login", "x", "ok", {}, "2026-01-01T00:00:00Z")
    assert entry["terminal"]["ip"] == "10.1.2.3"


def test_the_real_interfaces_are_read() -> None:
    import subprocess

    from station.audit import first_interface

    out = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    real = [line.split()[3].split("/")[0] for line in out.splitlines() if " lo " not in line]
    ip, mac = first_interface()
    assert ip in real if real else ip == ""
