"""The store's repositories: what each promises the services, on a fresh encrypted store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from station.errors import StateError
from station.model import (Application, ApplicationState, AuditRow, CoSignature, Enrollment, Impression,
                           ImpressionState, Issuance, Role, Seal, TreeHead)
from station.store.applications import Applications
from station.store.audit_rows import AuditRows
from station.store.counters import Counters, Meta, Secrets
from station.store.db import Store
from station.store.enrollments import Enrollments
from station.store.impressions import ImpressionQuery, Impressions
from station.store.keyslots import CardSlot, KeySlots
from station.store.seals import Seals

KEY = os.urandom(32)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "station.db", KEY, create=True)
    yield s
    s.close()


def _enrollment(n: int, role: Role = Role.OFFICER) -> Enrollment:
    return Enrollment(f"CARD-{n}", f"{n:064x}", role, f"Person {n}", bytes([n]) * 10, f"2026-01-0{n}T00:00:00+00:00")


def test_counters_start_at_one_count_apart_and_persist(tmp_path: Path) -> None:
    s = Store.open(tmp_path / "c.db", KEY, create=True)
    counters = Counters(s)
    assert [counters.next_value("receipt-seq") for _ in range(3)] == [1, 2, 3]
    assert counters.next_value("esid-seq-2026") == 1
    s.close()
    again = Store.open(tmp_path / "c.db", KEY)
    try:
        assert Counters(again).next_value("receipt-seq") == 4
        assert Meta(again).get("esid-seq-2026") == "1"
    finally:
        again.close()


def test_counter_rolls_back_with_the_outer_transaction(store: Store) -> None:
    counters = Counters(store)
    counters.next_value("receipt-seq")
    with pytest.raises(RuntimeError), store.transaction():
        assert counters.next_value("receipt-seq") == 2
        raise RuntimeError("ceremony failed")
    assert counters.next_value("receipt-seq") == 2


def test_meta_and_secrets(store: Store) -> None:
    assert Meta(store).get("station_id") is None
    Meta(store).put("station_id", "ST-1")
    assert Meta(store).get("station_id") == "ST-1"
    Secrets(store).add("audit-inbox", b"\x00secret")
    assert Secrets(store).get("audit-inbox") == b"\x00secret"
    assert Secrets(store).get("other") is None


def test_enrollments_active_excludes_removed_cards_but_keeps_their_certificates(store: Store) -> None:
    repo = Enrollments(store)
    repo.add(_enrollment(2, Role.SUPERVISOR))
    repo.add(_enrollment(1, Role.ADMIN))
    assert repo.active(_enrollment(2).cert_sha256) == _enrollment(2, Role.SUPERVISOR)
    assert [e.serial for e in repo.all()] == ["CARD-1", "CARD-2"]  # oldest first
    store.execute("UPDATE enrollments SET removed_at = '2026-02-01' WHERE serial = 'CARD-2'")
    assert repo.active(_enrollment(2).cert_sha256) is None
    assert repo.all()[1].removed_at == "2026-02-01"
    assert repo.certificates() == {e.cert_sha256: e.certificate for e in (_enrollment(1), _enrollment(2))}


def _seal(esid: str, made: str) -> Seal:
    return Seal(esid, 7, "ab" * 32, "SEAL-1", "cd" * 32, "示例章", "示例单位", "official", made, "2030-01-01", made,
                _enrollment(1).cert_sha256, ("office", "web"))


def test_seals_round_trip_with_issuance_and_officer_name(store: Store) -> None:
    Enrollments(store).add(_enrollment(1))
    repo = Seals(store)
    sups = (CoSignature("SUP-1", "ef" * 32, "Zhao Min", "1.2.840.10045.4.3.2", b"\x30\x06sig"),)
    for n in (1, 2):
        esid = f"ST-2026-00000{n}"
        repo.add(_seal(esid, f"2026-03-0{n}T00:00:00+00:00"),
                 b"DER" + bytes([n]), Issuance(esid, "王芳", f"2026-03-0{n}T01:00:00+00:00",
                                               _enrollment(1).cert_sha256, sups, "00" * 32))
    record = repo.issued("ST-2026-000001")
    assert record is not None
    assert record.seal == _seal("ST-2026-000001", "2026-03-01T00:00:00+00:00")
    assert record.issuance.supervisors == sups and record.issuance.receipt is None
    assert record.officer_name == "Person 1"
    assert [r.seal.esid for r in repo.recent(10)] == ["ST-2026-000002", "ST-2026-000001"]
    assert [r.seal.esid for r in repo.recent(1)] == ["ST-2026-000002"]
    assert repo.der("ST-2026-000002") == b"DER\x02"
    repo.set_receipt("ST-2026-000001", "SSR1:TEXT")
    assert repo.issued("ST-2026-000001").issuance.receipt == "SSR1:TEXT"
    assert repo.issued("nope") is None and repo.der("nope") is None


def _application(unit: str = "示例单位") -> Application:
    return Application(id=0, seal_kind="official", unit=unit, credit_code=None, seal_name=unit, purpose="",
                       holder_name=None, holder_id_type=None, holder_id=None,
                       state=ApplicationState.SUBMITTED.value, impression_id=None, entered_by="aa" * 32,
                       entered_by_name="Officer", submitted_at="2026-01-01T00:00:00Z", width_mm=42, height_mm=42,
                       original_sha256="11" * 32, png_sha256="22" * 32, width_px=320, height_px=320,
                       source_format="jpeg")


def test_applications_are_decided_once_and_made_only_when_approved(store: Store) -> None:
    repo = Applications(store)
    first, second = repo.add(_application()), repo.add(_application("其他单位"))
    assert repo.get(first) == Application(**{**_application().__dict__, "id": first})
    assert [a.id for a in repo.list(unit="其他单位")] == [second]
    assert [a.id for a in repo.list(state="submitted")] == [first, second]
    assert repo.list(unit="") == [] and repo.list(limit=1)[0].id == first
    repo.set_upload(first, b"key", b"blob")
    assert repo.upload(first) == (b"key", b"blob")
    assert not repo.mark_made(first, "ST-1", "2026-01-02")  # not approved yet
    assert repo.decide(first, ApplicationState.APPROVED, "bb" * 32, "Boss", "2026-01-02", impression_id=5)
    assert not repo.decide(first, ApplicationState.REJECTED, "bb" * 32, "Boss", "2026-01-02", reason="late")
    repo.shred_upload(first)
    assert repo.upload(first) == (None, None)
    assert repo.mark_made(first, "ST-1", "2026-01-03")
    made = repo.get(first)
    assert (made.state, made.impression_id, made.esid, made.decided_by_name) == ("made", 5, "ST-1", "Boss")
    with pytest.raises(ValueError):
        repo.decide(second, ApplicationState.APPROVED, "bb" * 32, "Boss", "now", esid="ST-9")
    assert repo.get(999) is None


def _impression(unit: str, name: str, when: str) -> Impression:
    return Impression(id=0, unit=unit, seal_name=name, seal_kind="official", state=ImpressionState.ACTIVE.value,
                      width_mm=42, height_mm=42, original_sha256="11" * 32, png_sha256="22" * 32, imported_at=when,
                      application_id=1, imported_by="aa" * 32)


def test_impression_search_matches_substrings_dates_and_states(store: Store) -> None:
    repo = Impressions(store)
    Applications(store).add(_application())  # every impression comes from an application (id 1)
    names = ["示例科技有限公司", "Acme 100% Ltd", "acme_tools", "华东贸易", "示例科技二公司"]
    ids = [repo.add(_impression(n, n, f"2026-01-0{i + 1}T00:00:00.000Z")) for i, n in enumerate(names)]

    def found(**query: str | None) -> list[int]:
        return [i.id for i in repo.search(ImpressionQuery(**query), 10)]

    assert found(unit="科技") == [ids[4], ids[0]]
    assert found(name="ACME") == [ids[2], ids[1]]  # Latin letters fold case
    assert found(name="100%") == [ids[1]] and found(name="e_t") == [ids[2]]  # wildcards are literal
    assert found(since="2026-01-04", until="2026-01-05") == [ids[3]]
    imp = repo.get(ids[0])
    assert repo.set_state(imp, ImpressionState.DISABLED, "old", "2026-02-01", "bb" * 32)
    assert not repo.set_state(imp, ImpressionState.DESTROYED, None, "2026-02-01", "bb" * 32)  # stale read
    assert repo.active_for("示例科技有限公司", "示例科技有限公司") is None
    assert repo.search(ImpressionQuery(state="disabled"), 10)[0].reason == "old"


def test_impression_pictures_are_shredded(store: Store) -> None:
    repo = Impressions(store)
    Applications(store).add(_application())
    new = repo.add(_impression("单位", "单位", "2026-01-01T00:00:00.000Z"))
    repo.add_picture(new, b"wrapped", b"cipher")
    assert repo.picture(new) == (b"wrapped", b"cipher")
    repo.shred_picture(new)
    assert repo.picture(new) == (None, None)
    assert repo.picture(999) == (None, None)


def test_audit_rows_and_heads(store: Store) -> None:
    repo = AuditRows(store)
    assert repo.last() is None and repo.leaves() == []
    for seq in (1, 2):
        repo.add(AuditRow(seq, f'{{"seq":{seq}}}', bytes([seq]) * 32, bytes([9 + seq]) * 32))
    assert repo.last() == (2, bytes([11]) * 32)
    assert repo.leaves() == [(1, bytes([1]) * 32), (2, bytes([2]) * 32)]
    assert repo.texts() == ['{"seq":1}', '{"seq":2}'] and repo.rows()[0].root == bytes([10]) * 32
    late, early = (TreeHead(2, b"r" * 32, t, "aa" * 32, "alg", b"sig") for t in ("2026-02", "2026-01"))
    repo.add_head(late)
    repo.add_head(early)
    assert repo.heads() == [early, late]


def test_keyslots_keep_their_file_shape_and_refuse_a_damaged_one() -> None:
    data = {"station_id": "ST-1", "slots": {"aa": {"serial": "C1", "role": "officer", "name": "Wang Fang",
                                                   "cert_sha256": "aa", "certificate": "MIIB",
                                                   "slot": {"kind": "ecdh-es"}}},
            "recovery": {"kind": "argon2id"}, "inbox": "MFkw"}
    slots = KeySlots.from_json(data)
    assert slots.to_json() == data
    assert slots.for_cert("aa").role is Role.OFFICER and slots.serials() == {"C1"}
    more = slots.with_slot(CardSlot("C2", Role.ADMIN, "Li", "bb", "MIIC", {}))
    assert more.roles() == {"aa": Role.OFFICER, "bb": Role.ADMIN} and slots.for_cert("bb") is None
    assert KeySlots.from_json({}).slots == {}
    for damaged in ([], {"slots": {"aa": {"serial": "C1"}}}, {"slots": {"aa": {**data["slots"]["aa"], "role": "x"}}},
                    {"recovery": "text"}):
        with pytest.raises(StateError) as caught:
            KeySlots.from_json(damaged)
        assert "keyslots.json" in caught.value.message


def test_services_hold_no_sql() -> None:
    """SQL lives in station/store/ only: a service that needs a new query adds a repository method."""
    import ast
    import re

    root = Path(__file__).resolve().parents[2] / "station"
    statement = re.compile(r"\b(SELECT \S.* FROM|INSERT (OR \w+ )?INTO|UPDATE \w+ SET|DELETE FROM|PRAGMA \w+)\b")
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).parts[0] == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and statement.search(node.value):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
            elif (isinstance(node, ast.Attribute) and node.attr in {"execute", "one", "all"}
                  and isinstance(node.value, ast.Attribute) and node.value.attr == "store"):
                found.append(f"{path.relative_to(root)}:{node.lineno} .store.{node.attr}")
    assert found == []
