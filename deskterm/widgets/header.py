"""The desk's header: name, date and time from the app's clock, and the user."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from rich.text import Text
from textual.widgets import Static

from deskterm.core.text import one_line
from deskterm.widgets.timefmt import to_next_minute


class DeskHeader(Static):
    DEFAULT_CSS = """
    DeskHeader { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, clock: Callable[[], datetime], tz: tzinfo, user: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._clock = clock
        self._tz = tz
        self._user = user

    def on_mount(self) -> None:
        self.tick()
        self._arm()

    def _arm(self) -> None:
        """Tick at each turn of the clock's minute (it showed HH:MM up to 15 s late)."""
        self.set_timer(to_next_minute(self._clock()), self._on_minute)

    def _on_minute(self) -> None:
        self.tick()
        self._arm()

    def tick(self) -> None:
        now = self._clock().astimezone(self._tz)
        left = Text("deskterm", style="bold")
        left.append("  press desk", style="dim")
        right = Text(f"{now:%a %d %b %Y  %H:%M}   {one_line(self._user, 24)}")
        width = max(self.size.width - 2, 0)
        gap = max(width - len(left) - len(right), 1)
        left.append(" " * gap)
        left.append_text(right)
        if width:
            left.truncate(width, overflow="ellipsis")
        self.update(left)

    def on_resize(self) -> None:
        self.tick()
