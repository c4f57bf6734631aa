"""Fault injection points for the crash-safety tests.

``SEAL_STATION_FAILPOINT=<step>`` makes the process kill itself (SIGKILL) when the
ceremony reaches that step — the only way to test "the power went out here" against a
real card and a real database. Unset (always, in production) it does nothing.
"""

from __future__ import annotations

import os
import signal

__all__ = ["checkpoint"]


def checkpoint(step: str) -> None:
    if os.environ.get("SEAL_STATION_FAILPOINT") == step:
        os.kill(os.getpid(), signal.SIGKILL)
