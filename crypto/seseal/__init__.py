"""GB/T 38540-2020 electronic seals (SESeal v4, read also GM/T 0031-2014 v1 and v5).

The station writes v4 and reads v1, v4 and v5, because seals from other vendors come
to it for verification. Two rules shape this package:

* The maker's signature is checked over the **original bytes** sliced from the input
  (a small TLV walker finds them), never over a re-encoding: vendors emit BER-ish
  DER (an explicit ``critical FALSE``, for one), and a re-encoding would fail their
  honest seals or - worse - pass a tampered one.
* Malformed input raises :class:`SealFormatError` and nothing else; a verifier that
  crashes on hostile bytes cannot report why a seal is bad.

The ASN.1 is in DESIGN.md §4. Callers use this package's names only; the modules
are, from the bottom up:

* :mod:`.errors` - the two exceptions;
* :mod:`.asn1` - the asn1crypto classes of seals and seal signatures;
* :mod:`.der` - the TLV walker and the fast readers of plain DER values;
* :mod:`.names`, :mod:`.certs` - certificate names, loading, summaries, chains;
* :mod:`.model` - the parsed records and the reports;
* :mod:`.parsing`, :mod:`.verification`, :mod:`.build` - seals read, verified, made;
* :mod:`.document` - the v4 document signature (``SES_Signature``).
"""

from __future__ import annotations

from .build import build_v4
from .certs import CertificateCache, certificate_summary
from .document import parse_signature, verify_signature_document
from .errors import SealBuildError, SealFormatError
from .model import Chain, ParsedSeal, ParsedSignature, SealReport, SignatureReport
from .parsing import parse
from .verification import verify

# ``Chain`` (the type of a report's ``chain``) is importable from here for type hints;
# callers never build one, so it is not in ``__all__``.
__all__ = [
    "SealFormatError",
    "SealBuildError",
    "ParsedSeal",
    "SealReport",
    "ParsedSignature",
    "SignatureReport",
    "build_v4",
    "parse",
    "verify",
    "parse_signature",
    "verify_signature_document",
    "certificate_summary",
    "CertificateCache",
]
