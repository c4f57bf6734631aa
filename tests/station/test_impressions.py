"""The impression library: one active impression per seal, ciphertext only in the store,
destroy is for ever (checked down to the decrypted pages of the database file), search,
roles, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crypto import envelope
from station import applications, impressions, keys
from station.errors import InputError, PolicyError
from tests.helpers import DemoWorld, error_line, run_cli
from tests.station.test_applications import as_card, enter, last_entries, unit_name

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def approved(world: DemoWorld, unit: str, name: str | None = None, n: int = 1) -> list[int]:
    """Enter and approve ``n`` applications for (unit, name); returns the impression ids."""
    ids = [enter(world, unit, name=name) for _ in range(n)]
    with as_card(world, "supervisor") as boss:
        return [applications.approve(boss, app_id).impression.id for app_id in ids]


def decrypted_pages(db: Path, key: bytes) -> list[bytes]:
    """Every page of a SQLCipher 4 file decrypted by hand (AES-256-CBC, IV in the page's
    reserved tail): what someone holding the store key could read, free pages included."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    data, size, reserve = db.read_bytes(), 4096, 80
    pages = []
    for offset in range(0, len(data), size):
        page = data[offset:offset + size]
        iv = page[size - reserve:size - reserve + 16]
        body = page[16 if offset == 0 else 0:size - reserve]
        dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        pages.append(dec.update(body) + dec.finalize())
    return pages


def test_two_approvals_leave_exactly_one_active(world: DemoWorld) -> None:
    unit = unit_name()
    first, second = approved(world, unit, n=2)
    with as_card(world, "officer") as officer:
        rows = impressions.search(officer, unit=unit)
        assert [(i.id, i.state) for i in rows] == [(second, "active"), (first, "disabled")]
        assert [i.id for i in impressions.search(officer, unit=unit, state="active")] == [second]
        assert impressions.active_for(officer, unit, unit).id == second
        assert "replaced" in (impressions.get(officer, first).reason or "")
        with pytest.raises(PolicyError) as caught:
            impressions.plaintext(officer, first)
        assert caught.value.reason == "impression-not-active"
        assert impressions.plaintext(officer, second).startswith(PNG_MAGIC)
        active = officer.store.one("SELECT count(*) FROM impressions WHERE unit = ? AND seal_name = ?"
                                   " AND state = 'active'", (unit, unit))[0]
        assert active == 1
    entries = last_entries(world, 25)
    assert any(e["action"] == "impression-disable" and e["object"] == str(first)
               and e["details"]["reason"] == "replaced" for e in entries)
    assert any(e["action"] == "impression-use" and e["outcome"] == "refused" for e in entries)


def test_the_store_holds_ciphertext_only(world: DemoWorld) -> None:
    unit = unit_name()
    pending = enter(world, unit, name=f"{unit}待审")
    (imp_id,) = approved(world, unit)
    with as_card(world, "officer") as officer:
        png = impressions.plaintext(officer, imp_id)
        wrapped, blob = officer.store.one("SELECT wrapped_key, blob FROM impression_blobs WHERE impression_id = ?",
                                          (imp_id,))
        upload_key, upload = officer.store.one("SELECT upload_key, upload FROM applications WHERE id = ?",
                                               (pending,))
        for stored in (bytes(blob), bytes(upload)):
            assert PNG_MAGIC not in stored and b"IHDR" not in stored and b"IDAT" not in stored
            assert png[8:64] not in stored
        for column in officer.store.all("SELECT * FROM impressions WHERE id = ?", (imp_id,))[0]:
            assert not (isinstance(column, bytes) and PNG_MAGIC in column)
        # It opens with the library key, the data key and the right id — and only so.
        library = keys.library_key(officer.master)
        data_key = envelope.open_(library, bytes(wrapped), f"seal-station/impression-key/{imp_id}".encode())
        assert envelope.open_(data_key, bytes(blob), f"seal-station/impression/{imp_id}".encode()) == png
        with pytest.raises(envelope.EnvelopeError):
            envelope.open_(data_key, bytes(blob), f"seal-station/impression/{imp_id + 1}".encode())
        with pytest.raises(envelope.EnvelopeError):
            envelope.open_(keys.store_key(officer.master), bytes(wrapped),
                           f"seal-station/impression-key/{imp_id}".encode())
        assert len(bytes(wrapped)) == 12 + 32 + 16  # nonce, data key, tag


