"""Start an app headless and exit right after its first frame: `python -m tests.bench.first_frame station|hello HOME`."""

from __future__ import annotations

import sys


async def _exit_after_first_frame(pilot) -> None:
    await pilot.pause()
    pilot.app.exit()


def main() -> None:
    which = sys.argv[1]
    if which == "hello":
        from textual.app import App, ComposeResult
        from textual.widgets import Footer, Header, Label

        class Hello(App[None]):
            def compose(self) -> ComposeResult:
                yield Header()
                yield Label("Hello, world")
                yield Footer()

        app = Hello()
    else:
        from pathlib import Path

        from screens.app import make_app

        app = make_app(Path(sys.argv[2]), lang="en", start_monitor=False)
    app.run(headless=True, auto_pilot=_exit_after_first_frame, size=(120, 36))


if __name__ == "__main__":
    main()
