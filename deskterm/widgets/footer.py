"""The key footer, rebuilt only when the keys it shows change.

Textual's ``Footer`` rebuilds all of its key widgets whenever the screen's bindings are
updated, which happens on every focus move and every ``refresh_bindings`` (a pane that loads,
a selection that enables or disables an action), even when the footer would show exactly the
same keys. The desk triggered five rebuilds while it started (~50 ms each); this footer
compares what it would show with what it shows and skips the rebuild when they are equal.

Each key Textual's footer builds also starts out compact (``FooterKey.compact`` defaults
to True) and is switched back by its data binding once mounted: two restyles a key, ~26
for every build. Here each key is given the footer's setting before it is mounted.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class DeskFooter(Footer):
    """``Footer`` that recomposes only when the active bindings it draws from changed."""

    _shown: Hashable | None = None  # the bindings the keys were last built from (per instance)

    @staticmethod
    def shown_bindings(screen: Screen) -> tuple:
        """Everything ``Footer.compose`` reads from the screen's active bindings."""
        return tuple(
            (key, binding, enabled, tooltip)
            for key, (_node, binding, enabled, tooltip) in screen.active_bindings.items()
        )

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                # the value its binding to ``Footer.compact`` gives it, without the restyles
                widget.set_reactive(FooterKey.compact, self.compact)
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            super().bindings_changed(screen)  # Footer's own bookkeeping; no rebuild
            return
        shown = self.shown_bindings(screen)
        if shown == self._shown:
            return
        self._shown = shown
        super().bindings_changed(screen)