def test_destroyed_is_gone_for_good(world: DemoWorld) -> None:
    unit = unit_name()
    (imp_id,) = approved(world, unit)
    with as_card(world, "officer") as officer:
        wrapped, blob = (bytes(v) for v in officer.store.one(
            "SELECT wrapped_key, blob FROM impression_blobs WHERE impression_id = ?", (imp_id,)))
        store_key = keys.store_key(officer.master)
        pages = decrypted_pages(world.home.db, store_key)
        assert any(wrapped in p for p in pages)  # the page check can see it while it exists
        gone = impressions.destroy(officer, imp_id, "unit dissolved")
        assert (gone.state, gone.reason) == ("destroyed", "unit dissolved")
        assert officer.store.one("SELECT wrapped_key, blob FROM impression_blobs WHERE impression_id = ?",
                                 (imp_id,)) == (None, None)
        assert impressions.search(officer, unit=unit)[0].state == "destroyed"
        for use in (impressions.plaintext, impressions.preview):
            with pytest.raises(PolicyError):
                use(officer, imp_id)
        with pytest.raises(PolicyError) as caught:
            impressions.destroy(officer, imp_id)
        assert caught.value.reason == "already-destroyed"
    # Even with the master key nothing decrypts: no page of the file, free ones included,
    # holds the wrapped data key or the ciphertext any more.
    for page in decrypted_pages(world.home.db, store_key):
        assert wrapped not in page and blob[:48] not in page and blob[-48:] not in page
    destroyed = [e for e in last_entries(world) if e["action"] == "impression-destroy" and e["outcome"] == "ok"]
    assert destroyed[-1]["object"] == str(imp_id) and destroyed[-1]["details"]["was"] == "active"


def test_disable_then_nothing_can_use_it(world: DemoWorld) -> None:
    unit = unit_name()
    (imp_id,) = approved(world, unit)
    with as_card(world, "supervisor", 1) as boss:
        assert impressions.disable(boss, imp_id, "seal no longer used").state == "disabled"
        with pytest.raises(PolicyError) as caught:
            impressions.disable(boss, imp_id)
        assert caught.value.reason == "not-active"
        with pytest.raises(PolicyError):
            impressions.plaintext(boss, imp_id)
        assert impressions.preview(boss, imp_id).startswith(PNG_MAGIC)  # still viewable, never usable
        assert impressions.active_for(boss, unit, unit) is None
        assert impressions.destroy(boss, imp_id).state == "destroyed"


def test_roles(world: DemoWorld) -> None:
    unit = unit_name()
    (imp_id,) = approved(world, unit)
    with as_card(world, "admin") as admin:
        assert [i.id for i in impressions.search(admin, unit=unit)] == [imp_id]
        for change in (impressions.disable, impressions.destroy):
            with pytest.raises(PolicyError) as caught:
                change(admin, imp_id)
            assert caught.value.reason == "role"
    with as_card(world, "auditor") as auditor:
        with pytest.raises(PolicyError):
            impressions.search(auditor)
        with pytest.raises(PolicyError):
            impressions.preview(auditor, imp_id)
        assert impressions.get(auditor, imp_id).state == "active"


