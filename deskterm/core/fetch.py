"""Fetching feed documents, bounded: http(s) URLs, ``file://`` URLs and plain paths.

Why asyncio (one ``aiohttp.ClientSession``, concurrency bounded by a semaphore in the caller)
rather than a pool of threads: a whole-request deadline (``asyncio.timeout``) cancels a
request cleanly wherever it is (connect, redirects, a server dripping one byte a second),
which a thread blocked in a read cannot do; one connection pool is shared by every
request; and parse jobs handed to worker processes are awaited the same way as the
network. The caller runs the loop in its own thread (``fetcher.fetch_all``).

Why aiohttp rather than httpx (used before): measured against the bench's local server
(``bench/feeds.py``), 200 requests that each get a 304 cost httpx ~0.29 s of CPU and
aiohttp ~0.03 s; 200 full 46 KB bodies ~0.25 s against ~0.04 s. A fetch runs every few
minutes beside the desk, so the client's own cost matters; aiohttp's import is ~100 ms
longer, paid once per fetch process.

Limits: a deadline per request (redirects and body included), a connect timeout, at
most ``max_redirects`` redirects, and a maximum body size counted after decompression
(gzip/deflate are inflated here with a bounded output, so a compression bomb stops at
the limit instead of filling memory). Conditional GET: the stored ETag and
Last-Modified are sent; a 304 costs one round trip and no body. Files use
``file:MTIME_NS:SIZE`` as their validator, so an unchanged file is not even read.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import ssl
import time
import zlib
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from urllib.request import url2pathname

import aiohttp

from deskterm.core.clip_text import clean_line, truncate

MB = 1024 * 1024
Outcome = Literal["ok", "unchanged", "error"]


def user_agent() -> str:
    """``deskterm/VERSION (...)``: the version from the package itself (looking it up with
    ``importlib.metadata`` scanned the installed distributions: ~14 ms a fetch)."""
    from deskterm import __version__

    return f"deskterm/{__version__} (press-desk news monitor; aiohttp)"


@dataclass(frozen=True)
class FetchLimits:
    timeout_s: float = 30.0  # the whole request: connect, redirects, headers, body
    connect_timeout_s: float = 10.0
    max_bytes: int = 8 * MB  # after decompression
    max_redirects: int = 5


@dataclass(frozen=True)
class FetchRequest:
    feed_id: int
    url: str  # http(s)://, file:// or a plain path
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    feed_id: int
    url: str
    outcome: Outcome
    body: bytes = b""
    http_status: int | None = None
    content_type: str | None = None
    etag: str | None = None  # the validators to store (the old ones on a 304)
    last_modified: str | None = None
    final_url: str | None = None  # after redirects
    moved_to: str | None = None  # set when every redirect was permanent (301/308)
    retry_after_s: float | None = None  # the server's Retry-After, on 429/503
    error: str = ""  # one line, when outcome == "error"
    elapsed_s: float = 0.0
    body_hash: str | None = None  # ``body_digest(body)``, set by the run before parsing


class BodyTooLarge(Exception):
    pass


class _Body:
    """Collects a response body, inflating gzip/deflate with bounded output."""

    def __init__(self, encoding: str | None, limit: int) -> None:
        codings = [
            c.strip().lower()
            for c in (encoding or "").split(",")
            if c.strip() and c.strip().lower() != "identity"
        ]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise ValueError(f"unsupported content encoding {encoding!r}")
        self.coding = codings[0] if codings else None
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0
        self._started = False
        self._inflater = self._new_inflater()

    def _new_inflater(self):  # type: ignore[no-untyped-def]
        if self.coding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self.coding == "deflate":
            return zlib.decompressobj()
        return None

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise BodyTooLarge
        if data:
            self.parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if self._inflater is None:
            self._add(chunk)
            return
        if not self._started and self.coding == "deflate":
            self._started = True
            try:  # "deflate" is zlib-wrapped by the standard, raw by some servers
                probe = zlib.decompressobj().decompress(chunk[:64])
                del probe
            except zlib.error:
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        data = chunk
        while data:
            out = self._inflater.decompress(data, self.limit - self.size + 1)
            self._add(out)
            data = self._inflater.unconsumed_tail
            if not data and self._inflater.eof and self._inflater.unused_data:
                data = self._inflater.unused_data  # a further gzip member
                self._inflater = self._new_inflater()

    def finish(self) -> bytes:
        if self._inflater is not None:
            self._add(self._inflater.flush())
        return b"".join(self.parts)


def body_digest(body: bytes) -> str:
    """A short digest of a document's bytes: SHA-256 cut to 128 bits (OpenSSL's SHA-256
    uses the CPU's SHA instructions: ~30 us for a 46 KB feed, BLAKE2b took 80)."""
    return hashlib.sha256(body).hexdigest()[:32]


def is_file_address(url: str) -> bool:
    return "://" not in url or url.lower().startswith("file://")


def _file_path(url: str) -> Path:
    if url.lower().startswith("file://"):
        return Path(url2pathname(urlsplit(url).path))
    return Path(url)


