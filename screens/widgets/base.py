"""What every screen stands on: the app as screens see it, and the one way to run work.

``StationApp`` names what a screen may ask of the app (translator, session, live cards,
login, home actions); ``SealStationApp`` provides it, and screens reach it typed through
``self.station`` instead of an untyped ``self.app``. The app module imports the screens,
so this contract lives here, below both.

Card and store calls block (a PKCS#11 sign, an SQLCipher query), so they run in a Textual
thread worker. :meth:`Work.run_work` starts it with ``exit_on_error=False``: an exception
in a worker never ends the app. The result comes back through one path, ``then`` on the
UI thread; a failure through one handler, :func:`as_station_error` then ``failed``
(default :meth:`Work.show_failure`). A ``StationError`` keeps its title, message and
hint; anything else becomes a generic translated message, its traceback goes to the log.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any, Callable, Protocol, TypeVar, cast

from rich.text import Text
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState, get_current_worker

from screens.text import escape
from station.errors import StationError
from station.terminal import printable

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from screens.i18n import Translator
    from station.home import Home
    from station.model import CardView
    from station.session import Session
    from station.status import StationStatus

    _Node = DOMNode
else:
    _Node = object

__all__ = ["StationApp", "Work", "Relabel", "StationScreen", "StationModal", "as_station_error", "failure_text",
           "escape", "plain", "plain_row"]

T = TypeVar("T")
R = TypeVar("R")


class StationApp(Protocol):
    """What screens may ask of the app (``screens.app.SealStationApp`` provides it)."""

    home: Home
    tr: Translator
    cards: list[CardView]
    session: Session | None

    def localize(self, node: Any) -> None: ...
    def station_info(self) -> StationStatus: ...
    def rescan(self) -> None: ...
    def lock(self, reason: str = "lock") -> None: ...
    def ask_pin(self, card: CardView) -> None: ...
    def attempt_login(self, card: CardView, pin: str) -> None: ...
    def run_home_action(self, action: str | None) -> None: ...
    def show_receipt(self, esid: str) -> None: ...
    def show_error(self, exc: StationError) -> None: ...
    def station_changed(self) -> None: ...


def as_station_error(exc: BaseException, tr: Callable[..., str]) -> StationError:
    """What a person is shown for ``exc``: itself if it is a station error, else a generic one."""
    if isinstance(exc, StationError):
        return exc
    return StationError(tr("error.unexpected.message", kind=type(exc).__name__),
                        title=tr("error.unexpected.title"), hint=tr("error.unexpected.hint"))


def failure_text(exc: StationError, *, sep: str = "\n", markup: bool = False) -> str:
    """Title, message and hint for a screen's own error line (as markup: the message
    names user data, so it is escaped)."""
    title = f"[b]{escape(exc.title)}[/b]" if markup else escape(exc.title)
    return f"{title}: {escape(exc.message)}" + (f"{sep}{escape(exc.hint)}" if exc.hint else "")


def plain(value: object) -> Text:
    """One line of user data for an option list: never markup, controls shown as escapes."""
    return Text(printable(str(value), lines=False))


def plain_row(*values: object) -> tuple[Text, ...]:
    """DataTable cells that are never read as markup nor as terminal controls (a card label
    or a seal name is user data: ``[reverse]`` or ``\\x1b[2J`` in it is shown, not obeyed)."""
    return tuple(Text(printable(str(v))) for v in values)


class Work(_Node):
    """Mixin for the app and every screen: the typed app, ``run_work`` and the failure handler."""

    @property
    def station(self) -> StationApp:
        return cast("StationApp", self.app)

    def run_work(self, call: Callable[[], T], then: Callable[[T], Any] | None = None, *,
                 failed: Callable[[StationError], Any] | None = None, group: str = "store",
                 exclusive: bool = True, name: str = "") -> Worker[None]:
        """Run ``call()`` in a thread worker; hand its result to ``then`` on the UI thread.

        If ``call`` or ``then`` raises, ``failed`` (default :meth:`show_failure`) gets the
        error as a StationError on the UI thread, and the app keeps running. A worker that
        was cancelled meanwhile (its screen closed, newer work in its group) reports nothing.
        """

        def job() -> None:
            worker = get_current_worker()
            try:
                result = call()
                if then is not None and not worker.is_cancelled:
                    self.from_thread(then, result)
            except Exception as exc:  # every failure is shown; none ends the app
                if not worker.is_cancelled:  # its screen has gone, or newer work replaced it
                    self.from_thread(self._work_failed, exc, failed)

        return self.run_worker(job, exit_on_error=False, name=name or group, group=group,
                               exclusive=exclusive, thread=True)

    def from_thread(self, fn: Callable[..., Any], *args: Any) -> None:
        """Call ``fn(*args)`` on the UI thread from a worker (results, progress, failures)."""
        app = self.app
        try:
            app.call_from_thread(fn, *args)
        except RuntimeError:
            if app.is_running:
                raise  # ``fn`` itself failed: the caller's failure path shows it
            # else the app is closing: nobody is left to show it to

    def _work_failed(self, exc: Exception, failed: Callable[[StationError], Any] | None) -> None:
        if not isinstance(exc, StationError):
            self.app.log.error("".join(traceback.format_exception(exc)))  # the log, never the screen
        error = as_station_error(exc, self.station.tr)
        try:
            (failed or self.show_failure)(error)
        except Exception:  # the screen went away while the worker ran
            self.station.show_error(error)

    def show_failure(self, exc: StationError) -> None:
        """Where this node shows a failure unless the caller says otherwise."""
        self.station.show_error(exc)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Backstop for a worker that still raised: shown, and the app keeps running."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            event.stop()
            self.station.show_error(as_station_error(event.worker.error, self.station.tr))


class Relabel:
    """Texts in the current language. F2 calls :meth:`relabel` on every open screen
    (``SealStationApp.retranslate``), so a screen puts each text it shows there.
    F1 shows ``help.screen.<class name>`` from the i18n tables with the screen's keys."""

    def relabel(self) -> None:
        """Show every text again in ``self.station.tr``'s language."""


class StationScreen(Relabel, Work, Screen[R]):
    """A full screen of the station."""


class StationModal(Relabel, Work, ModalScreen[R]):
    """A dialog of the station. A modal hides the app's keys: F1 is brought back."""

    BINDINGS = [Binding("f1", "app.help", "key.help", show=False)]
