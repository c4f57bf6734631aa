"""Shared fixtures for the crypto tests: the real seal files and a small test PKI.

Keys are made once per session: RSA-2048 generation is the slow part of these tests
and nothing mutates an identity.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from crypto.testkeys import Identity, issue, make_ca
from tests.helpers import fixtures_dir

KINDS = ("ec", "rsa", "sm2")


def load_fixture(name: str) -> bytes:
    return (fixtures_dir() / name).read_bytes()


@pytest.fixture(scope="session")
def world() -> dict[str, dict[str, Identity]]:
    """Per key kind: a CA, an officer (seal maker) and a seal card, plus a stranger CA."""
    now = datetime.now(timezone.utc)
    out: dict[str, dict[str, Identity]] = {}
    for kind in KINDS:
        ca = make_ca(kind, f"Test CA {kind}")
        out[kind] = {
            "ca": ca,
            "officer": issue(ca, kind, f"Officer {kind}"),
            "card": issue(ca, kind, f"Seal card {kind}"),
            "stranger": make_ca(kind, f"Stranger CA {kind}"),
            "old_officer": issue(
                ca,
                kind,
                f"Old officer {kind}",
                not_before=now - timedelta(days=800),
                not_after=now - timedelta(days=400),
            ),
        }
    return out
