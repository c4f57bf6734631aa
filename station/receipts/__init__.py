"""Signed issuance receipts (回执): one room for everything a receipt goes through.

- :mod:`~station.receipts.claims`  what a receipt says: the claim keys and :class:`IssuedSeal`
- :mod:`~station.receipts.issue`   signing and storing it as the ceremony's last step; the list
- :mod:`~station.receipts.qr`      the QR code (matrix, PNG, half blocks, decoding)
- :mod:`~station.receipts.pdf`     the one-page Chinese PDF, signed by the officer's card; drawn by
  :mod:`~station.receipts.pdfdoc` (the writer) with :mod:`~station.receipts.font` (glyphs cached
  once) and :mod:`~station.receipts.cff` (the embedded font), signed by :mod:`~station.receipts.pdfsign`
- :mod:`~station.receipts.export`  the bundle (text, PNG, PDF, SHA256SUMS) and the careful USB writer
- :mod:`~station.receipts.bundle`  the station's public enrollment bundle a verifier trusts
- :mod:`~station.receipts.verify`  checking a receipt offline against that bundle

Imports point one way inside the room (export -> issue, pdf, qr -> claims; pdf -> pdfdoc,
font, pdfsign; pdfsign -> pdfdoc -> cff; verify -> bundle, claims), so there is no circle.
This module imports nothing: `import station.receipts` must not load the PDF, QR or
image libraries (DESIGN.md §5).
"""

__all__: list[str] = []
