"""`python -m tests.bench.verify`: seal verification beside the raw signature check.

A registry or an auditor checking thousands of seals waits on this. Each row is the
rate of ``station.verify.verify_bytes`` (what `seal verify --json` runs: parse, load
the certificates, check the maker's signature, the period, build the verdict) beside
its floor, the raw signature verify of the same library with the same key over the
same signed bytes (``crypto.algorithms.verify_signature``). The goal is >= 0.8x.

* v4 ECDSA P-256: a seal made as the station makes one (the maker a CA-issued P-256
  officer certificate, the seal card's certificate in the certList, a demo impression,
  the authorized functions in extDatas), signed in software so no SoftHSM is needed;
* v4 SM2: the shared fixture UserV4.esl (a vendor seal, SM2-with-SM3), judged inside
  its period;
* v4 ECDSA P-256 with the chain checked against the trust anchor (three signatures:
  the seal and two certificates), for information.

``--profile`` prints where the time of each verification goes (cProfile, by cumulative
time).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

GOAL = 0.8


def _rate(fn: Callable[[], Any], seconds: float = 1.5) -> float:
    """Calls per second, the best of three runs of about ``seconds / 3``."""
    fn()
    best = 0.0
    for _ in range(3):
        n, start = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / 3:
                break
        best = max(best, n / elapsed)
    return best


def ecdsa_seal() -> tuple[bytes, bytes]:
    """(a v4 ECDSA P-256 seal as the station makes one, its trust anchor)."""
    from crypto import seseal, testkeys
    from station.demo_impressions import make_demo_impression
    from station.images import normalise_impression

    ca = testkeys.make_ca("ec", "示例省电子印章制作中心 CA")
    officer = testkeys.issue(ca, "ec", {"common_name": "制章员 王芳", "organization_name": "示例省公安厅"})
    card = testkeys.issue(ca, "ec", {"common_name": "示例科技有限公司", "organization_name": "示例科技有限公司"})
    image = normalise_impression(make_demo_impression("示例科技有限公司", "official", size=160), seal_kind="official")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    der = seseal.build_v4(
        esid="330100000000001", seal_type=1, name="示例科技有限公司", certs=[card.certificate], created=now,
        valid_start=now, valid_end=now + timedelta(days=300), picture=image.png, width_mm=image.width_mm,
        height_mm=image.height_mm, ext_datas=[("2.25.1", False, b"office,web")], signer=officer.signer)
    return der, ca.certificate


def rows() -> list[tuple[str, bytes, datetime | None, tuple[bytes, ...]]]:
    """(label, seal, time to judge at, trust anchors) of each row."""
    from crypto import seseal
    from tests.helpers import fixtures_dir

    der, anchor = ecdsa_seal()
    sm2 = (fixtures_dir() / "UserV4.esl").read_bytes()
    p = seseal.parse(sm2)
    middle = p.valid_start + (p.valid_end - p.valid_start) / 2
    return [
        ("v4 ECDSA P-256", der, None, ()),
        ("v4 SM2", sm2, middle, ()),
        ("v4 ECDSA P-256, chain checked", der, None, (anchor,)),
    ]


def _profile(label: str, fn: Callable[[], Any], calls: int = 2000) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        fn()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(18)
    print(f"\n-- profile of {calls} verifications, {label} (by own time) --")
    print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))


def main(argv: list[str]) -> None:
    from crypto import seseal
    from crypto.algorithms import verify_signature
    from station.verify import verify_bytes

    print("seal verification (`seal verify --json`'s verify_bytes) beside the raw signature verify, same key:")
    for label, data, at, anchors in rows():
        doc = verify_bytes(data, at=at, anchors=anchors)
        assert doc["valid"], (label, doc["problems"])
        p = seseal.parse(data)
        raw = _rate(lambda: verify_signature(p.maker_cert, p.algorithm, p.signed_bytes, p.signature))
        full = _rate(lambda: verify_bytes(data, at=at, anchors=anchors))
        ratio = full / raw
        if anchors:
            tail = "3 signatures: seal + 2 certificates; for information"
        else:
            tail = f"goal >= {GOAL}x: {'met' if ratio >= GOAL else 'NOT met'}"
        print(f"seal verify {label}: {full:,.0f}/s beside raw verify {raw:,.0f}/s ({ratio:.2f}x; {tail})")
        if "--profile" in argv:
            _profile(label, lambda: verify_bytes(data, at=at, anchors=anchors))


if __name__ == "__main__":
    main(sys.argv[1:])