def test_search_by_unit_name_state_and_date(world: DemoWorld) -> None:
    unit = unit_name()
    odd = f"{unit}Co.100%_章"
    a, b = approved(world, unit, name=f"{unit}合同专用章", n=2)
    (c,) = approved(world, unit, name=odd)
    with as_card(world, "officer") as officer:
        assert [i.id for i in impressions.search(officer, unit=unit[2:8])] == [c, b, a]
        assert [i.id for i in impressions.search(officer, unit=unit, name="合同")] == [b, a]
        assert [i.id for i in impressions.search(officer, name="100%_")] == [c]  # % and _ are literal
        assert [i.id for i in impressions.search(officer, name="co.100%_")] == [c]  # Latin: any case
        assert impressions.search(officer, name=f"{unit}1000") == []
        assert impressions.search(officer, name="co.100x") == [] and impressions.search(officer, name="Co_") == []
        assert [i.id for i in impressions.search(officer, unit=unit, state="disabled")] == [a]
        when = impressions.get(officer, a).imported_at
        day = when[:10]
        assert {a, b, c} <= {i.id for i in impressions.search(officer, since=day, until=day, limit=10_000)}
        assert impressions.search(officer, unit=unit, until="2000-01-01") == []
        assert [i.id for i in impressions.search(officer, unit=unit, since=impressions.get(officer, c).imported_at)] == [c]
        assert len(impressions.search(officer, unit=unit, limit=1)) == 1
        for bad in (dict(state="lost"), dict(since="yesterday"), dict(limit=0)):
            with pytest.raises(InputError):
                impressions.search(officer, **bad)  # type: ignore[arg-type]
        with pytest.raises(InputError):
            impressions.get(officer, 10**9)


def test_search_answers_the_same_from_the_kept_index_and_a_rebuilt_one(world: DemoWorld) -> None:
    unit = unit_name()
    approved(world, unit, name=f"{unit}合同专用章", n=3)  # each approval disables the one before
    queries = [dict(unit=unit), dict(unit=unit, limit=2), dict(name="合同"), dict(name="合同", limit=3),
               dict(unit="有限公司", state="active", limit=5), dict(unit="示例科技"), dict(name="no such seal"),
               dict(unit="公司", name="章", state="disabled", since="2000-01-01", limit=4)]
    with as_card(world, "officer") as officer:
        kept = [impressions.search(officer, **q) for q in queries]  # type: ignore[arg-type]
        with officer.store.transaction():  # as an older station's library: indexed at the next search
            officer.store.execute("INSERT INTO impression_words (impression_words) VALUES ('delete-all')")
            officer.store.execute("DELETE FROM meta WHERE key = 'impression_words'")
        rebuilt = [impressions.search(officer, **q) for q in queries]  # type: ignore[arg-type]
    assert rebuilt == kept
    assert [len(r) for r in kept[:2]] == [3, 2] and kept[6] == []
    assert [i.state for i in kept[0]] == ["active", "disabled", "disabled"]


def test_every_preview_is_audited(world: DemoWorld) -> None:
    (imp_id,) = approved(world, unit_name())
    with as_card(world, "officer") as officer:
        assert impressions.preview(officer, imp_id).startswith(PNG_MAGIC)
    assert any(e["action"] == "impression-view" and e["object"] == str(imp_id) for e in last_entries(world))


def test_cli_search_disable_destroy(world: DemoWorld, tmp_path: Path) -> None:
    officer = world.card("officer")
    env = world.env(officer)
    unit = unit_name()
    first, second = approved(world, unit, n=2)
    proc = run_cli(env, "impressions", "--unit", unit, "--by", officer.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [(r["id"], r["state"]) for r in rows] == [(second, "active"), (first, "disabled")]
    assert {"unit", "seal_name", "seal_kind", "width_mm", "height_mm", "original_sha256", "png_sha256",
            "imported_at", "application_id"} <= set(rows[0])
    error_line(run_cli(env, "impression", "disable", str(first), "--by", officer.serial), 1)  # not active
    proc = run_cli(env, "impression", "destroy", str(first), "--reason", "obsolete", "--by", officer.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"impression": first, "state": "destroyed"}
    proc = run_cli(env, "impression", "disable", str(second), "--by", officer.serial)
    assert proc.returncode == 0 and "disabled" in proc.stdout
    proc = run_cli(env, "impressions", "--name", unit, "--state", "destroyed", "--by", officer.serial)
    assert proc.returncode == 0 and str(first) in proc.stdout and "destroyed" in proc.stdout
    error_line(run_cli(env, "impressions", "--since", "soon", "--by", officer.serial), 2)
    error_line(run_cli(env, "impressions", "--unit", unit), 2)  # the store needs a card
    error_line(run_cli(env, "impression", "destroy", "99999999", "--by", officer.serial), 2)