def _size_text(size: int) -> str:
    return f"{size / MB:.1f} MB" if size >= MB else f"{size // 1024} KB"


def read_file(request: FetchRequest, limits: FetchLimits) -> FetchResult:
    """A local feed file (blocking: run it in a thread, shares can be slow)."""
    started = time.monotonic()
    path = _file_path(request.url)

    def error(text: str) -> FetchResult:
        return FetchResult(
            request.feed_id,
            request.url,
            "error",
            error=truncate(clean_line(text), 300),
            elapsed_s=time.monotonic() - started,
        )

    try:
        stat = path.stat()
    except FileNotFoundError:
        return error(f"no such file: {path}")
    except OSError as exc:
        return error(f"cannot open {path}: {exc.strerror or exc}")
    if not path.is_file():
        return error(f"not a file: {path}")
    validator = f"file:{stat.st_mtime_ns}:{stat.st_size}"
    if request.etag == validator:
        return FetchResult(
            request.feed_id,
            request.url,
            "unchanged",
            etag=validator,
            elapsed_s=time.monotonic() - started,
        )
    if stat.st_size > limits.max_bytes:
        return error(
            f"the file is {_size_text(stat.st_size)}, over the {_size_text(limits.max_bytes)} limit"
        )
    try:
        with path.open("rb") as handle:
            body = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        return error(f"cannot read {path}: {exc.strerror or exc}")
    if len(body) > limits.max_bytes:
        return error(f"the file is over the {_size_text(limits.max_bytes)} limit")
    return FetchResult(
        request.feed_id,
        request.url,
        "ok",
        body=body,
        etag=validator,
        elapsed_s=time.monotonic() - started,
    )


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - time.time())


def _cause_chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _dns_failure(text: str) -> bool:
    lowered = text.lower()
    return any(
        words in lowered
        for words in (
            "name or service not known",
            "nodename nor servname",
            "temporary failure in name resolution",
            "no address associated",
            "getaddrinfo",
        )
    )


_SSL_NOISE = re.compile(r"^\[[A-Z0-9_: ]+\]\s*|\s*\(_ssl\.c:\d+\)$")


def _tls_reason(error: BaseException, chain: list[BaseException]) -> str:
    """What went wrong in the TLS handshake, in OpenSSL's words without its codes:
    "certificate has expired", "wrong version number" (aiohttp's own exceptions are also
    SSLErrors, so the innermost one is asked)."""
    certificate = getattr(error, "certificate_error", None)
    if isinstance(certificate, ssl.SSLCertVerificationError) and certificate.verify_message:
        return str(certificate.verify_message)
    inner = [e for e in chain if isinstance(e, ssl.SSLError)]
    if not inner:
        return ""
    return _SSL_NOISE.sub("", str(inner[-1])).strip()


