"""Fetching feed documents, bounded: http(s) URLs, ``file://`` URLs and plain paths.

Why asyncio (libcurl's transfers driven from the loop, concurrency bounded by a semaphore
in the caller): parse jobs handed to worker processes are awaited the same way as the
network, and one connection cache is shared by every request. The caller runs the loop
in its own thread (``fetcher.fetch_all``).

Why libcurl (pycurl) rather than aiohttp (used before, and httpx before that): measured
against the bench's local server (``bench/feeds.py``), 200 requests for full 46 KB bodies
cost ~17 ms of CPU in libcurl against ~0.05 s in aiohttp (~0.25 s in httpx), and pycurl
imports in ~30 ms where aiohttp took ~100 ms (it builds two TLS contexts, reading the CA
bundle, at import). ``deskterm fetch`` of 200 feeds re-sent with new bytes went from
0.40-0.46 s to 0.31-0.37 s, the 304 run from 0.27 s to 0.18 s (alternated runs,
2026-11-24). libcurl reads the CA bundle only when an https feed is fetched.

Limits: a deadline per request (redirects and body included: libcurl's ``TIMEOUT_MS``), a
connect timeout, at most ``max_redirects`` redirects (http and https only), and a maximum
body size counted after decompression (gzip/deflate are inflated here, in the write
callback, with a bounded output, so a compression bomb stops at the limit instead of
filling memory). Proxies and a netrc file come from the environment as Python's
``urllib`` reads them. Conditional GET: the stored ETag and Last-Modified are sent; a 304
costs one round trip and no body. Files use ``file:MTIME_NS:SIZE`` as their validator, so
an unchanged file is not even read.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import re
import ssl
import time
import zlib
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit
from urllib.request import getproxies_environment, proxy_bypass_environment, url2pathname

import pycurl

from deskterm.core.clip_text import clean_line, truncate

MB = 1024 * 1024
Outcome = Literal["ok", "unchanged", "error"]


def user_agent() -> str:
    """``deskterm/VERSION (...)``: the version from the package itself (looking it up with
    ``importlib.metadata`` scanned the installed distributions: ~14 ms a fetch)."""
    from deskterm import __version__

    return f"deskterm/{__version__} (press-desk news monitor; libcurl)"


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
        return _failed(request, text, started)

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


def describe_error(error: BaseException, url: str, limits: FetchLimits) -> str:
    """One plain line for a request that failed in our own code, not in libcurl (libcurl's
    failures are ``_curl_failure``'s)."""
    if isinstance(error, TimeoutError):
        return f"timed out after {limits.timeout_s:g} s"
    if isinstance(error, BodyTooLarge):
        return f"the response is over the {_size_text(limits.max_bytes)} limit"
    if isinstance(error, zlib.error):
        return f"could not decode the response: {error}"
    # Each layer tends to repeat its cause's words.
    text = " ".join(dict.fromkeys(str(e) for e in _cause_chain(error) if str(e)))
    if isinstance(error, ValueError) and "content encoding" in text:
        return text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
# libcurl's error numbers this module tells apart: pycurl's names, and the numbers of the
# few it has no name for (or only an old FTP one); CURLOPT_SUPPRESS_CONNECT_HEADERS too.
_E_WEIRD_SERVER_REPLY = 8  # pycurl.E_FTP_WEIRD_SERVER_REPLY
_E_HTTP2_STREAM = 92
_E_SSL_CLIENTCERT = 98
_E_TLS = frozenset(
    {
        pycurl.E_SSL_CONNECT_ERROR,
        pycurl.E_SSL_ENGINE_NOTFOUND,
        pycurl.E_SSL_ENGINE_SETFAILED,
        pycurl.E_SSL_CERTPROBLEM,
        pycurl.E_SSL_CIPHER,
        pycurl.E_PEER_FAILED_VERIFICATION,
        pycurl.E_USE_SSL_FAILED,
        pycurl.E_SSL_ENGINE_INITFAILED,
        pycurl.E_SSL_CACERT_BADFILE,
        pycurl.E_SSL_SHUTDOWN_FAILED,
        pycurl.E_SSL_CRL_BADFILE,
        pycurl.E_SSL_ISSUER_ERROR,
        pycurl.E_SSL_PINNEDPUBKEYNOTMATCH,
        pycurl.E_SSL_INVALIDCERTSTATUS,
        _E_SSL_CLIENTCERT,
    }
)
_E_BROKEN_OFF = frozenset(
    {
        pycurl.E_PARTIAL_FILE,
        pycurl.E_GOT_NOTHING,
        pycurl.E_SEND_ERROR,
        pycurl.E_RECV_ERROR,
        _E_HTTP2_STREAM,
    }
)
_OPT_SUPPRESS_CONNECT_HEADERS = 265
# libcurl's words for a failed handshake, without OpenSSL's codes: "SSL certificate OpenSSL
# verify result: self-signed certificate (18)" and "TLS connect error: error:0A00010B:SSL
# routines::wrong version number" (OpenSSL 1.1: "error:1408F10B:SSL routines:func:reason")
# each come down to the reason alone.
_OPENSSL_CODE = re.compile(r"error:[0-9A-Fa-f]+:[^:]*:[^:]*:\s*(.+)$")
_TLS_PREFIX = re.compile(
    r"^(?:SSL certificate problem:|SSL certificate OpenSSL verify result:|"
    r"SSL peer certificate or SSH remote key was not OK:?|TLS connect error:|"
    r"[A-Za-z]+/[\w.]+:)\s*"
)


def _tls_reason(message: str) -> str:
    coded = _OPENSSL_CODE.search(message)
    reason = coded.group(1) if coded else message
    while (stripped := _TLS_PREFIX.sub("", reason)) != reason:
        reason = stripped
    return re.sub(r"\s*\(\d+\)$", "", reason).strip() or message


def _netrc_path() -> str | None:
    """The netrc file libcurl should read (``NETRC``, else ``~/.netrc``), if there is one."""
    candidate = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    return candidate if os.path.isfile(candidate) else None


def _ca_locations() -> tuple[str | None, str | None]:
    """The certificates this machine's Python trusts (``SSL_CERT_FILE``/``SSL_CERT_DIR``,
    else OpenSSL's defaults), for libcurl: the wheel's libcurl was built elsewhere and its
    own default bundle path need not exist here."""
    paths = ssl.get_default_verify_paths()
    cafile = paths.cafile if paths.cafile and os.path.isfile(paths.cafile) else None
    capath = paths.capath if paths.capath and os.path.isdir(paths.capath) else None
    return cafile, capath


_UNSAFE_IN_URL = re.compile(r'[\s"<>\\^`{|}]')  # what a URL must carry %-encoded


def _unfetchable(url: str) -> str:
    return f"not an address deskterm can fetch (http, https, file or a path): {url}"


def _ascii_url(url: str) -> str:
    """``url`` as libcurl takes it, in ASCII: an address with other letters (a community
    paper's accented path, an internationalised domain) or with spaces goes out as a
    browser sends it, the host in IDNA and the rest percent-encoded as UTF-8 (what is
    encoded already stays so). ValueError when it cannot."""
    if url.isascii() and not _UNSAFE_IN_URL.search(url):
        return url
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    try:
        netloc = host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValueError(f"cannot encode the host {host!r}") from error
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    if parts.username is not None:
        login = quote(parts.username, safe="")
        if parts.password is not None:
            login += ":" + quote(parts.password, safe="")
        netloc = f"{login}@{netloc}"
    keep = "/%:@!$&'()*+,;=-._~?"
    return urlunsplit(
        (parts.scheme, netloc, quote(parts.path, safe=keep), quote(parts.query, safe=keep), "")
    )


class _Transfer:
    """One request's state while libcurl runs it: the status line and headers of each
    response (redirects included) and the body of the last, inflated and bounded."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.statuses: list[int] = []
        self.reason = ""
        self.headers: dict[str, str] = {}
        self.body: _Body | None = None
        self.failure: Exception | None = None  # raised while reading the body
        self.unwanted = False  # an error page's body: the transfer was stopped at its start
        self.malformed = ""  # a status line where a header belonged
        self._in_head = False

    def header_line(self, raw: bytes) -> None:
        line = raw.decode("iso-8859-1").rstrip("\r\n")
        if not line:
            self._in_head = False
            return
        if line.startswith("HTTP/") and not self._in_head:
            parts = line.split(" ", 2)
            try:
                self.statuses.append(int(parts[1]))
            except (IndexError, ValueError):
                self.malformed = line
                return
            self.reason = parts[2].strip() if len(parts) > 2 else ""
            self.headers = {}
            self._in_head = True
            return
        name, colon, value = line.partition(":")
        if not colon:
            self.malformed = line
            return
        self.headers.setdefault(name.strip().lower(), value.strip())

    @property
    def status(self) -> int:
        return self.statuses[-1] if self.statuses else 0

    def write(self, chunk: bytes) -> int | None:
        """libcurl's write callback: None goes on, 0 stops the transfer (the reason kept)."""
        status = self.status
        if not 200 <= status < 300:
            self.unwanted = True  # an error page: its status says it all, stop reading
            return 0
        try:
            if self.body is None:
                declared = self.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.limit:
                    raise BodyTooLarge
                self.body = _Body(self.headers.get("content-encoding"), self.limit)
            self.body.feed(chunk)
        except Exception as error:  # kept, and reported as the request's error
            self.failure = error
            return 0
        return None

    def data(self) -> bytes:
        if self.body is None:
            return b""
        return self.body.finish()


class _CurlLoop:
    """Runs libcurl's transfers from the asyncio loop of this thread.

    libcurl says which sockets to watch (``M_SOCKETFUNCTION``) and when it must run next
    (``M_TIMERFUNCTION``); the loop's readers, writers and timer call
    ``socket_action`` back. The transfers themselves run in C: a 46 KB feed costs the loop
    ~0.1 ms of Python, where aiohttp (used before) cost ~0.5 ms.
    """

    def __init__(self, connections: int) -> None:
        self.loop = asyncio.get_running_loop()
        self.multi = pycurl.CurlMulti()
        self.multi.setopt(pycurl.M_SOCKETFUNCTION, self._watch)
        self.multi.setopt(pycurl.M_TIMERFUNCTION, self._schedule)
        self.multi.setopt(pycurl.M_MAXCONNECTS, max(1, connections))
        self._watched: set[int] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._waiting: dict[pycurl.Curl, asyncio.Future[tuple[int, str]]] = {}
        self._closed = False  # libcurl may still call back while the multi handle closes

    async def run(self, handle: pycurl.Curl) -> tuple[int, str]:
        """Perform ``handle``: (0, "") when it completed, else libcurl's error number and
        message. Cancelling the caller takes the handle out of the transfers."""
        future: asyncio.Future[tuple[int, str]] = self.loop.create_future()
        self._waiting[handle] = future
        self.multi.add_handle(handle)
        try:
            return await future
        finally:
            if self._waiting.pop(handle, None) is not None:  # cancelled: not finished
                self.multi.remove_handle(handle)

    def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for handle in list(self._waiting):
            self.multi.remove_handle(handle)
        for fd in self._watched:
            self.loop.remove_reader(fd)
            self.loop.remove_writer(fd)
        self._watched.clear()
        self.multi.close()

    # libcurl's callbacks ------------------------------------------------------------------
    def _watch(self, event: int, fd: int, _multi: object, _data: object) -> None:
        if self._closed:
            return
        if fd in self._watched:
            self.loop.remove_reader(fd)
            self.loop.remove_writer(fd)
            self._watched.discard(fd)
        if event == pycurl.POLL_REMOVE:
            return
        if event in (pycurl.POLL_IN, pycurl.POLL_INOUT):
            self.loop.add_reader(fd, self._act, fd, pycurl.CSELECT_IN)
        if event in (pycurl.POLL_OUT, pycurl.POLL_INOUT):
            self.loop.add_writer(fd, self._act, fd, pycurl.CSELECT_OUT)
        self._watched.add(fd)

    def _schedule(self, msecs: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if msecs >= 0 and not self._closed:
            self._timer = self.loop.call_later(msecs / 1000, self._on_timer)

    # the loop's callbacks -----------------------------------------------------------------
    def _on_timer(self) -> None:
        self._timer = None
        self._act(pycurl.SOCKET_TIMEOUT, 0)
        # libcurl may want the timer again without saying so (its clock against the loop's)
        if self._timer is None and not self._closed:
            wait = self.multi.timeout()
            if wait >= 0:
                self._schedule(wait)

    def _act(self, fd: int, mask: int) -> None:
        if self._closed:
            return
        while True:
            try:
                code, _running = self.multi.socket_action(fd, mask)
            except pycurl.error as error:
                code = error.args[0]
            if code != pycurl.E_CALL_MULTI_PERFORM:
                break
        while True:
            queued, done, failed = self.multi.info_read()
            for handle in done:
                self._finish(handle, 0, "")
            for handle, number, message in failed:
                self._finish(handle, number, message)
            if not queued:
                break

    def _finish(self, handle: pycurl.Curl, number: int, message: str) -> None:
        self.multi.remove_handle(handle)
        future = self._waiting.pop(handle, None)
        if future is not None and not future.done():
            future.set_result((number, message))


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or url
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return url


def _curl_failure(
    number: int,
    message: str,
    transfer: _Transfer,
    handle: pycurl.Curl,
    url: str,
    limits: FetchLimits,
) -> str:
    """One plain line for a transfer libcurl could not complete."""
    host = _host(url)
    if transfer.failure is not None:  # our write callback stopped it
        return describe_error(transfer.failure, url, limits)
    if transfer.malformed and number in (_E_WEIRD_SERVER_REPLY, *_E_BROKEN_OFF):
        number = _E_WEIRD_SERVER_REPLY
    redirected = len(transfer.statuses) > 0
    if number == pycurl.E_OPERATION_TIMEDOUT:
        if handle.getinfo(pycurl.CONNECT_TIME) == 0 and "connect" in message.lower():
            return f"timed out connecting to {host}"
        return f"timed out after {limits.timeout_s:g} s"
    if number == pycurl.E_TOO_MANY_REDIRECTS:
        return f"more than {limits.max_redirects} redirects"
    if number == pycurl.E_UNSUPPORTED_PROTOCOL and "HTTP/0.9" in message:
        return f"the server at {host} sent a response that is not valid HTTP"
    if number in (pycurl.E_UNSUPPORTED_PROTOCOL, pycurl.E_URL_MALFORMAT) and redirected:
        if number == pycurl.E_UNSUPPORTED_PROTOCOL:
            return "redirected to an address that is not http(s)"
        return "redirected to an address that cannot be read"
    if number in (pycurl.E_UNSUPPORTED_PROTOCOL, pycurl.E_URL_MALFORMAT):
        return _unfetchable(url)
    if number == pycurl.E_COULDNT_RESOLVE_HOST:
        return f"cannot resolve host {host}"
    if number == pycurl.E_COULDNT_RESOLVE_PROXY:
        return f"cannot resolve the proxy: {message}"
    if number == pycurl.E_COULDNT_CONNECT:
        os_errno = handle.getinfo(pycurl.OS_ERRNO)
        if os_errno == errno.ECONNREFUSED:
            return f"connection refused by {host}"
        reason = os.strerror(os_errno) if os_errno else message
        return f"cannot connect to {host}: {reason}"
    if number in _E_TLS:
        return f"TLS error with {host}: {_tls_reason(message)}"
    if number == _E_WEIRD_SERVER_REPLY:
        detail = transfer.malformed or message
        return f"the server at {host} sent a response that is not valid HTTP: {detail}"
    if number in _E_BROKEN_OFF:
        return f"the server at {host} broke off the response"
    return message or f"libcurl error {number}"


class Fetcher:
    """One HTTP client for a fetch run (libcurl, through pycurl); ``fetch`` never raises
    for a failed request. Use it as an async context manager, inside the running loop."""

    def __init__(self, limits: FetchLimits | None = None, *, connections: int = 8) -> None:
        self.limits = limits or FetchLimits()
        self._connections = connections
        self._curl: _CurlLoop | None = None
        self._headers = [f"Accept: {_ACCEPT}", "Accept-Encoding: gzip, deflate"]
        self._agent = user_agent()
        self._cafile, self._capath = _ca_locations()
        # the environment, read once a run (an office network's proxy, a netrc file)
        self._proxies = getproxies_environment()
        self._netrc = _netrc_path()

    async def __aenter__(self) -> Fetcher:
        self._curl = _CurlLoop(self._connections)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._curl is not None:
            self._curl.close()
            self._curl = None

    async def fetch(self, request: FetchRequest) -> FetchResult:
        if is_file_address(request.url):
            return await asyncio.to_thread(read_file, request, self.limits)
        started = time.monotonic()
        try:
            # libcurl's own deadline (TIMEOUT_MS) ends the request; this one only in case
            async with asyncio.timeout(self.limits.timeout_s + 5):
                return await self._get(request, started)
        except Exception as error:  # every failure becomes one line on the feed
            return _failed(request, describe_error(error, request.url, self.limits), started)

    def _proxy_for(self, url: str) -> str:
        """The proxy for ``url`` as Python's ``urllib`` reads the environment; "" is none
        (libcurl is then told so, and reads no environment of its own)."""
        if not self._proxies:
            return ""
        parts = urlsplit(url)
        if proxy_bypass_environment(parts.hostname or "", self._proxies):
            return ""
        return self._proxies.get(parts.scheme.lower()) or self._proxies.get("all", "")

    def _handle(self, request: FetchRequest, address: str, transfer: _Transfer) -> pycurl.Curl:
        limits = self.limits
        handle = pycurl.Curl()
        headers = list(self._headers)
        if request.etag and not request.etag.startswith("file:"):
            headers.append(f"If-None-Match: {request.etag}")
        if request.last_modified:
            headers.append(f"If-Modified-Since: {request.last_modified}")
        for option, value in (
            (pycurl.URL, address),
            (pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS),
            (pycurl.REDIR_PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS),
            (pycurl.FOLLOWLOCATION, 1),
            (pycurl.MAXREDIRS, limits.max_redirects),
            (pycurl.TIMEOUT_MS, int(limits.timeout_s * 1000)),
            (pycurl.CONNECTTIMEOUT_MS, int(limits.connect_timeout_s * 1000)),
            (pycurl.NOSIGNAL, 1),
            (pycurl.USERAGENT, self._agent),
            (pycurl.HTTPHEADER, headers),
            (pycurl.PROXY, self._proxy_for(address)),
            (_OPT_SUPPRESS_CONNECT_HEADERS, 1),
            (pycurl.HEADERFUNCTION, transfer.header_line),
            (pycurl.WRITEFUNCTION, transfer.write),
        ):
            handle.setopt(option, value)
        if self._cafile:
            handle.setopt(pycurl.CAINFO, self._cafile)
        if self._capath:
            handle.setopt(pycurl.CAPATH, self._capath)
        if self._netrc:
            handle.setopt(pycurl.NETRC, pycurl.NETRC_OPTIONAL)
            handle.setopt(pycurl.NETRC_FILE, self._netrc)
        return handle

    async def _get(self, request: FetchRequest, started: float) -> FetchResult:
        if self._curl is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        try:
            address = _ascii_url(request.url)
        except ValueError:
            return _failed(request, _unfetchable(request.url), started)
        transfer = _Transfer(self.limits.max_bytes)
        handle = self._handle(request, address, transfer)
        try:
            number, message = await self._curl.run(handle)
            if number and not (number == pycurl.E_WRITE_ERROR and transfer.unwanted):
                line = _curl_failure(number, message, transfer, handle, request.url, self.limits)
                return _failed(request, line, started)
            final_url = handle.getinfo(pycurl.EFFECTIVE_URL) or request.url
            body = transfer.data()
        finally:
            handle.close()
        return self._result(request, transfer, final_url, body, started)

    def _result(
        self,
        request: FetchRequest,
        transfer: _Transfer,
        final_url: str,
        body: bytes,
        started: float,
    ) -> FetchResult:
        status = transfer.status
        headers = transfer.headers
        redirects = transfer.statuses[:-1]
        common = {
            "http_status": status,
            "final_url": final_url,
            "moved_to": final_url
            if redirects and all(s in (301, 308) for s in redirects)
            else None,
        }
        elapsed = time.monotonic() - started
        if status == 304:
            return FetchResult(
                request.feed_id,
                request.url,
                "unchanged",
                etag=headers.get("etag") or request.etag,
                last_modified=headers.get("last-modified") or request.last_modified,
                elapsed_s=elapsed,
                **common,  # type: ignore[arg-type]
            )
        if not 200 <= status < 300:  # (a 3xx here is one libcurl did not follow)
            phrase = transfer.reason or _phrase(status)
            return FetchResult(
                request.feed_id,
                request.url,
                "error",
                error=truncate(clean_line(f"HTTP {status} {phrase}".strip()), 300),
                retry_after_s=_retry_after(headers.get("retry-after"))
                if status in (429, 503)
                else None,
                elapsed_s=elapsed,
                **common,  # type: ignore[arg-type]
            )
        return FetchResult(
            request.feed_id,
            request.url,
            "ok",
            body=body,
            content_type=headers.get("content-type"),
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            elapsed_s=elapsed,
            **common,  # type: ignore[arg-type]
        )


def _failed(request: FetchRequest, line: str, started: float) -> FetchResult:
    """A request that got no usable answer: ``line`` says why, on the feed."""
    return FetchResult(
        request.feed_id,
        request.url,
        "error",
        error=truncate(clean_line(line), 300),
        elapsed_s=time.monotonic() - started,
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


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
