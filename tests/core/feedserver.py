"""A local feed server for the fetch tests: a real ThreadingHTTPServer on 127.0.0.1:0.

Routes are added per test (``server.add(path, body, ...)``) or come from ``standard()``:
conditional GET (ETag / Last-Modified), a slow feed, 404 and 500, redirect chains, gzip,
invalid XML, non-feed HTML, an entity-expansion bomb, an oversized body, a gzip bomb,
duplicate GUIDs, missing dates and markup/escape sequences in titles. Every request is
logged (path, method, headers) so tests can check what the client sent.

Also the small document builders the parse and ingest tests share.
"""

from __future__ import annotations

import functools
import gzip
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import pytest

# --- documents -----------------------------------------------------------------------------


def rss_item(
    title: str,
    *,
    guid: str | None = None,
    link: str | None = None,
    description: str = "",
    published: datetime | None = None,
    raw_title: bool = False,
) -> str:
    parts = [f"<title>{title if raw_title else escape(title)}</title>"]
    if link is not None:
        parts.append(f"<link>{escape(link)}</link>")
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{escape(guid)}</guid>')
    if description:
        parts.append(f"<description>{escape(description)}</description>")
    if published is not None:
        parts.append(f"<pubDate>{format_datetime(published)}</pubDate>")
    return "<item>" + "".join(parts) + "</item>"


def rss(items: list[str], *, title: str = "Test feed", language: str = "en") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example/</link>"
        f"<description>d</description><language>{language}</language>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def atom_entry(
    title: str,
    *,
    entry_id: str,
    link: str,
    summary: str = "",
    published: datetime | None = None,
    title_type: str = "text",
) -> str:
    when = (published or datetime(2026, 11, 23, 9, tzinfo=UTC)).isoformat()
    return (
        f'<entry><title type="{title_type}">{escape(title)}</title>'
        f'<link rel="alternate" href="{escape(link)}"/><id>{escape(entry_id)}</id>'
        f"<updated>{when}</updated><summary>{escape(summary)}</summary></entry>"
    )


def atom(entries: list[str], *, title: str = "Atom feed") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test:feed</id>"
        "<updated>2026-11-23T09:00:00Z</updated>" + "".join(entries) + "</feed>"
    ).encode()


