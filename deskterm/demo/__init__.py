"""Demo desk for the fictional city of Port Alder: plain data and feed files.

``content`` holds the records (staff, outlets, contacts, feeds, requests, tasks, events,
topics) as plain data; ``feeds/`` holds the feed files. Feed items are dated on
``content.ANCHOR_DATE`` (and the day before); a loader shifts them so that the anchor
day becomes today.
"""

from __future__ import annotations

from pathlib import Path

FEEDS_DIR = Path(__file__).resolve().parent / "feeds"

__all__ = ["FEEDS_DIR"]
