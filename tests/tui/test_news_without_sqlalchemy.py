"""News paints before SQLAlchemy is imported (issue 3's first paint).

Its modules import no SQLAlchemy, and its default load (today's window, the unread counts,
and what an empty window points to: the newest clip, whether any feed exists) reads the
file with ``sqlite3`` alone. Each check runs in a fresh interpreter: this test process has
long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from db.engine import Database
from deskterm.core import clips
from deskterm.core.contacts import add_outlet
from deskterm.core.feeds import add_feed
from tests.tui.conftest import FIXED_NOW

ROOT = Path(__file__).resolve().parents[2]

IMPORTS = """
import sys
import deskterm.widgets.news_pane, deskterm.widgets.clip_triage
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "sqlalchemy")
ours = sorted(m for m in sys.modules if m.startswith(("db.", "deskterm.core")))
assert not loaded, (loaded[:5], ours)
"""

# NewsPane.load in the state a fresh desk opens in, at each of the given times.
LOAD = """
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
from db.engine import Database
from deskterm.widgets.news_pane import NewsPane
from deskterm.widgets.pane import PaneContext

db = Database(sys.argv[1])
pane = NewsPane(lambda text: None)
out = {}
for name, now in json.loads(sys.argv[2]).items():
    context = PaneContext(db=db, now=datetime.fromisoformat(now), tz=ZoneInfo(sys.argv[3]), text="")
    rows, summary = pane.load(context)
    out[name] = {"rows": [row.key for row in rows], "summary": summary, "empty": pane.empty_text()}
out["sqlalchemy"] = sorted(m for m in sys.modules if m.split(".")[0] == "sqlalchemy")[:5]
print(json.dumps(out))
"""


def run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def default_loads(db: Database, **times: datetime) -> dict:
    moments = json.dumps({name: moment.isoformat() for name, moment in times.items()})
    result = run(LOAD, str(db.path), moments, "America/New_York")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_news_modules_import_no_sqlalchemy() -> None:
    result = run(IMPORTS)
    assert result.returncode == 0, result.stderr


def test_the_default_load_reads_without_sqlalchemy(db: Database) -> None:
    """A desk with no feed, then a feed and no clip, then clips: the window, its counts and
    every empty window's pointer, each read in a fresh interpreter without SQLAlchemy."""
    nothing = default_loads(db, now=FIXED_NOW)
    assert nothing["sqlalchemy"] == []
    assert nothing["now"]["rows"] == []
    assert nothing["now"]["empty"].startswith("No stories yet. Add a feed")

    add_outlet(db, name="Alder Daily Herald", type="print")
    feed = add_feed(
        db, url="https://herald.example/rss", name="Herald", outlet="Alder Daily Herald"
    )
    no_clip = default_loads(db, now=FIXED_NOW)
    assert no_clip["sqlalchemy"] == []
    assert no_clip["now"]["empty"] == (
        "No stories yet. F fetches the feeds now (H shows their health)."
    )

    def add(guid: str, title: str, hours_ago: float) -> clips.ClipRecord:
        clip = clips.add_clip(
            db,
            feed_id=feed.id,
            guid=guid,
            title=title,
            url=None,
            published_at=FIXED_NOW - timedelta(hours=hours_ago),
        )
        assert clip is not None
        return clip

    read_today = add("a", "Council budget vote", 1)  # (it is 10:00 in New York)
    clips.set_read(db, read_today.id)
    newest_unread = add("b", "Water main break", 0.5)
    add("c", "Transit fares rise", 24)  # yesterday, unread
    clips.set_read(db, add("d", "Old news", 72).id)
    loads = default_loads(db, now=FIXED_NOW, days_later=FIXED_NOW + timedelta(days=3))
    assert loads["sqlalchemy"] == []
    assert loads["now"]["rows"] == [f"clip-{newest_unread.id}", f"clip-{read_today.id}"]
    assert loads["now"]["summary"] == "2 today · 1 unread today · 1 unread yesterday (u)"
    # three days on, nothing came since midnight: the empty window names the newest clip
    assert loads["days_later"]["rows"] == []
    assert loads["days_later"]["summary"] == "0 today · 0 unread today"
    assert loads["days_later"]["empty"] == (
        "No stories since midnight; the newest is from 24 Nov 09:30. "
        "/ searches every clip, F fetches now."
    )
