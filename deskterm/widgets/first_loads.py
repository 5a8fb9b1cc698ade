"""The panes' first loads, handed over together so the desk paints its data in one frame.

Each pane loads in its own worker thread and used to show its rows as they came: four
loads, four layouts of the whole screen (Textual lays out every widget when a table's
size changes) and four frames drawn before the desk was complete, ~20 ms each on the
first paint, while the slower loads were still running. ``FirstLoads`` holds each pane's
first answer (rows or failure) until every pane has answered, then posts them all at
once. A slow pane holds the others back for at most ``FIRST_LOADS_WAIT_S``: after that
each answer is posted as it comes, as later loads always are.

``DashboardScreen`` also holds Textual's drawing (``App.batch_update``) over that time, so
the four answers are handled before the next frame is drawn, and the frames that would
redraw a half-filled desk (the footer's keys arriving, a pane's title) are not drawn.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.message import Message
    from textual.message_pump import MessagePump

#: The longest the panes that have loaded wait for the others (seconds).
FIRST_LOADS_WAIT_S = 0.5


class FirstLoads:
    """Holds the first message of each of ``expected`` (pane ids) until all are in.

    Thread-safe: ``arrive`` is called from the panes' worker threads, ``release`` from a
    timer on the UI thread. ``post_message`` is Textual's thread-safe way in.
    """

    def __init__(self, expected: Collection[str]) -> None:
        self._expected = frozenset(expected)
        self._held: dict[str, tuple[MessagePump, Message]] = {}
        self._released = False
        self._lock = threading.Lock()

    @property
    def released(self) -> bool:
        return self._released

    def arrive(self, pane_id: str, target: MessagePump, message: Message) -> None:
        """``message`` for ``target`` (pane ``pane_id``'s first answer): held, or posted
        with the others once it completes the set, or at once after ``release``. A second
        answer from the same pane (its first load was replaced by another) replaces the
        first one held."""
        with self._lock:
            if not self._released:
                self._held[pane_id] = (target, message)
                if not self._expected <= self._held.keys():
                    return
            due = self._take()
        for pump, held in due or [(target, message)]:
            pump.post_message(held)

    def release(self) -> None:
        """Stop waiting: post what is held, and from now on post each answer as it comes."""
        with self._lock:
            due = self._take()
        for pump, held in due:
            pump.post_message(held)

    def _take(self) -> list[tuple[MessagePump, Message]]:
        """Everything held, emptied, and the gate opened (under the lock)."""
        self._released = True
        due = list(self._held.values())
        self._held.clear()
        return due
