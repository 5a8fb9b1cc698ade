"""The key footer, rebuilt only when the keys it shows change, and showing only whole keys.

Textual's ``Footer`` rebuilds all of its key widgets whenever the screen's bindings are
updated, which happens on every focus move and every ``refresh_bindings`` (a pane that loads,
a selection that enables or disables an action), even when the footer would show exactly the
same keys. The desk triggered five rebuilds while it started (~50 ms each); this footer
compares what it would show with what it shows and skips the rebuild when they are equal.

Each key Textual's footer builds also starts out compact (``FooterKey.compact`` defaults
to True) and is switched back by its data binding once mounted: two restyles a key, ~26
for every build. Here each key is given the footer's setting before it is mounted.

Textual lays the keys out in one row and lets the right-docked palette key (``^p palette``)
cover whatever runs past it, so at 80 columns labels were cut mid-word (``? Hel▏``) and the
app's keys, help among them, were never seen. This footer hides (``display``) the keys that do
not fit whole, chosen by ``keys_that_fit``: help first (``HELP_ACTIONS``), then the keys of
what has the focus (its widget, pane and screen) in their order, then the app's own (quit,
theme, ...) in theirs; the keys shown keep their order. It chooses when it rebuilds (within
the rebuild's batch) and when its width changes (a ``Resize``, which Textual sends after the
resized frame is drawn), from each key's rendered width: nothing per frame.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from types import MappingProxyType

from textual import events
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel

#: The actions whose key the footer shows before any other (help works on every screen).
HELP_ACTIONS = frozenset({"help", "app.help"})
#: Ranks of the keys, lower shown first when the row is short.
HELP, FOCUSED, APP = 0, 1, 2


def keys_that_fit(widths: Sequence[int], ranks: Sequence[int], room: int) -> list[int]:
    """The indices of the keys to show, in their order, within ``room`` cells.

    ``widths[i]`` is key i's width in cells and ``ranks[i]`` its rank: the lowest rank is
    given room first, then the next, and so on. Within a rank the keys are taken in order
    until one does not fit; it and the rest of its rank are left out (so a rank shows its
    first keys, never a later one in place of an earlier), and the room left goes on to the
    next rank.
    """
    kept: list[int] = []
    for rank in sorted(set(ranks)):
        for index, (width, key_rank) in enumerate(zip(widths, ranks, strict=True)):
            if key_rank != rank:
                continue
            if width > room:
                break
            kept.append(index)
            room -= width
    return sorted(kept)


class DeskFooter(Footer):
    """``Footer`` that recomposes only when the active bindings it draws from changed, and
    shows only the keys that fit whole."""

    _shown: Hashable | None = None  # the bindings the keys were last built from (per instance)
    _key_ranks: Mapping[str, int] = MappingProxyType({})  # each key's rank (set by compose)

    @staticmethod
    def shown_bindings(screen: Screen) -> tuple:
        """Everything ``Footer.compose`` reads from the screen's active bindings."""
        return tuple(
            (key, binding, enabled, tooltip)
            for key, (_node, binding, enabled, tooltip) in screen.active_bindings.items()
        )

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._key_ranks = {
                binding.key: (
                    HELP
                    if binding.action in HELP_ACTIONS
                    else APP
                    if isinstance(node, App)
                    else FOCUSED
                )
                for node, binding, _enabled, _tooltip in self.screen.active_bindings.values()
            }
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.has_class("-command-palette"):
                # compact as it stays (not bound to the footer's), its class set before it is
                # mounted: the width ``fit_keys`` measures right after the mount is its own
                widget.set_class(widget.compact, "-compact", update=False)
            elif isinstance(widget, FooterKey):
                # the value its binding to ``Footer.compact`` gives it, without the restyles
                widget.set_reactive(FooterKey.compact, self.compact)
            yield widget

    async def recompose(self) -> None:
        async with self.batch():  # no frame with keys that do not fit
            await super().recompose()
            self.fit_keys()

    def on_resize(self, _event: events.Resize) -> None:
        self.fit_keys()

    def fit_keys(self) -> None:
        """Show the keys that fit whole left of the palette key; hide the others."""
        viewport = self.app.size

        def cells(widget: Widget) -> int:
            styles = widget.styles
            widget.clear_cached_dimensions()  # Textual's cache is kept by the parent's width
            width = widget.get_content_width(self.size, viewport)
            return width + styles.gutter.width + styles.margin.width

        room = self.size.width
        units: list[list[Widget]] = []  # a key, or a group of keys and its label
        for child in self.children:
            if child.has_class("-command-palette"):
                room -= cells(child)
            elif isinstance(child, FooterLabel) and units:
                units[-1].append(child)
            else:
                units.append([child])
        ranks = []
        for unit in units:  # a group's rank is its first key's
            keys = [unit[0]] if isinstance(unit[0], FooterKey) else list(unit[0].query(FooterKey))
            ranks.append(self._key_ranks.get(keys[0].key, FOCUSED) if keys else FOCUSED)
        shown = set(keys_that_fit([sum(map(cells, unit)) for unit in units], ranks, room))
        for index, unit in enumerate(units):
            for widget in unit:
                widget.display = index in shown

    def bindings_changed(self, screen: Screen) -> None:
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            super().bindings_changed(screen)  # Footer's own bookkeeping; no rebuild
            return
        shown = self.shown_bindings(screen)
        if shown == self._shown:
            return
        self._shown = shown
        super().bindings_changed(screen)
