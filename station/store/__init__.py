"""The station's storage: the SQLCipher database and the public ``keyslots.json``.

``db.Store`` is the connection and its transactions; ``migrations`` the schema. Services
never write SQL: they use one repository per table group, which takes and returns the
dataclasses of :mod:`station.model` — ``enrollments``, ``seals`` (with issuances),
``applications``, ``impressions``, ``audit_rows`` (with tree heads) and ``counters``
(with the station's meta values and secrets). ``keyslots`` types the public key-slot file.
"""

__all__: list[str] = []