def numbered_rss(count: int, *, prefix: str = "story", at: datetime | None = None) -> bytes:
    base = at or datetime(2026, 11, 23, 9, tzinfo=UTC)
    return rss(
        [
            rss_item(
                f"{prefix.title()} number {i} about the harbor budget",
                guid=f"{prefix}-{i}",
                link=f"https://news.example/{prefix}/{i}?utm_source=rss",
                description=f"Body of {prefix} {i}.",
                published=base.replace(minute=i % 60),
            )
            for i in range(count)
        ]
    )


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
<!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
]>
<rss version="2.0"><channel><title>&h;</title>
<item><title>Bomb &h;</title><guid>bomb-1</guid><description>&h;</description></item>
</channel></rss>"""

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Welcome</title></head>"
    b"<body><h1>Not a feed</h1><p>Try our <a href='/rss'>RSS</a>.</p></body></html>"
)

INVALID_XML_WITH_ENTRIES = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Loose</title>'
    b"<item><title>Fish & chips <b>tonight</title><guid>loose-1</guid></item>"
    b"<item><title>Second story</title><guid>loose-2</guid></item>"
    b"</channel>"
)

INVALID_XML_NOTHING = b"<?xml version='1.0'?><rss><channel><title>Broken<<<<</ti"

MARKUP_TITLES = rss(
    [
        rss_item(
            "<b>Mayor</b> &amp; council <script>alert(1)</script>agree\x1b[31m red\x07",
            guid="markup-1",
            link="https://News.Example:443/a/b?utm_source=x&id=7&fbclid=abc#frag",
            description="<p>Para <i>one</i></p><style>p{}</style>\x1b]8;;http://evil\x07text",
            raw_title=False,
        ),
        rss_item("   lots\n\n of   \t whitespace  ", guid="markup-2"),
        rss_item("x" * 20000, guid="markup-3"),
    ]
)

DUPLICATE_GUIDS = rss(
    [
        rss_item("First copy", guid="same", link="https://news.example/dupe/1"),
        rss_item("Second copy", guid="same", link="https://news.example/dupe/2"),
        rss_item("Other", guid="other", link="https://news.example/dupe/3"),
    ]
)

NO_DATES = rss(
    [
        rss_item("Undated one", guid="undated-1", link="https://news.example/undated/1"),
        rss_item("Undated two", guid="undated-2", link="https://news.example/undated/2"),
    ]
)


@functools.cache
def gzip_bomb() -> bytes:
    """50 MB of XML in about 50 KB of gzip."""
    return gzip.compress(b"<rss>" + b" " * (50 * 1024 * 1024), compresslevel=9)


# --- the server --------------------------------------------------------------------------------


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay_s: float = 0.0
    honour_conditional: bool = True
    drip_s: float = 0.0  # seconds between 1-byte chunks (no Content-Length)
    chunked: bool = False  # no Content-Length: the body streams in 64 KB chunks
    handler: Callable[[BaseHTTPRequestHandler], bool] | None = None


@dataclass
class Logged:
    method: str
    path: str
    headers: dict[str, str]
    status: int


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early (timeouts, size limits) are part of the tests


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Logged] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    server._serve(self)
                finally:
                    with server._lock:
                        server.in_flight -= 1

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes = b"", **options: object) -> str:
        self.routes[path] = Route(body=body, **options)  # type: ignore[arg-type]
        return self.url(path)

    def hits(self, path: str) -> list[Logged]:
        with self._lock:
            return [entry for entry in self.log if entry.path == path]

    def _record(self, request: BaseHTTPRequestHandler, status: int) -> None:
        with self._lock:
            self.log.append(
                Logged(request.command, request.path, dict(request.headers.items()), status)
            )

    def _send(
        self, request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes
    ) -> None:
        self._record(request, status)
        request.send_response(status)
        for key, value in headers.items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if body:
            request.wfile.write(body)

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path
        if path.startswith("/redirect/"):  # /redirect/N/target -> N hops, then the target
            _, _, rest = path.partition("/redirect/")
            hops, _, target = rest.partition("/")
            left = int(hops)
            location = f"/redirect/{left - 1}/{target}" if left > 1 else f"/{target}"
            code = 301 if "permanent" in target else 302
            self._send(request, code, {"Location": location}, b"")
            return
        route = self.routes.get(path)
        if route is None:
            self._send(request, 404, {"Content-Type": "text/plain"}, b"not found")
            return
        if route.handler is not None and route.handler(request):
            self._record(request, 0)
            return
        if route.delay_s:
            time.sleep(route.delay_s)
        headers = {"Content-Type": "application/rss+xml; charset=utf-8", **route.headers}
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        if route.honour_conditional and route.status == 200:
            inm = request.headers.get("If-None-Match")
            ims = request.headers.get("If-Modified-Since")
            if (route.etag and inm == route.etag) or (
                route.last_modified and not route.etag and ims == route.last_modified
            ):
                self._record(request, 304)
                request.send_response(304)
                for key in ("ETag", "Last-Modified"):
                    if key in headers:
                        request.send_header(key, headers[key])
                request.send_header("Content-Length", "0")
                request.end_headers()
                return
        if route.drip_s or route.chunked:
            self._record(request, route.status)
            request.send_response(route.status)
            for key, value in headers.items():
                request.send_header(key, value)
            request.send_header("Connection", "close")
            request.end_headers()
            step = 1 if route.drip_s else 65536
            try:
                for start in range(0, len(route.body), step):
                    request.wfile.write(route.body[start : start + step])
                    request.wfile.flush()
                    if route.drip_s:
                        time.sleep(route.drip_s)
            except (BrokenPipeError, ConnectionResetError):
                pass
            request.close_connection = True
            return
        self._send(request, route.status, headers, route.body)

    def standard(self) -> dict[str, str]:
        """The routes most tests want, by name -> URL."""
        modified = "Mon, 23 Nov 2026 08:00:00 GMT"
        return {
            "etag": self.add("/etag.xml", numbered_rss(5, prefix="etag"), etag='"v1"'),
            "lastmod": self.add(
                "/lastmod.xml", numbered_rss(3, prefix="lastmod"), last_modified=modified
            ),
            "slow": self.add("/slow.xml", numbered_rss(2, prefix="slow"), delay_s=3.0),
            "error500": self.add("/500.xml", b"boom", status=500),
            "error404": self.url("/missing.xml"),
            "redirect_ok": self.url("/redirect/5/etag.xml"),
            "redirect_far": self.url("/redirect/6/etag.xml"),
            "gzip": self.add(
                "/gzip.xml",
                gzip.compress(numbered_rss(4, prefix="gzip")),
                headers={"Content-Encoding": "gzip"},
            ),
            "invalid": self.add("/invalid.xml", INVALID_XML_WITH_ENTRIES),
            "broken": self.add("/broken.xml", INVALID_XML_NOTHING),
            "html": self.add("/page.html", HTML_PAGE, headers={"Content-Type": "text/html"}),
            "bomb": self.add("/bomb.xml", BOMB),
            "huge": self.add("/huge.xml", b"<rss>" + b" " * (3 * 1024 * 1024) + b"</rss>"),
            "huge_chunked": self.add(
                "/huge-chunked.xml", b"<rss>" + b" " * (3 * 1024 * 1024), chunked=True
            ),
            "gzip_bomb": self.add(
                "/gzip-bomb.xml",
                gzip_bomb(),
                headers={"Content-Encoding": "gzip"},
            ),
            "dupes": self.add("/dupes.xml", DUPLICATE_GUIDS),
            "nodates": self.add("/nodates.xml", NO_DATES),
            "markup": self.add("/markup.xml", MARKUP_TITLES),
            "empty": self.add("/empty.xml", rss([])),
        }

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(name="feed_server")
def feed_server_fixture() -> Iterator[FeedServer]:
    """A running FeedServer (import this into a test module to use ``feed_server``)."""
    with FeedServer() as server:
        yield server
