"""Schema migrations: an ordered list, applied once each, recorded in user_version."""

from __future__ import annotations

from typing import Any, Callable

from station.store import impression_words

__all__ = ["MIGRATIONS", "migrate"]

MIGRATIONS: list[str | Callable[[Any], None]] = [
    # 1: foundation — enrollments, audit log with signed tree heads, station secrets
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE enrollments (
        cert_sha256 TEXT PRIMARY KEY, serial TEXT NOT NULL, role TEXT NOT NULL,
        name TEXT NOT NULL, certificate BLOB NOT NULL, enrolled_at TEXT NOT NULL,
        removed_at TEXT);
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY, entry TEXT NOT NULL, leaf BLOB NOT NULL, root BLOB NOT NULL);
    CREATE TABLE tree_heads (
        size INTEGER NOT NULL, root BLOB NOT NULL, time TEXT NOT NULL,
        signer_cert_sha256 TEXT NOT NULL, algorithm TEXT NOT NULL, signature BLOB NOT NULL);
    CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
    """,
    # seals made here and their issuance (the making ceremony)
    """
    CREATE TABLE seals (
        esid TEXT PRIMARY KEY, application_id INTEGER NOT NULL, seal_der BLOB NOT NULL,
        seal_sha256 TEXT NOT NULL, card_serial TEXT NOT NULL, card_cert_sha256 TEXT NOT NULL,
        name TEXT NOT NULL, unit TEXT NOT NULL, seal_kind TEXT NOT NULL,
        valid_start TEXT NOT NULL, valid_end TEXT NOT NULL, made_at TEXT NOT NULL,
        officer_cert_sha256 TEXT NOT NULL, functions TEXT NOT NULL, state TEXT NOT NULL);
    CREATE INDEX seals_card ON seals (card_serial);
    CREATE TABLE issuances (
        id INTEGER PRIMARY KEY, esid TEXT NOT NULL REFERENCES seals (esid), recipient TEXT NOT NULL,
        issued_at TEXT NOT NULL, officer_cert_sha256 TEXT NOT NULL, supervisors TEXT NOT NULL,
        digest TEXT NOT NULL, receipt TEXT);
    """,
    # applications and the encrypted impression library. Impression metadata
    # and ciphertext live in separate tables so that a search never reads a page of
    # ciphertext; "one active impression per (unit, seal name)" is a unique index.
    """
    CREATE TABLE applications (
        id INTEGER PRIMARY KEY, seal_kind TEXT NOT NULL, unit TEXT NOT NULL, credit_code TEXT,
        seal_name TEXT NOT NULL, purpose TEXT NOT NULL DEFAULT '', holder_name TEXT,
        holder_id_type TEXT, holder_id TEXT,
        state TEXT NOT NULL CHECK (state IN ('submitted', 'approved', 'rejected', 'made')),
        impression_id INTEGER, entered_by TEXT NOT NULL, entered_by_name TEXT NOT NULL,
        submitted_at TEXT NOT NULL, decided_by TEXT, decided_by_name TEXT, decided_at TEXT,
        reason TEXT, esid TEXT, made_at TEXT, width_mm INTEGER NOT NULL, height_mm INTEGER NOT NULL,
        width_px INTEGER NOT NULL, height_px INTEGER NOT NULL, original_sha256 TEXT NOT NULL,
        png_sha256 TEXT NOT NULL, source_format TEXT NOT NULL,
        upload_key BLOB, upload BLOB);
    CREATE INDEX applications_state ON applications (state, id);
    CREATE INDEX applications_unit ON applications (unit, seal_name);
    CREATE TABLE impressions (
        id INTEGER PRIMARY KEY, application_id INTEGER NOT NULL REFERENCES applications (id),
        unit TEXT NOT NULL, seal_name TEXT NOT NULL, seal_kind TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('active', 'disabled', 'destroyed')),
        width_mm INTEGER NOT NULL, height_mm INTEGER NOT NULL, width_px INTEGER NOT NULL,
        height_px INTEGER NOT NULL, original_sha256 TEXT NOT NULL, png_sha256 TEXT NOT NULL,
        source_format TEXT NOT NULL, imported_at TEXT NOT NULL, imported_by TEXT NOT NULL,
        changed_at TEXT, changed_by TEXT, reason TEXT);
    CREATE UNIQUE INDEX impressions_one_active ON impressions (unit, seal_name) WHERE state = 'active';
    CREATE INDEX impressions_search ON impressions (unit, seal_name, state, imported_at, id);
    CREATE INDEX impressions_app ON impressions (application_id);
    CREATE INDEX impressions_state ON impressions (state, id);
    CREATE INDEX impressions_time ON impressions (imported_at);
    CREATE TABLE impression_blobs (
        impression_id INTEGER PRIMARY KEY REFERENCES impressions (id),
        wrapped_key BLOB, blob BLOB);
    """,
    # the receipt number, reserved before the supervisors co-sign the claims
    """
    ALTER TABLE issuances ADD COLUMN number INTEGER;
    CREATE UNIQUE INDEX issuances_number ON issuances (number) WHERE number IS NOT NULL;
    """,
    # the authenticated copy of the station's settings, trust anchors, card marks and
    # PIN counts: the files in the home are compared against it at every login
    """
    CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # one seal per card: a card is reserved, in a write transaction, before its seal is
    # written; the reservation keeps everything needed to record the seal, so a card left
    # written but unrecorded is settled from it. The partial unique indexes allow one
    # ceremony in flight per card and per application. The store's instance id names the
    # witnesses the cards keep of this store (a copy shares it, so a rollback is caught).
    """
    CREATE TABLE reservations (
        id INTEGER PRIMARY KEY, card_serial TEXT NOT NULL, application_id INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('writing', 'recorded', 'released')),
        esid TEXT NOT NULL, seal_der BLOB NOT NULL, record TEXT NOT NULL,
        started_at TEXT NOT NULL, started_by TEXT NOT NULL, ended_at TEXT, outcome TEXT);
    CREATE UNIQUE INDEX reservations_card ON reservations (card_serial) WHERE state = 'writing';
    CREATE UNIQUE INDEX reservations_application ON reservations (application_id) WHERE state = 'writing';
    INSERT OR IGNORE INTO meta (key, value) VALUES ('instance', lower(hex(randomblob(16))));
    """,
    # the life of a seal: the registry (a narrow projection of seals, so a search never
    # reads a seal's DER; its words index answers substring searches), state events with
    # their receipts, renewal links, authorizations of use
    """
    CREATE TABLE registry (
        id INTEGER PRIMARY KEY, esid TEXT NOT NULL UNIQUE REFERENCES seals (esid), unit TEXT NOT NULL,
        name TEXT NOT NULL, seal_kind TEXT NOT NULL, card_serial TEXT NOT NULL, state TEXT NOT NULL,
        made_at TEXT NOT NULL, valid_end TEXT NOT NULL, recipient TEXT NOT NULL, renews TEXT, renewed_by TEXT,
        state_reason TEXT, state_at TEXT, functions TEXT NOT NULL, application_id INTEGER NOT NULL,
        indexed INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX registry_state ON registry (state);
    CREATE INDEX registry_card ON registry (card_serial);
    CREATE INDEX registry_unit_name ON registry (unit, name, state);
    CREATE INDEX registry_unindexed ON registry (id) WHERE indexed = 0;
    CREATE VIRTUAL TABLE registry_words USING fts5(unit, name, content='', prefix='2,6');
    CREATE INDEX issuances_esid ON issuances (esid);
    CREATE TABLE seal_events (
        id INTEGER PRIMARY KEY, esid TEXT NOT NULL REFERENCES seals (esid), action TEXT NOT NULL,
        from_state TEXT NOT NULL, to_state TEXT NOT NULL, reason_code TEXT NOT NULL, reason TEXT NOT NULL,
        time TEXT NOT NULL, actor_cert_sha256 TEXT NOT NULL, actor_name TEXT NOT NULL,
        supervisors TEXT NOT NULL DEFAULT '[]', receipt TEXT);
    CREATE INDEX seal_events_esid ON seal_events (esid, id);
    CREATE TABLE renewals (
        application_id INTEGER PRIMARY KEY REFERENCES applications (id),
        old_esid TEXT NOT NULL UNIQUE REFERENCES seals (esid), new_esid TEXT UNIQUE);
    CREATE TABLE authorizations (
        id INTEGER PRIMARY KEY, esid TEXT NOT NULL REFERENCES seals (esid), person TEXT, person_id TEXT,
        role TEXT, functions TEXT NOT NULL, granted_at TEXT NOT NULL, granted_by TEXT NOT NULL,
        automatic INTEGER NOT NULL DEFAULT 0, removed_at TEXT, removed_by TEXT);
    CREATE INDEX authorizations_esid ON authorizations (esid, id);
    """,
    # the audit log's desk: filter columns with indexes, daily counts for statistics, and
    # per-card PIN facts. Filters and statistics never parse JSON and never scan the log.
    """
    ALTER TABLE audit ADD COLUMN time TEXT;
    ALTER TABLE audit ADD COLUMN action TEXT;
    ALTER TABLE audit ADD COLUMN actor TEXT;
    ALTER TABLE audit ADD COLUMN outcome TEXT;
    ALTER TABLE audit ADD COLUMN unit TEXT;
    UPDATE audit SET time = json_extract(entry, '$.time'), action = json_extract(entry, '$.action'),
        actor = json_extract(entry, '$.actor.serial'), outcome = json_extract(entry, '$.outcome'),
        unit = COALESCE(json_extract(entry, '$.details.unit'),
                        (SELECT unit FROM seals WHERE esid = json_extract(entry, '$.object')));
    CREATE INDEX audit_time ON audit (time);
    CREATE INDEX audit_action ON audit (action, time);
    CREATE INDEX audit_actor ON audit (actor, time);
    CREATE INDEX audit_outcome ON audit (outcome, time);
    CREATE INDEX audit_unit ON audit (unit, time);
    CREATE TABLE audit_daily (
        day TEXT NOT NULL, unit TEXT NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (day, unit, kind)) WITHOUT ROWID;
    INSERT INTO audit_daily (day, unit, kind, n)
        SELECT substr(time, 1, 10), COALESCE(unit, ''), kind, count(*) FROM (
            SELECT time, unit, 'seals_made' AS kind FROM audit WHERE action = 'make' AND outcome = 'ok'
            UNION ALL SELECT time, unit, 'lifecycle' FROM audit WHERE outcome = 'ok' AND action IN
                ('freeze', 'unfreeze', 'report-lost', 'revoke', 'renew')
            UNION ALL SELECT time, unit, 'refusals' FROM audit WHERE outcome = 'refused'
            UNION ALL SELECT time, unit, 'wrong_pins' FROM audit
                WHERE json_extract(entry, '$.details.reason') = 'wrong PIN'
            UNION ALL SELECT time, unit, 'logins' FROM audit WHERE action = 'login' AND outcome = 'ok')
        GROUP BY 1, 2, 3;
    CREATE TABLE card_pins (
        serial TEXT PRIMARY KEY, changed_at TEXT NOT NULL, must_change INTEGER NOT NULL DEFAULT 0)
    """,
]


def _impression_words(store: Any) -> None:
    """The impression library's words index (substring search at 100,000 impressions),
    built for the impressions already there."""
    store.execute(impression_words.CREATE)
    impression_words.index_after(store, 0)


MIGRATIONS.append(_impression_words)


def migrate(store: Any) -> int:
    """Bring the schema up to date inside the caller's transaction; returns the version."""
    version = store.one("PRAGMA user_version")[0]
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        if callable(script):
            script(store)
            store.execute(f"PRAGMA user_version = {number}")
            continue
        for statement in filter(str.strip, script.split(";")):
            store.execute(statement)
        store.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)
