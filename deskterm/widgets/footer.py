"""The key footer: one line drawn from the screen's keys, showing only whole keys.

Textual's ``Footer`` is a container of one widget per key (``FooterKey``): it rebuilds all
of them whenever the screen's bindings are updated (every focus move, every
``refresh_bindings``), and each rebuild mounts, styles and lays out a dozen widgets. On the
desk that was ~20 ms of the first paint and of every pane switch. This footer is a single
widget that draws the same line (the key in the footer's key colours, then what it does;
the palette key docked right): it works out its keys when the bindings change, redraws
only when they did, and lays nothing out.

Textual lays the keys out in one row and lets the right-docked palette key (``^p palette``)
cover whatever runs past it, so at 80 columns labels were cut mid-word (``? Hel▏``) and the
app's keys, help among them, were never seen. This footer leaves out the keys that do not
fit whole, chosen by ``keys_that_fit``: help first (``HELP_ACTIONS``), then the keys of
what has the focus (its widget, pane and screen) in their order, then the app's own (quit,
theme, ...) in theirs; the keys shown keep their order.

A click on a key presses it, as on Textual's footer (the mouse is optional: every key is
a key).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import App
from textual.screen import Screen
from textual.widget import Widget

#: The actions whose key the footer shows before any other (help works on every screen).
HELP_ACTIONS = frozenset({"help", "app.help"})
#: Ranks of the keys, lower shown first when the row is short.
HELP, FOCUSED, APP = 0, 1, 2
PALETTE_EDGE = "▏"  # drawn left of the palette key, as Textual's footer draws it


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


class FooterEntry(NamedTuple):
    """One key as the footer shows it."""

    key: str  # the binding's key, as pressed ("question_mark")
    display: str  # as shown ("?")
    description: str
    enabled: bool
    rank: int

    @property
    def width(self) -> int:
        """Cells it takes: `` key `` then ``description `` (just the key without one)."""
        if not self.description:
            return cell_len(self.display)
        return cell_len(self.display) + cell_len(self.description) + 3


class ShownKey(NamedTuple):
    """A key drawn in the footer, and the cells it takes (``start`` to ``end``, exclusive)."""

    entry: FooterEntry
    start: int
    end: int


class DeskFooter(Widget, can_focus=False):
    """The keys of the focused widget's chain and of the screen, in one line."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"desk-footer--key", "desk-footer--description", "desk-footer--edge"}
    DEFAULT_CSS = """
    DeskFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .desk-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .desk-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .desk-footer--edge {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        #: the keys to show, in order (the palette key apart)
        self.entries: tuple[FooterEntry, ...] = ()
        self.palette: FooterEntry | None = None
        #: the keys drawn at the last render, where they were drawn
        self.shown: tuple[ShownKey, ...] = ()

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def bindings_changed(self, screen: Screen) -> None:
        """The screen's keys may have changed (a focus move, a ``refresh_bindings``):
        redraw if what the footer shows did."""
        if not self.is_attached or screen is not self.screen:
            return
        entries, palette = self.entries_of(screen)
        if (entries, palette) != (self.entries, self.palette):
            self._show_entries(entries, palette)

    def _show_entries(self, entries: tuple[FooterEntry, ...], palette: FooterEntry | None) -> None:
        self.entries, self.palette = entries, palette
        self.refresh()

    def entries_of(self, screen: Screen) -> tuple[tuple[FooterEntry, ...], FooterEntry | None]:
        """The keys Textual's footer would show for ``screen`` (one per action, in the order
        of the active bindings), ranked, and the palette key."""
        app = self.app
        entries: list[FooterEntry] = []
        actions: set[str] = set()
        active = screen.active_bindings
        for node, binding, enabled, _tooltip in active.values():
            if binding.action in actions:
                continue
            # Help is always shown: in a text field "?" is typed (Textual leaves it out of
            # the active keys), and the hidden f1 that stands in for it is named instead.
            if not binding.show and binding.action not in HELP_ACTIONS:
                continue
            actions.add(binding.action)
            rank = (
                HELP
                if binding.action in HELP_ACTIONS
                else APP
                if isinstance(node, App)
                else FOCUSED
            )
            display = app.get_key_display(binding)
            entries.append(FooterEntry(binding.key, display, binding.description, enabled, rank))
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            display = app.get_key_display(binding)
            palette = FooterEntry(binding.key, display, binding.description, enabled, HELP)
        return tuple(entries), palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("desk-footer--key")
        description_style = self.get_component_rich_style("desk-footer--description")
        dim = Style(dim=True)
        width = self.size.width
        palette = self.palette
        # the palette key: "▏^p palette " (compact, as Textual draws it), docked right
        palette_width = (
            cell_len(PALETTE_EDGE + palette.display + " " + palette.description) + 1
            if palette is not None
            else 0
        )
        room = max(0, width - palette_width)
        entries = self.entries
        chosen = keys_that_fit([e.width for e in entries], [e.rank for e in entries], room)
        line = Text(no_wrap=True, overflow="crop", end="")
        shown: list[ShownKey] = []
        for index in chosen:
            entry = entries[index]
            off = Style() if entry.enabled else dim
            start = line.cell_len
            if entry.description:
                line.append(f" {entry.display} ", key_style + off)
                line.append(f"{entry.description} ", description_style + off)
            else:
                line.append(entry.display, key_style + off)
            shown.append(ShownKey(entry, start, line.cell_len))
        if palette is not None and width >= palette_width:
            line.append(" " * (room - line.cell_len))
            line.append(PALETTE_EDGE, self.get_component_rich_style("desk-footer--edge"))
            off = Style() if palette.enabled else dim
            start = line.cell_len
            line.append(palette.display, key_style + off)
            line.append(f" {palette.description}", description_style + off)
            line.append(" ")
            shown.append(ShownKey(palette, start, line.cell_len))
        self.shown = tuple(shown)
        return line

    def on_click(self, event: events.Click) -> None:
        """A click on a key presses it (a key that does nothing now rings the bell)."""
        for key in self.shown:
            if key.start <= event.x < key.end:
                if key.entry.enabled:
                    self.app.simulate_key(key.entry.key)
                else:
                    self.app.bell()
                return
