"""The status bar: database location, who else is on the desk, last sync, fetch progress.

A database that cannot be reached or stays locked shows as a banner here; the desk keeps
showing what it last loaded.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from deskterm.core.text import one_line


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    StatusBar.-trouble { background: $error; color: $text; text-style: bold; }
    """

    location: reactive[str] = reactive("")
    others: reactive[tuple[str, ...]] = reactive(())
    last_sync: reactive[str] = reactive("")
    progress: reactive[str] = reactive("")
    trouble: reactive[str] = reactive("")

    def render(self) -> Text:
        if self.trouble:
            # what matters first: a narrow bar keeps "since when" and "why"
            reason = one_line(self.trouble, 200)
            if self.last_sync:
                return Text(
                    f"⚠ Not synced since {self.last_sync}: {reason}. Showing what was loaded then."
                )
            return Text(f"⚠ Database trouble: {reason}. Showing what was last loaded.")
        text = Text(one_line(self.location, 60), style="")
        others = ", ".join(self.others) if self.others else "only you"
        text.append(f"  ·  on the desk: {one_line(others, 60)}")
        if self.last_sync:
            text.append(f"  ·  synced {self.last_sync}")
        if self.progress:
            text.append(f"  ·  {one_line(self.progress, 60)}", style="bold")
        return text

    def watch_trouble(self, trouble: str) -> None:
        self.set_class(bool(trouble), "-trouble")
