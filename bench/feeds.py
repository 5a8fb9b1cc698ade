"""Feed benchmarks: fetching 200 feeds against newsboat, and ingest throughput.

    .venv/bin/python -m bench.feeds            (also run by ``python -m bench``)

(a) 200 feeds x 50 items served by a local threaded HTTP server (its own process, listen
    backlog 1024, HTTP/1.1): a first fetch into an empty desk; two full re-fetches where
    the server ignores conditional headers and every feed is downloaded again: one with
    the same bytes (deskterm recognises a body it already stored by its digest and does
    not parse it), one where every body differs by a comment (everything is parsed again,
    nothing is new: the parse path's cost); and a fetch where every feed answers 304.
    newsboat reads every downloaded body either way. Each tool runs each scenario three
    times (a new desk and a new newsboat cache for every first fetch; one warm-up re-fetch
    before the others) and the median counts. Each is timed end to end as a user runs it
    (``deskterm fetch``: process start, imports, run, exit) and compared with newsboat
    (``newsboat -u URLS -c CACHE -C CONFIG -x reload``, ``reload-threads 8``, a fresh
    cache for the first fetch), and as a running desk fetches (``_in_desk``: the
    desk's own path, ``fetch_all_in_subprocess``, from a process whose imports are paid
    for). Target: each at most 0.5x newsboat's time.
(b) ingest from local files (the same 200 x 50 documents as files) with dedupe and 10
    topics on, through ``fetch_all``: entries per second. Target: at least 5,000/s.

The documents are generated (seeded): realistic sizes (~30 KB a feed: headline, link,
GUID, date, author, a 300-600 character HTML summary), one story in ten syndicated into
a second feed under the same headline, one in twenty carried by two feeds at one link.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

FEEDS = 200
ITEMS = 50
TARGET_RATIO = 0.5
TARGET_INGEST = 5000.0
ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

# Topic words (rare in the text, as in real news) and everyday filler.
WORDS = tuple(
    " ".join(
        (
            "council mayor budget harbor transit housing rent school police water main library",
            "parade permit zoning vote hearing plan tax bond bridge clinic shelter park festival",
            "union contract strike audit lawsuit settlement grant streetcar bike lane pothole",
            "snow heat outage storm flood fire crash arrest court ruling ordinance veto override",
        )
    ).split(" ")
)
FILLER = tuple(
    " ".join(
        (
            "the a of and to in for on with at by from about after before over under between",
            "city officials said residents week year month night morning people local state",
            "new plan would could will may says told report meeting members public program",
            "department director spokesperson statement question answer time cost million",
            "neighborhood street avenue district office building center community service",
            "expected early late first last next several many more less most other another",
            "decision review proposal change increase decrease support oppose agree concern",
            "monday tuesday wednesday thursday friday downtown northside eastside riverfront",
        )
    ).split(" ")
)
TOPICS = (
    ("Water", '"water main" OR flood*', 1),
    ("Budget", "budget OR tax OR bond", 2),
    ("Housing", "housing OR rent* OR shelter", 2),
    ("Transit", "transit OR streetcar OR bike", 3),
    ("Police", "police OR arrest OR court", 2),
    ("Schools", "school*", 3),
    ("Labor", "union OR strike OR contract", 3),
    ("Weather", "storm OR snow OR heat", 4),
    ("Parks", "park OR festival OR parade", 4),
    ("Legal", "lawsuit OR settlement OR ruling", 2),
)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- data ---------------------------------------------------------------------------------------


def _headline(rng: random.Random) -> str:
    words = [rng.choice(FILLER) for _ in range(6)]
    words.insert(rng.randint(0, 5), rng.choice(WORDS))
    return (
        " ".join(words).capitalize() + f" as city weighs {rng.choice(FILLER)} {rng.randint(2, 99)}"
    )


def _summary(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(4, 7)):
        words = [
            rng.choice(WORDS) if rng.random() < 0.04 else rng.choice(FILLER)
            for _ in range(rng.randint(8, 16))
        ]
        sentences.append(" ".join(words).capitalize() + ".")
    text = " ".join(sentences)
    return f"<p>{text[: len(text) // 2]} <a href='https://x.example/more'>more</a></p>" + (
        f"<p><b>{text[len(text) // 2 :]}</b></p>"
    )


def generate(folder: Path, *, feeds: int = FEEDS, items: int = ITEMS) -> list[Path]:
    """``feeds`` RSS files of ``items`` items each; returns their paths."""
    rng = random.Random(20261123)
    folder.mkdir(parents=True, exist_ok=True)
    syndicated: list[tuple[str, str]] = []  # (headline, summary) copied into another feed
    shared_links: list[tuple[str, str, str]] = []  # (link, headline, summary)
    paths = []
    for f in range(feeds):
        parts = []
        for i in range(items):
            when = NOW - timedelta(minutes=i * 17 + f)
            roll = rng.random()
            if roll < 0.1 and syndicated:
                title, summary = syndicated.pop(0)
                link = f"https://outlet{f}.example/news/{i}-{f}"
            elif roll < 0.15 and shared_links:
                link, title, summary = shared_links.pop(0)
            else:
                title, summary = _headline(rng), _summary(rng)
                link = f"https://outlet{f}.example/news/{i}?utm_source=rss&utm_medium=feed"
                if rng.random() < 0.1:
                    syndicated.append((title, summary))
                elif rng.random() < 0.06:
                    shared_links.append((link, title, summary))
            parts.append(
                "<item>"
                f"<title>{escape(title)}</title><link>{escape(link)}</link>"
                f'<guid isPermaLink="false">outlet{f}-{i}</guid>'
                f"<pubDate>{format_datetime(when)}</pubDate>"
                f"<dc:creator>Reporter {rng.randint(1, 40)}</dc:creator>"
                f"<category>{rng.choice(WORDS)}</category>"
                f"<description>{escape(summary)}</description>"
                "</item>"
            )
        doc = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>Outlet {f} news</title><link>https://outlet{f}.example/</link>"
            f"<description>News from outlet {f}</description><language>en-us</language>"
            + "".join(parts)
            + "</channel></rss>"
        )
        path = folder / f"feed{f:03d}.xml"
        path.write_text(doc, encoding="utf-8")
        paths.append(path)
    return paths


# --- the server (its own process, so it never competes with a fetcher for a GIL) -----------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def serve(folder: Path) -> None:
    """Serve ``folder``'s feeds; print the port. GET /_mode/conditional, /_mode/ignore or
    /_mode/vary switches between honouring conditional headers, ignoring them, and
    ignoring them with a body that differs on every response (a comment with a counter:
    the entries stay the same, the bytes do not)."""
    bodies = {f"/{p.name}": p.read_bytes() for p in sorted(folder.glob("*.xml"))}
    etags = {path: f'"{hashlib.sha1(body).hexdigest()[:16]}"' for path, body in bodies.items()}
    modified = format_datetime(NOW - timedelta(hours=1), usegmt=True)
    mode = {"name": "conditional"}
    served = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle's algorithm on, the body
        # waits for the client's delayed ACK (~40 ms on Linux) on every response.
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.startswith("/_mode/"):
                mode["name"] = self.path.rsplit("/", 1)[1]
                self._reply(200, {"Content-Type": "text/plain"}, b"ok")
                return
            body = bodies.get(self.path)
            if body is None:
                self._reply(404, {"Content-Type": "text/plain"}, b"no")
                return
            headers = {"ETag": etags[self.path], "Last-Modified": modified}
            if mode["name"] == "conditional" and (
                self.headers.get("If-None-Match") == etags[self.path]
                or self.headers.get("If-Modified-Since") == modified
            ):
                self._reply(304, headers)
                return
            headers["Content-Type"] = "application/rss+xml; charset=utf-8"
            if mode["name"] == "vary":
                served[0] += 1
                body = body.replace(b"<channel>", b"<channel><!-- %d -->" % served[0], 1)
            self._reply(200, headers, body)

    server = _Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever(poll_interval=0.1)


class ServerProcess:
    def __init__(self, folder: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.feeds", "serve", str(folder)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def mode(self, name: str) -> None:
        import urllib.request

        with urllib.request.urlopen(self.url(f"/_mode/{name}"), timeout=10) as reply:
            reply.read()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


# --- the measurements -------------------------------------------------------------------------


@dataclass
class Run:
    label: str
    seconds: float
    detail: str = ""
    error: str = ""
    cpu: float | None = None  # CPU seconds of the process and its children


@dataclass
class FeedFigures:
    deskterm: dict[str, Run] = field(default_factory=dict)  # `deskterm fetch`, end to end
    newsboat: dict[str, Run] = field(default_factory=dict)
    in_desk: dict[str, Run] = field(default_factory=dict)  # as a running desk fetches
    ingest: Run | None = None
    ingest_rate: float | None = None
    stored: int = 0
    notes: list[str] = field(default_factory=list)


SCENARIOS = (
    ("first", "first fetch (empty desk / fresh cache)"),
    ("refetch", "full re-fetch, the same bytes (server ignores conditional GET)"),
    ("changed", "full re-fetch, every body changed, no new entry (server ignores conditional GET)"),
    ("304", "every feed answers 304"),
)
#: The server's mode for each scenario.
SERVER_MODES = {
    "first": "conditional",
    "refetch": "ignore",
    "changed": "vary",
    "304": "conditional",
}


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        DESKTERM_CONFIG=str(home / "deskterm.toml"),
    )
    env.pop("DESKTERM_DB", None)
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _deskterm(db: Path, env: dict[str, str], label: str, *, due: bool = False) -> Run:
    exe = Path(sys.executable).parent / "deskterm"
    cpu = _children_cpu()
    started = time.monotonic()
    result = subprocess.run(
        [str(exe), "--db", str(db), "--json", "fetch", "--concurrency", "8"]
        + (["--due"] if due else []),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    seconds = time.monotonic() - started
    cpu = _children_cpu() - cpu
    if result.returncode != 0:
        return Run(label, seconds, error=result.stderr.strip()[:300])
    summary = json.loads(result.stdout)
    detail = (
        f"{summary['fetched']} fetched, {summary['unchanged']} unchanged, "
        f"{summary['failed']} failed, {summary['new_clips']} new clips; "
        f"fetch_all {summary['elapsed_s']:.2f} s"
    )
    return Run(label, seconds, detail=detail, cpu=cpu)


def _newsboat(args: list[str], env: dict[str, str], label: str, cache: Path) -> Run:
    cpu = _children_cpu()
    started = time.monotonic()
    result = subprocess.run(
        args, capture_output=True, text=True, env=env, timeout=600, stdin=subprocess.DEVNULL
    )
    seconds = time.monotonic() - started
    cpu = _children_cpu() - cpu
    if result.returncode != 0:
        return Run(label, seconds, error=(result.stderr or result.stdout).strip()[:300])
    import sqlite3

    with sqlite3.connect(cache) as conn:
        items = conn.execute("SELECT count(*) FROM rss_item").fetchone()[0]
    return Run(label, seconds, detail=f"{items} items in its cache", cpu=cpu)


ROUNDS = 3  # runs per scenario and tool; the median is reported


def _median(runs: list[Run]) -> Run:
    """The median run (by wall time); its detail says how many runs and their spread."""
    failed = [r for r in runs if r.error]
    if failed:
        return failed[0]
    ordered = sorted(runs, key=lambda r: r.seconds)
    middle = ordered[len(ordered) // 2]
    spread = ", ".join(f"{r.seconds:.2f}" for r in runs)
    detail = f"{middle.detail}; median of {len(runs)} runs: {spread} s"
    return Run(middle.label, middle.seconds, detail=detail, cpu=middle.cpu)


def _fresh_desk(work: Path, env: dict[str, str], urls_file: Path, name: str) -> Path:
    db = work / name
    for stale in work.glob(f"{name}*"):
        stale.unlink()
    exe = Path(sys.executable).parent / "deskterm"
    subprocess.run([str(exe), "--db", str(db), "init"], env=env, check=True, capture_output=True)
    subprocess.run(
        [str(exe), "--db", str(db), "feeds", "import", str(urls_file)],
        env=env,
        check=True,
        capture_output=True,
    )
    return db


def _in_desk(work: Path, server: ServerProcess, paths: list[Path], figures: FeedFigures) -> None:
    """The same runs as a running desk makes them: ``fetch_all_in_subprocess`` (a child
    forked from the forkserver the desk starts two seconds after it opens, which has the
    fetch pipeline imported; the child makes its parser processes and writes), from this
    process with its imports paid for; a fresh desk for each first fetch. Timed around the
    call."""
    from db.engine import Actor, Database
    from db.schema import upgrade
    from deskterm.core import feeds
    from deskterm.core.fetcher import fetch_all_in_subprocess, prepare_fetch_process

    def timed(db: Database, label: str) -> Run:
        # No CPU figure: the fetch child is the forkserver's child, not this process's.
        started = time.monotonic()
        summary = fetch_all_in_subprocess(db, due_only=False)
        return Run(label, time.monotonic() - started, detail=summary.line())

    def fresh(round_: int) -> Database:
        db = Database(str(work / f"in-process-{round_}.sqlite3"), actor=Actor("bench", "bench"))
        upgrade(db)
        for path in paths:
            feeds.add_feed(db, url=server.url(f"/{path.name}"))
        return db

    prepare_fetch_process()  # as the desk does after opening; loaded while the desk is made
    label = dict(SCENARIOS)
    firsts = []
    for round_ in range(ROUNDS):
        server.mode(SERVER_MODES["first"])
        log(f"feeds: in a running desk, {label['first']} ({round_ + 1}/{ROUNDS})")
        db = fresh(round_)
        firsts.append(timed(db, label["first"]))
        if round_ < ROUNDS - 1:
            db.dispose()
    figures.in_desk["first"] = _median(firsts)
    try:
        server.mode("ignore")
        timed(db, "warm-up")
        for key, text in SCENARIOS[1:]:
            server.mode(SERVER_MODES[key])
            log(f"feeds: in a running desk, {text}")
            figures.in_desk[key] = _median([timed(db, text) for _ in range(ROUNDS)])
    finally:
        db.dispose()


def measure_fetch(work: Path, figures: FeedFigures) -> None:
    """Each tool, each scenario, ROUNDS runs, the median. A first fetch starts from a new
    desk and a new newsboat cache every round. The other scenarios follow one warm-up
    re-fetch: newsboat's first reload after filling its cache took 2.4 s where every later
    one took 0.75 s (a one-time cost that is not the fetch's)."""
    data = work / "data"
    paths = generate(data)
    server = ServerProcess(data)
    try:
        urls_file = work / "urls"
        urls_file.write_text("\n".join(server.url(f"/{p.name}") for p in paths) + "\n")
        env = _env(work / "home")
        newsboat = shutil.which("newsboat")
        config = work / "newsboat.conf"
        config.write_text("reload-threads 8\ndownload-timeout 30\nshow-read-feeds yes\n")
        cache = work / "newsboat-cache.db"
        command = [newsboat or "newsboat", "-u", str(urls_file), "-c", str(cache),
                   "-C", str(config), "-x", "reload"]  # fmt: skip
        label = dict(SCENARIOS)
        ours: list[Run] = []
        theirs: list[Run] = []
        for round_ in range(ROUNDS):
            server.mode(SERVER_MODES["first"])
            db = _fresh_desk(work, env, urls_file, "desk.sqlite3")
            log(f"feeds: deskterm, {label['first']} ({round_ + 1}/{ROUNDS})")
            ours.append(_deskterm(db, env, label["first"]))
            if newsboat is not None:
                for stale in work.glob("newsboat-cache.db*"):
                    stale.unlink()
                log(f"feeds: newsboat, {label['first']} ({round_ + 1}/{ROUNDS})")
                theirs.append(_newsboat(command, env, label["first"], cache))
        figures.deskterm["first"] = _median(ours)
        if newsboat is not None:
            figures.newsboat["first"] = _median(theirs)
        server.mode("ignore")
        _deskterm(db, env, "warm-up")
        if newsboat is not None:
            _newsboat(command, env, "warm-up", cache)
        for key, text in SCENARIOS[1:]:
            server.mode(SERVER_MODES[key])
            log(f"feeds: deskterm, {text}")
            figures.deskterm[key] = _median([_deskterm(db, env, text) for _ in range(ROUNDS)])
            if newsboat is None:
                figures.newsboat[key] = Run(text, 0.0, error="newsboat is not installed")
                continue
            log(f"feeds: newsboat, {text}")
            figures.newsboat[key] = _median(
                [_newsboat(command, env, text, cache) for _ in range(ROUNDS)]
            )
        if newsboat is None:
            figures.newsboat["first"] = Run(label["first"], 0.0, error="newsboat is not installed")
        else:
            _startup_alone(figures, db, env, [*command[:-1], "print-unread"], cache)
        _in_desk(work, server, paths, figures)
    finally:
        server.close()


STARTUP = "start-up alone, nothing fetched"


def _startup_alone(
    figures: FeedFigures, db: Path, env: dict[str, str], print_unread: list[str], cache: Path
) -> None:
    """What each tool's run costs before it fetches anything: ``deskterm fetch --due`` just
    after a fetch (no feed is due: start, imports, one query, exit) and ``newsboat -x
    print-unread`` (start, its 10,000-item cache loaded, exit). A running desk pays neither;
    newsboat pays its part in every ``-x reload``."""
    log(f"feeds: {STARTUP}")
    ours = _median([_deskterm(db, env, STARTUP, due=True) for _ in range(ROUNDS)])
    if not ours.error and not ours.detail.startswith("0 fetched, 0 unchanged, 0 failed"):
        ours.error = f"feeds were due, so not start-up alone ({ours.detail})"
    figures.deskterm["startup"] = ours
    figures.newsboat["startup"] = _median(
        [_newsboat(print_unread, env, STARTUP, cache) for _ in range(ROUNDS)]
    )


def measure_ingest(work: Path, figures: FeedFigures) -> None:
    """Local files through fetch_all with dedupe and topics: entries per second."""
    from db.engine import Actor, Database
    from db.schema import upgrade
    from deskterm.core import feeds, topics
    from deskterm.core.fetcher import fetch_all

    paths = sorted((work / "data").glob("*.xml"))
    db = Database(str(work / "ingest.sqlite3"), actor=Actor("bench", "bench"))
    try:
        upgrade(db)
        for name, query, priority in TOPICS:
            topics.add_topic(db, name=name, query=query, priority=priority)
        for path in paths:
            feeds.add_feed(db, url=str(path))
        entries = sum(p.read_bytes().count(b"<item>") for p in paths)
        started = time.monotonic()
        summary = fetch_all(db, due_only=False, now=NOW)
        seconds = time.monotonic() - started
        figures.stored = summary.new_clips
        figures.ingest_rate = entries / seconds
        figures.ingest = Run(
            "ingest",
            seconds,
            detail=(
                f"{entries:,} entries from {len(paths)} files in {seconds:.2f} s; "
                f"{summary.new_clips:,} stored ({entries - summary.new_clips:,} duplicates "
                f"dropped), {len(summary.new_priority_matches):,} priority-1 matches"
            ),
        )
    finally:
        db.dispose()


def measure(*, log: Callable[[str], None] = log) -> FeedFigures:
    figures = FeedFigures()
    with tempfile.TemporaryDirectory(prefix="deskbench-feeds-") as tmp:
        work = Path(tmp)
        measure_fetch(work, figures)
        log("feeds: ingest from local files")
        measure_ingest(work, figures)
    return figures


def _ratio_row(metric: str, ours: Run | None, theirs: Run | None) -> tuple[str, str, str, str]:
    target = f"≤ {TARGET_RATIO:.1f}x newsboat"
    if ours is None or ours.error:
        return (metric, f"failed: {ours.error if ours else 'not run'}", target, "FAIL")
    if theirs is None or theirs.error:
        return (metric, f"{ours.seconds:.2f} s (newsboat: n/a)", target, "—")
    ratio = ours.seconds / theirs.seconds
    return (
        metric,
        f"{ours.seconds:.2f} s vs newsboat {theirs.seconds:.2f} s = {ratio:.2f}x",
        target,
        "pass" if ratio <= TARGET_RATIO else "FAIL",
    )


def rows(figures: FeedFigures) -> list[tuple[str, str, str, str]]:
    out = []
    for key, label in SCENARIOS:
        theirs = figures.newsboat.get(key)
        out.append(
            _ratio_row(
                f"200 feeds x 50, {label}: `deskterm fetch`",
                figures.deskterm.get(key),
                theirs,
            )
        )
        out.append(
            _ratio_row(
                f"200 feeds x 50, {label}: in a running desk",
                figures.in_desk.get(key),
                theirs,
            )
        )
    ours, theirs = figures.deskterm.get("startup"), figures.newsboat.get("startup")
    if ours is not None and theirs is not None:
        shown = [
            f"{run.seconds:.2f} s" if not run.error else f"failed: {run.error}"
            for run in (ours, theirs)
        ]
        out.append(
            (
                f"200 feeds x 50, {STARTUP}: `deskterm fetch --due` (none due) / "
                "newsboat `-x print-unread` (its cache loaded)",
                " / ".join(shown),
                "—",
                "—",
            )
        )
    if figures.ingest_rate is not None:
        out.append(
            (
                "ingest from local files (dedupe + 10 topics)",
                f"{figures.ingest_rate:,.0f} entries/s",
                f"≥ {TARGET_INGEST:,.0f}/s",
                "pass" if figures.ingest_rate >= TARGET_INGEST else "FAIL",
            )
        )
    return out


def details(figures: FeedFigures) -> str:
    lines = ["## Feeds (bench/feeds.py)"]
    for key, label in [*SCENARIOS, ("startup", STARTUP)]:
        for who, runs in (
            ("deskterm fetch", figures.deskterm),
            ("in a running desk", figures.in_desk),
            ("newsboat", figures.newsboat),
        ):
            run = runs.get(key)
            if run is not None:
                text = run.error or run.detail
                cpu = f", {run.cpu:.2f} s CPU" if run.cpu is not None else ""
                lines.append(f"- {label}, {who}: {run.seconds:.2f} s wall{cpu} ({text})")
    if figures.ingest is not None:
        lines.append(f"- ingest: {figures.ingest.detail}")
    lines.extend(f"- {note}" for note in figures.notes)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.feeds", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command")
    serve_parser = sub.add_parser("serve", help="serve a folder of feeds (used by the bench)")
    serve_parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.folder)
        return 0
    figures = measure()
    for row in rows(figures):
        print(" | ".join(row))
    print(details(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
