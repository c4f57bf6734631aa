"""Where the registry screens read seals from: the session, or a fixed set in snapshot tests."""

from __future__ import annotations

from typing import Any, Protocol

from screens.widgets.base import StationScreen
from station.model import RegistrySeal

__all__ = ["RegistrySource", "SessionRegistry", "SourcedScreen", "short_time"]


class RegistrySource(Protocol):
    """Where the screens read seals from (the session; a fixed set in snapshot tests)."""

    def search(self, **filters: Any) -> list[RegistrySeal]: ...

    def status(self, esid: str) -> Any: ...


class SessionRegistry:
    def __init__(self, app: Any) -> None:
        self.app = app

    def search(self, **filters: Any) -> list[RegistrySeal]:
        from station import lifecycle

        return lifecycle.search(self.app.session, **filters)

    def status(self, esid: str) -> Any:
        from station import lifecycle

        return lifecycle.status(self.app.session, esid)


def short_time(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")


class SourcedScreen(StationScreen[None]):
    _source: RegistrySource | None

    @property
    def source(self) -> RegistrySource:
        if self._source is None:
            self._source = SessionRegistry(self.app)
        return self._source
