"""Receipt numbers: `python -m tests.bench.receipts`.

Builds a demo world in a temporary directory, makes one seal with two supervisors (the
largest receipt the demo makes), and reports: receipt length and QR version; signing
(officer card on SoftHSM, incl. the signed tree head: the ceremony's last step), verifying against the enrollment
bundle, the QR PNG and its decoding, and the signed PDF.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.bench.world import median_ms


def main() -> None:
    from tests.bench.world import bench_world

    with bench_world("receipts") as world:
        _bench(world.tmp, world.home, world.cards)


def _bench(tmp: Path, home: Any, cards: list[Any]) -> None:
    from station import applications, making
    from station.model import Role
    from station.receipts import issue, qr
    from station.receipts import pdf as receipt_pdf
    from station.receipts.bundle import export_bundle, load_bundle
    from station.receipts.verify import verify_receipt
    from station.session import login

    card = {c.role + str(i): c for role in ("officer", "supervisor", "seal", "admin")
            for i, c in enumerate(c for c in cards if c.role == role)}
    officer = login(home, card["officer0"].serial, card["officer0"].pin, role=Role.OFFICER)
    app_id = next(a.id for a in applications.list_(officer, state="approved")
                  if a.unit == card["seal0"].owner.name)  # the unit the card's certificate names
    took: list[float] = []

    def timed_issue(session: Any, esid: str) -> str:  # the ceremony's last step, timed
        start = time.perf_counter()
        try:
            return issue.issue_receipt(session, esid)
        finally:
            took.append((time.perf_counter() - start) * 1000)

    setattr(making, "issue_receipt", timed_issue)
    try:
        made = making.make_seal(
            officer, application_id=int(app_id), seal_card=card["seal0"].serial, seal_pin=card["seal0"].pin,
            supervisors=[(card[f"supervisor{i}"].serial, lambda i=i: card[f"supervisor{i}"].pin) for i in (0, 1)],
            recipient="张三")
    finally:
        setattr(making, "issue_receipt", issue.issue_receipt)
    assert made.receipt is not None and took, made.receipt_error
    text, first = made.receipt, took[0]
    print(f"receipt: {len(text)} characters, QR version {qr.version_of(text)} at ECC M (limit 25), "
          f"two supervisors")
    print(f"issue (tree head signed by the card + COSE signed by the card + store): {first:.1f} ms")
    from crypto import receipt as cose

    claims = cose.decode(text).claims
    print(f"sign only (COSE_Sign1 on the officer card, SoftHSM): "
          f"{median_ms(lambda: cose.encode(claims, officer.signer), 20):.1f} ms median of 20")
    seal = issue.issued_seal(officer, made.esid)
    png = qr.png_bytes(text)
    print(f"QR PNG: {median_ms(lambda: qr.png_bytes(text), 10):.1f} ms, {len(png)} bytes")
    path = tmp / "qr.png"
    path.write_bytes(png)
    print(f"QR decode (zxing-cpp): {median_ms(lambda: qr.decode_png(path), 10):.1f} ms")
    pdf = receipt_pdf.build(seal, png, None)
    print(f"PDF build (fpdf2, reduced CJK faces from the cache): "
          f"{median_ms(lambda: receipt_pdf.build(seal, png, None), 3):.0f} ms, "
          f"sign (incremental update, CMS signed by the card): "
          f"{median_ms(lambda: receipt_pdf.sign(pdf, officer.signer, home.trust_anchors(), seal.esid), 3):.0f} ms")
    officer.close()
    admin = login(home, card["admin0"].serial, card["admin0"].pin, role=Role.ADMIN)
    export_bundle(admin, tmp / "bundle.json")
    admin.close()
    bundle = load_bundle(tmp / "bundle.json")
    assert verify_receipt(text, bundle)["valid"]
    print(f"verify (decode + canonical zlib check + officer and 2 supervisor signatures): "
          f"{median_ms(lambda: verify_receipt(text, bundle), 20):.1f} ms median of 20")
    print(f"load + check the bundle: {median_ms(lambda: load_bundle(tmp / 'bundle.json'), 20):.1f} ms median of 20")


if __name__ == "__main__":
    main()