def describe_error(error: BaseException, url: str, limits: FetchLimits) -> str:
    """One plain line for a failed request."""
    try:
        host = urlsplit(url).hostname or url
    except ValueError:  # e.g. an unclosed IPv6 bracket
        host = url
    chain = _cause_chain(error)
    # Each layer (aiohttp, the socket) tends to repeat its cause's words.
    text = " ".join(dict.fromkeys(str(e) for e in chain if str(e)))
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return f"timed out connecting to {host}"
    if isinstance(error, aiohttp.SocketTimeoutError):
        return f"timed out waiting for {host}"
    if isinstance(error, TimeoutError):
        return f"timed out after {limits.timeout_s:g} s"
    if isinstance(error, BodyTooLarge):
        return f"the response is over the {_size_text(limits.max_bytes)} limit"
    if isinstance(error, aiohttp.TooManyRedirects):
        return f"more than {limits.max_redirects} redirects"
    if isinstance(error, aiohttp.NonHttpUrlRedirectClientError):
        return "redirected to an address that is not http(s)"
    if isinstance(error, aiohttp.InvalidUrlRedirectClientError):
        return "redirected to an address that cannot be read"
    if isinstance(error, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return f"not an address deskterm can fetch (http, https, file or a path): {url}"
    if isinstance(error, aiohttp.ClientSSLError) or any(isinstance(e, ssl.SSLError) for e in chain):
        return f"TLS error with {host}: {_tls_reason(error, chain) or text}"
    if isinstance(error, aiohttp.ClientConnectorDNSError) or (
        isinstance(error, aiohttp.ClientConnectorError) and _dns_failure(text)
    ):
        return f"cannot resolve host {host}"
    if isinstance(error, aiohttp.ClientConnectorError):
        if isinstance(error.os_error, ConnectionRefusedError) or "refused" in text.lower():
            return f"connection refused by {host}"
        reason = error.os_error.strerror or str(error.os_error)
        return f"cannot connect to {host}: {reason or type(error).__name__}"
    if isinstance(error, zlib.error):
        return f"could not decode the response: {text}"
    if isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return f"the server at {host} broke off the response"
    if isinstance(error, aiohttp.ClientResponseError):  # an HTTP message we cannot read
        lines = str(error.message or "").strip().splitlines()
        reason = f": {lines[0].strip().rstrip(':')}" if lines else ""
        return f"the server at {host} sent a response that is not valid HTTP{reason}"
    if isinstance(error, ValueError) and "content encoding" in text:
        return text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


def environment_has_proxy_or_netrc() -> bool:
    """Whether aiohttp's ``trust_env`` would change any request of this run: a proxy
    setting (``*_proxy``, or the system's on macOS and Windows) or a netrc file.

    With ``trust_env`` aiohttp looks both up again for every request, each in a thread of
    the loop's executor (two thread hand-offs a request, the netrc file read each time):
    on a first fetch of 200 feeds that was about a tenth of the run's main-thread time.
    Without either there is nothing to trust, so the run goes without.
    """
    return bool(aiohttp.helpers.proxies_from_env()) or aiohttp.helpers.netrc_from_env() is not None


class Fetcher:
    """One HTTP client for a fetch run; ``fetch`` never raises for a failed request."""

    def __init__(self, limits: FetchLimits | None = None, *, connections: int = 8) -> None:
        self.limits = limits or FetchLimits()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections),
            # the whole request is bounded by asyncio.timeout in fetch()
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.limits.connect_timeout_s),
            headers={
                "User-Agent": user_agent(),
                "Accept": _ACCEPT,
                "Accept-Encoding": "gzip, deflate",
            },
            auto_decompress=False,  # inflated by _Body, bounded
            cookie_jar=aiohttp.DummyCookieJar(),  # feeds need no cookies
            # HTTP(S)_PROXY / NO_PROXY and ~/.netrc, as an office network may need
            trust_env=environment_has_proxy_or_netrc(),
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._session.close()

    async def fetch(self, request: FetchRequest) -> FetchResult:
        if is_file_address(request.url):
            return await asyncio.to_thread(read_file, request, self.limits)
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.limits.timeout_s):
                return await self._get(request, started)
        except Exception as error:  # every failure becomes one line on the feed
            return FetchResult(
                request.feed_id,
                request.url,
                "error",
                error=truncate(clean_line(describe_error(error, request.url, self.limits)), 300),
                elapsed_s=time.monotonic() - started,
            )

    async def _get(self, request: FetchRequest, started: float) -> FetchResult:
        headers = {}
        if request.etag and not request.etag.startswith("file:"):
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        # aiohttp raises on reaching max_redirects: one more lets that many be followed
        async with self._session.get(
            request.url, headers=headers, max_redirects=self.limits.max_redirects + 1
        ) as response:
            status = response.status
            final_url = str(response.url)
            moved_to = (
                final_url
                if response.history and all(r.status in (301, 308) for r in response.history)
                else None
            )
            common = {
                "http_status": status,
                "final_url": final_url,
                "moved_to": moved_to,
            }
            if status == 304:
                return FetchResult(
                    request.feed_id,
                    request.url,
                    "unchanged",
                    etag=response.headers.get("ETag") or request.etag,
                    last_modified=response.headers.get("Last-Modified") or request.last_modified,
                    elapsed_s=time.monotonic() - started,
                    **common,  # type: ignore[arg-type]
                )
            if status >= 400 or status < 200:
                phrase = response.reason or ""
                return FetchResult(
                    request.feed_id,
                    request.url,
                    "error",
                    error=truncate(clean_line(f"HTTP {status} {phrase}"), 300),
                    retry_after_s=_retry_after(response.headers.get("Retry-After"))
                    if status in (429, 503)
                    else None,
                    elapsed_s=time.monotonic() - started,
                    **common,  # type: ignore[arg-type]
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.limits.max_bytes:
                raise BodyTooLarge
            body = _Body(response.headers.get("Content-Encoding"), self.limits.max_bytes)
            async for chunk in response.content.iter_chunked(64 * 1024):
                body.feed(chunk)
            data = body.finish()
            return FetchResult(
                request.feed_id,
                request.url,
                "ok",
                body=data,
                content_type=response.headers.get("Content-Type"),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                elapsed_s=time.monotonic() - started,
                **common,  # type: ignore[arg-type]
            )


async def fetch_many(
    requests: list[FetchRequest], *, concurrency: int = 8, limits: FetchLimits | None = None
) -> list[FetchResult]:
    """Fetch documents concurrently (at most ``concurrency`` at once), in request order."""
    semaphore = asyncio.Semaphore(max(1, concurrency))
    async with Fetcher(limits, connections=concurrency) as fetcher:

        async def one(request: FetchRequest) -> FetchResult:
            async with semaphore:
                return await fetcher.fetch(request)

        return list(await asyncio.gather(*(one(r) for r in requests)))


def fetch_documents(
    requests: list[FetchRequest], *, concurrency: int = 8, limits: FetchLimits | None = None
) -> list[FetchResult]:
    """``fetch_many`` for callers without an event loop (tests, tools)."""
    return asyncio.run(fetch_many(requests, concurrency=concurrency, limits=limits))


def __getattr__(name: str) -> object:
    """``fetch_all`` and ``FetchSummary`` live in ``deskterm.core.fetcher`` (the run);
    importing them from here works too, without a circular import."""
    if name in ("fetch_all", "FetchSummary"):
        from deskterm.core import fetcher

        return getattr(fetcher, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
