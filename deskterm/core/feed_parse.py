"""Feed bytes -> normalised entries. Runs in worker processes: no database, no Textual.

Two readers feed ONE normalisation path (``_Normaliser``):

- a fast reader for well-formed RSS 0.9x/1.0/2.0 and Atom 1.0 built on ``xml.etree``
  (expat, in C): about 8x feedparser's speed, measured in ``bench/feeds.py``;
- feedparser for everything else: documents expat rejects (ill-formed XML, which
  feedparser still reads loosely: its "bozo" warning is kept on the feed), documents with
  a DOCTYPE (feedparser strips entity declarations, so entity-expansion bombs expand to
  nothing), Atom 0.3, CDF, and any charset the HTTP header and the XML declaration
  disagree on.

Both readers produce ``_Raw`` entries; only ``_Normaliser`` turns them into ``Entry``:
plain-text titles and summaries (``clips.plain_text``: tags dropped, entities decoded,
control characters and terminal escapes removed, whitespace collapsed, bounded length),
canonical links (tracking parameters, fragment and default port dropped, host lower-cased),
aware UTC times (the entry's own, else the fetch time), a GUID, the story keys used for
dedupe (``title_key``, ``content_hash``). Feedparser is always given bytes
(``io.BytesIO``), never a string, which it would take as a path or URL.
"""

from __future__ import annotations

import hashlib
import html
import io
import operator
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from deskterm.core.clip_text import _BLOCK, MAX_MARKUP, clean_line, plain_text, truncate
from deskterm.core.errors import InputError

if TYPE_CHECKING:
    from deskterm.core.topic_match import CompiledTopic, TopicRecord

MAX_ENTRIES = 1000  # entries kept from one document (the first ones, as feeds list newest first)
MAX_TITLE = 500
MAX_SUMMARY = 4000
MAX_AUTHOR = 200
MAX_GUID = 2000
MAX_URL = 2000
MAX_TITLE_KEY = 200
FUTURE_SLACK = timedelta(days=1)  # an entry dated later than this past the fetch is re-dated
MIN_HASH_WORDS = 15  # summaries shorter than this get no content_hash (too generic to group)

# Query parameters that only track the reader (dropped from canonical links).
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid",
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id",
        "vero_id", "vero_conv", "rb_clickid", "s_cid", "ncid", "cmpid", "ocid", "sr_share",
        "spm", "_ga", "ref_src", "at_medium", "at_campaign", "at_custom1", "at_custom2",
        "xtor", "ito", "wt.mc_id", "cid_rss",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_")

ATOM = "{http://www.w3.org/2005/Atom}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS10 = "{http://purl.org/rss/1.0/}"
RSS090 = "{http://my.netscape.com/rdf/simple/0.9/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
FEEDBURNER = "{http://rssnamespace.org/feedburner/ext/1.0}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_DOCTYPE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._-]+)", re.IGNORECASE)
_LOOKS_HTML = re.compile(r"<[A-Za-z/!]|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]{1,31});")
_NOT_WORD = re.compile(r"[^\w]+")
_HTML_DOC = re.compile(rb"<\s*(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)
# A start or end tag with its attributes. No "<" or ">" inside (not even quoted), so a
# match attempt never scans past the next one: linear time on any input. A tag this
# does not take leaves a "<" behind and the text goes to the real parser.
_TAG = re.compile(r"""</?([A-Za-z][A-Za-z0-9:-]*)(?:\s(?:[^<>"']|"[^"<>]*"|'[^'<>]*')*)?/?>""")
_NEEDS_PARSER = re.compile(r"<\s*/?\s*(?:script|style|template|head|noscript)\b|<!|<\?", re.I)
_LEFT_OVER = re.compile(r"<[A-Za-z/!?]")
_NAME_IN_EMAIL = re.compile(r"^\s*\S+@\S+\s*\((.+)\)\s*$")


@dataclass(frozen=True, slots=True)
class Entry:
    """One story, normalised: safe one-line text, canonical link, aware UTC time."""

    guid: str
    url: str | None  # canonical http(s) link
    url_key: str | None  # the link when it identifies this entry (for cross-feed dedupe)
    title: str
    summary: str
    author: str
    published_at: datetime  # aware UTC
    dated: bool  # False: the feed gave no usable date, published_at is the fetch time
    title_key: str  # "" when the title is too generic to group stories by
    content_hash: str | None
    #: (topic id, matched terms as stored) when topics were matched in the parser
    topics: tuple[tuple[int, str], ...] = ()
    #: the clip's row as SQLite stores it (``ingest.ROW_COLUMNS``), when prepared
    row: tuple = ()

    def __reduce__(self) -> tuple[type[Entry], tuple[Any, ...]]:
        """Pickled as the arguments of ``Entry(...)``. A first fetch sends ~10,000 entries
        from the parser processes; the default state of a slotted frozen dataclass (built
        and restored through ``dataclasses.fields`` per entry) held the fetch's main
        process for ~0.2 s of GIL time restoring them."""
        return (Entry, _entry_values(self))


#: An entry's field values in field order (``Entry.__reduce__``), read in one C call.
_entry_values = operator.attrgetter(*(f.name for f in fields(Entry)))


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    entries: tuple[Entry, ...]
    title: str = ""
    link: str | None = None
    language: str | None = None
    version: str = ""  # e.g. rss20, atom10 (feedparser's names)
    reader: str = ""  # "fast" or "feedparser"
    warning: str = ""  # one line: ill-formed XML that still gave entries, duplicates, cuts
    error: str = ""  # one line: why the document gave nothing usable ("" = usable)
    topics_matched: bool = False  # entries carry their topic matches (see ``Entry.topics``)
    rows_ready: bool = False  # entries carry their SQLite rows (``Entry.row``)
    #: entries left out because the feed's stored clips have their GUIDs
    #: (``EntryContext.known_guids``)
    already_stored: int = 0


@dataclass(slots=True)
class _Raw:
    """An entry as a reader found it, before normalisation."""

    guid: str | None = None
    link: str | None = None
    title: str = ""
    title_html: bool = True
    summary: str = ""
    summary_html: bool = True
    author: str = ""
    published: datetime | None = None
    #: the date as the document wrote it, read by the normaliser when ``published`` is
    #: None (most re-fetched entries are known already and never need it)
    published_text: str = ""
    base: str | None = None  # for relative links


@dataclass(slots=True)
class _Doc:
    entries: list[_Raw] = field(default_factory=list)
    title: str = ""
    link: str | None = None
    language: str | None = None
    version: str = ""
    warning: str = ""


# --- text, links, dates, keys ----------------------------------------------------------------


def html_text(value: str, *, limit: int) -> str:
    """``clips.plain_text`` of ``value``, faster for the markup feeds carry.

    Tags are dropped with one regular expression (block tags leave a space, as
    ``plain_text`` does) and entities decoded; anything that needs a real HTML parser
    (script/style and other skipped content, comments, declarations, a ``<`` that is
    left over) goes to ``plain_text``. Tests check both give the same text.
    """
    if len(value) > MAX_MARKUP or _NEEDS_PARSER.search(value):
        return plain_text(value, limit=limit)
    text = _TAG.sub(_tag_space, value)
    if _LEFT_OVER.search(text):
        return plain_text(value, limit=limit)
    return truncate(clean_line(html.unescape(text)), limit)


def _tag_space(match: re.Match[str]) -> str:
    return " " if match.group(1).lower() in _BLOCK else ""


def to_text(value: str, *, html: bool, limit: int) -> str:
    """One line of plain text from a feed field (``plain_text`` rules for markup)."""
    if not value:
        return ""
    if html and ("<" in value or "&" in value):
        return html_text(value, limit=limit)
    if len(value) > limit * 4:
        value = value[: limit * 4]  # bounded work on enormous fields; cut again below
    return truncate(clean_line(value), limit)


def looks_like_html(value: str) -> bool:
    return bool(_LOOKS_HTML.search(value))


def _tracking(name: str) -> bool:
    key = unquote(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def canonical_url(link: str | None, base: str | None = None) -> str | None:
    """An http(s) link in canonical form, or None if it is not one.

    Resolved against ``base``; scheme and host lower-cased; user info, default port,
    fragment and tracking parameters (utm_*, fbclid, gclid, ...) dropped; an empty path
    becomes "/". The rest of the query keeps its order and encoding.
    """
    if not link:
        return None
    link = clean_line(link).replace(" ", "%20")
    if not link or len(link) > MAX_URL * 2:
        return None
    try:
        if base and not link[:8].lower().startswith(("http://", "https://")):
            link = urljoin(base, link)  # (an absolute link would come back as it is)
        parts = urlsplit(link)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != (80 if scheme == "http" else 443):
        host = f"{host}:{port}"
    query = "&".join(
        piece for piece in parts.query.split("&") if piece and not _tracking(piece.split("=")[0])
    )
    url = urlunsplit((scheme, host, parts.path or "/", query, ""))
    return url if len(url) <= MAX_URL else None


#: ASCII letters and digits stay, every other ASCII character becomes a space: for ASCII
#: text, the same words as ``_NOT_WORD.sub(" ", text).replace("_", " ").split()`` at a
#: fraction of the cost (the regular expression took 30 us of a 500-character summary).
_ASCII_WORDS = str.maketrans(
    {chr(c): " " for c in range(128) if not chr(c).isalnum()}  # "_" too: not a word here
)


def web_host(url: str) -> str | None:
    """An http(s) feed's host: the name ``add_feed`` gives it when none is typed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return parts.hostname if parts.scheme.lower() in ("http", "https") else None


def _words(folded: str) -> list[str]:
    """The words of case-folded text: runs of letters and digits (``\\w`` without ``_``)."""
    if folded.isascii():
        return folded.translate(_ASCII_WORDS).split()
    return _NOT_WORD.sub(" ", folded).replace("_", " ").split()


def title_key(title: str) -> str:
    """The title folded for grouping syndicated copies: case, accents and punctuation
    dropped, whitespace collapsed. "" when too generic (fewer than 3 words and 20 letters)."""
    folded = title.casefold()
    if not folded.isascii():
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = _words(folded)
    key = " ".join(words)[:MAX_TITLE_KEY].strip()
    if len(words) < 3 and len(key) < 20:
        return ""
    return key


def content_hash(summary: str) -> str | None:
    """A hash of the summary's words (case and punctuation folded), or None when the
    summary is too short to say two entries carry the same text."""
    words = _words(summary.casefold())
    if len(words) < MIN_HASH_WORDS:
        return None
    return hashlib.blake2b(" ".join(words).encode(), digest_size=16).hexdigest()


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _feedparser_date(text: str) -> datetime | None:
    from feedparser.datetimes import _parse_date  # feedparser's many date dialects

    try:
        parsed = _parse_date(text)
    except Exception:
        return None
    if not parsed:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def parse_date(text: str | None) -> datetime | None:
    """An aware UTC time from an RFC 822 or ISO 8601 date (feedparser's parsers for the
    rest); None when there is no usable date."""
    if not text:
        return None
    text = text.strip()[:100]
    if not text:
        return None
    try:
        if text[:4].isdigit():
            return _aware(datetime.fromisoformat(text))
        return _aware(parsedate_to_datetime(text))
    except (ValueError, TypeError, IndexError, OverflowError):
        return _feedparser_date(text)


def _one_line_error(error: object) -> str:
    text = clean_line(str(error)) or type(error).__name__
    return truncate(text, 300)


# --- the fast reader (xml.etree) ---------------------------------------------------------------


def _declared_encoding(data: bytes) -> str:
    match = _XML_DECL_ENCODING.match(data[:200].lstrip(b"\xef\xbb\xbf"))
    return match.group(1).decode("ascii").lower() if match else "utf-8"


def _fast_allowed(data: bytes, content_type: str | None) -> bool:
    if _DOCTYPE.search(data):
        return False  # entity declarations and DTDs: feedparser defuses them
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff") or data[:2] in (
        b"\xff\xfe",
        b"\xfe\xff",
    ):
        return False  # UTF-16/32: leave the detective work to feedparser
    if content_type:
        match = _CHARSET.search(content_type)
        if match:
            header = match.group(1).lower().replace("_", "-")
            declared = _declared_encoding(data).replace("_", "-")
            if header.replace("-", "") != declared.replace("-", ""):
                return False  # the HTTP charset wins (RFC 7303): feedparser knows the rules
    return True


def _text(element: ET.Element | None) -> str:
    if element is None:
        return ""
    return "".join(element.itertext()) if len(element) else (element.text or "")


def _first(parent: ET.Element, *tags: str) -> ET.Element | None:
    for tag in tags:
        found = parent.find(tag)
        if found is not None:
            return found
    return None


def _atom_text(element: ET.Element | None) -> tuple[str, bool]:
    """An Atom text construct: (text, is_html)."""
    if element is None:
        return "", False
    kind = (element.get("type") or "text").lower()
    if kind == "xhtml" or (len(element) and kind not in ("text", "html")):
        inner = "".join(
            ET.tostring(child, encoding="unicode", short_empty_elements=True) for child in element
        )
        return (element.text or "") + inner, True
    if kind in ("html", "text/html"):
        return element.text or "", True
    if kind in ("text", "text/plain"):
        return _text(element), False
    return "", False  # base64 or other media: not text we show


def _atom_link(entry: ET.Element) -> str | None:
    fallback = None
    for link in entry.iter(f"{ATOM}link"):
        rel = (link.get("rel") or "alternate").strip().lower()
        href = link.get("href")
        if not href:
            continue
        if rel == "alternate":
            return href
        if fallback is None and rel not in ("self", "edit", "replies", "enclosure", "via"):
            fallback = href
    return fallback


def _rss_author(item: ET.Element) -> str:
    author = _text(_first(item, f"{DC}creator", "author", f"{DC}contributor"))
    match = _NAME_IN_EMAIL.match(author)
    return match.group(1) if match else author


def _read_rss_items(items: list[ET.Element], doc: _Doc, base: str | None) -> None:
    for item in items:
        guid_element = _first(item, "guid", f"{RSS10}guid")
        guid = (guid_element.text or "").strip() if guid_element is not None else ""
        about = item.get(f"{RDF}about")
        link = _text(_first(item, f"{FEEDBURNER}origLink", "link", f"{RSS10}link", f"{RSS090}link"))
        if not link.strip():
            if guid and guid_element is not None and guid_element.get("isPermaLink") != "false":
                link = guid
            elif about:
                link = about
            else:
                link = _atom_link(item) or ""
        title = _text(_first(item, "title", f"{RSS10}title", f"{RSS090}title", f"{DC}title"))
        summary = _text(
            _first(item, "description", f"{RSS10}description", f"{DC}description")
        ) or _text(item.find(f"{CONTENT}encoded"))
        date = _text(_first(item, "pubDate", f"{DC}date", f"{ATOM}published", f"{ATOM}updated"))
        doc.entries.append(
            _Raw(
                guid=guid or about or None,
                link=link.strip() or None,
                title=title,
                title_html=looks_like_html(title),
                summary=summary,
                summary_html=True,
                author=_rss_author(item),
                published_text=date,
                base=base,
            )
        )


def _read_atom(root: ET.Element, doc: _Doc, url: str | None) -> None:
    feed_base = urljoin(url or "", root.get(XML_BASE) or "") or None
    doc.version = "atom10"
    doc.title = _atom_text(root.find(f"{ATOM}title"))[0]
    doc.link = _atom_link(root)
    doc.language = root.get(XML_LANG)
    for entry in root.iter(f"{ATOM}entry"):
        base = urljoin(feed_base or "", entry.get(XML_BASE) or "") or None
        title, title_html = _atom_text(entry.find(f"{ATOM}title"))
        summary_element = entry.find(f"{ATOM}summary")
        if summary_element is None:
            summary_element = entry.find(f"{ATOM}content")
        summary, summary_html = _atom_text(summary_element)
        author = entry.find(f"{ATOM}author/{ATOM}name")
        if author is None:
            author = root.find(f"{ATOM}author/{ATOM}name")
        doc.entries.append(
            _Raw(
                guid=(entry.findtext(f"{ATOM}id") or "").strip() or None,
                link=_atom_link(entry),
                title=title,
                title_html=title_html,
                summary=summary,
                summary_html=summary_html,
                author=_text(author),
                published_text=entry.findtext(f"{ATOM}published")
                or entry.findtext(f"{ATOM}updated")
                or "",
                base=base,
            )
        )


def read_fast(data: bytes, url: str | None, content_type: str | None) -> _Doc | None:
    """Well-formed RSS/Atom through xml.etree; None when feedparser should read it."""
    if not _fast_allowed(data, content_type):
        return None
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, LookupError, ValueError):
        return None
    doc = _Doc()
    tag = root.tag
    if tag == "rss":
        channel = root.find("channel")
        if channel is None:
            return None
        version = (root.get("version") or "").strip()
        doc.version = {"2.0": "rss20", "0.91": "rss091u", "0.92": "rss092"}.get(version, "rss")
        doc.title = _text(channel.find("title"))
        doc.link = _text(channel.find("link")).strip() or None
        doc.language = _text(_first(channel, "language", f"{DC}language")).strip() or None
        _read_rss_items(channel.findall("item") or root.findall("item"), doc, url)
    elif tag == f"{RDF}RDF":
        ns = RSS10 if root.find(f"{RSS10}channel") is not None else RSS090
        channel = root.find(f"{ns}channel")
        if channel is None:
            return None
        doc.version = "rss10" if ns == RSS10 else "rss090"
        doc.title = _text(channel.find(f"{ns}title"))
        doc.link = _text(channel.find(f"{ns}link")).strip() or None
        doc.language = _text(channel.find(f"{DC}language")).strip() or None
        _read_rss_items(root.findall(f"{ns}item"), doc, url)
    elif tag == f"{ATOM}feed":
        _read_atom(root, doc, url)
    else:
        return None
    return doc


# --- feedparser ----------------------------------------------------------------------------------


def _fp_struct(entry: Any, *keys: str) -> datetime | None:
    for key in keys:
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime(*parsed[:6], tzinfo=UTC)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _fp_is_html(detail: Any, value: str) -> bool:
    kind = (detail or {}).get("type", "text/html") if hasattr(detail, "get") else "text/html"
    return kind != "text/plain" or looks_like_html(value)


def _bozo_text(error: object) -> str:
    """feedparser's bozo exception as one line for the feed's warning."""
    if hasattr(error, "getLineNumber") and hasattr(error, "getMessage"):
        return (
            f"ill-formed XML (line {error.getLineNumber()}, column {error.getColumnNumber()}): "
            f"{_one_line_error(error.getMessage())}; read loosely"
        )
    return _one_line_error(error or "ill-formed feed")


def read_feedparser(data: bytes, url: str | None, content_type: str | None) -> _Doc:
    import feedparser  # imported here: the fast reader serves most feeds without it

    headers = {"content-type": content_type} if content_type else {}
    if url and url.startswith(("http://", "https://")):
        headers["content-location"] = url
    parsed = feedparser.parse(
        io.BytesIO(data), response_headers=headers, sanitize_html=True, resolve_relative_uris=True
    )
    doc = _Doc()
    doc.version = parsed.get("version", "") or ""
    meta = parsed.get("feed", {})
    doc.title = meta.get("title", "") or ""
    doc.link = meta.get("link") or None
    doc.language = meta.get("language") or None
    if parsed.get("bozo"):
        doc.warning = _bozo_text(parsed.get("bozo_exception"))
    for entry in parsed.get("entries", []):
        title = entry.get("title", "") or ""
        summary = entry.get("summary", "") or ""
        summary_detail = entry.get("summary_detail")
        if not summary and entry.get("content"):
            first = entry["content"][0]
            summary, summary_detail = first.get("value", "") or "", first
        author = entry.get("author", "") or meta.get("author", "") or ""
        match = _NAME_IN_EMAIL.match(author)
        doc.entries.append(
            _Raw(
                guid=(entry.get("id") or "").strip() or None,
                link=entry.get("feedburner_origlink") or entry.get("link") or None,
                title=title,
                title_html=_fp_is_html(entry.get("title_detail"), title),
                summary=summary,
                summary_html=_fp_is_html(summary_detail, summary),
                author=match.group(1) if match else author,
                published=_fp_struct(entry, "published_parsed", "updated_parsed"),
                base=url,
            )
        )
    return doc


# --- topics and language ---------------------------------------------------------------------


def clip_language(feed_language: str | None, outlet_language: str | None) -> str | None:
    """The language a clip is stored (and matched) with: the feed's, else the outlet's."""
    from deskterm.core.fields import language_tag

    for candidate in (feed_language, outlet_language):
        if candidate:
            try:
                return language_tag(candidate)
            except InputError:
                continue
    return None


_COMPILED: dict[tuple[TopicRecord, ...], list[CompiledTopic]] = {}


def compile_records(records: Sequence[TopicRecord]) -> list[CompiledTopic]:
    """Topics compiled from their records (cached per process: the pool outlives runs).

    Records travel to the parser processes, compiled topics do not (they hold generated
    code). A rule that no longer parses is skipped, as ``topics.compile_topics`` does.
    """
    from deskterm.core.topic_match import CompiledTopic, _Documents

    key = tuple(records)
    found = _COMPILED.get(key)
    if found is None:
        documents = _Documents()  # one tokenised document per clip for all topics
        found = []
        for record in records:
            try:
                found.append(CompiledTopic(record, documents))
            except InputError:
                continue
        if len(_COMPILED) > 16:
            _COMPILED.clear()
        _COMPILED[key] = found
    return found


@dataclass(frozen=True)
class EntryContext:
    """What a parser process needs to prepare entries for storing: the topics to match
    and the feed's outlet; with ``feed_id`` set, also each clip's row as SQLite stores
    it (``Entry.row``), so the writer only adds ids. Plain data: it is pickled to the
    parser processes."""

    records: tuple[TopicRecord, ...] = ()
    outlet: str = ""
    outlet_type: str | None = None
    outlet_language: str | None = None
    feed_id: int | None = None
    outlet_id: int | None = None
    #: GUIDs of the feed's recently stored clips: entries with these are left out after
    #: normalising (so the document's own dedupe rules still see them) but before topic
    #: matching and row building, which are most of a re-sent document's cost. A hint
    #: only: the writer dedupes whatever it gets.
    known_guids: frozenset[str] = frozenset()

    def apply(self, entries: list[Entry], language: str | None, now: datetime) -> list[Entry]:
        from dataclasses import replace

        from deskterm.core.ingest import clip_values, sqlite_row
        from deskterm.core.topic_match import encode_terms

        topics = compile_records(self.records)
        memo: dict[tuple[int, object], object] = {}
        out = []
        for entry in entries:
            found = []
            for topic in topics:
                terms = topic.match(
                    entry.title, entry.summary, self.outlet, self.outlet_type, language
                )
                if terms:
                    found.append((topic.id, encode_terms(terms)))
            row: tuple = ()
            if self.feed_id is not None:
                values = clip_values(
                    entry, None, language, now, feed_id=self.feed_id, outlet_id=self.outlet_id
                )
                row = sqlite_row(values, memo)
            out.append(replace(entry, topics=tuple(found), row=row) if found or row else entry)
        return out


# --- normalisation (the one path both readers share) -----------------------------------------


class _Normaliser:
    def __init__(self, fetched_at: datetime) -> None:
        self.fetched_at = _aware(fetched_at)
        self.latest = self.fetched_at + FUTURE_SLACK

    def entry(self, raw: _Raw) -> Entry:
        title = to_text(raw.title, html=raw.title_html, limit=MAX_TITLE)
        summary = to_text(raw.summary, html=raw.summary_html, limit=MAX_SUMMARY)
        if not title:
            title = truncate(summary, 120) if summary else "(no title)"
        url = canonical_url(raw.link, raw.base)
        published = raw.published or parse_date(raw.published_text)
        dated = published is not None and published <= self.latest
        if not dated:
            published = self.fetched_at
        guid = _guid(raw.guid, url)
        if guid is None:  # neither a GUID nor a link: the text identifies the entry
            text = f"{title}\n{summary}".encode()
            guid = "sha1:" + hashlib.sha1(text, usedforsecurity=False).hexdigest()
        return Entry(
            guid=guid,
            url=url,
            url_key=url,
            title=title,
            summary=summary,
            author=to_text(raw.author, html=looks_like_html(raw.author), limit=MAX_AUTHOR),
            published_at=published,  # type: ignore[arg-type]
            dated=dated,
            title_key=title_key(title),
            content_hash=content_hash(summary),
        )


def _guid(raw_guid: str | None, url: str | None) -> str | None:
    """An entry's GUID from the feed's own (else its canonical link); None when it has
    neither and must be made from its normalised text (``_Normaliser.entry``)."""
    guid = clean_line(raw_guid or "") or url or ""
    if not guid:
        return None
    if len(guid) > MAX_GUID:
        return "sha1:" + hashlib.sha1(guid.encode(), usedforsecurity=False).hexdigest()
    return guid


def _all_stored(raw: Sequence[_Raw], known: frozenset[str]) -> list[str] | None:
    """The entries' GUIDs if every one of them is already stored (``known``), else None.

    Cheap (the GUID, or the canonical link when there is none): a document re-sent with
    new bytes and no new entry then needs no normalising at all. With one new entry the
    whole document is normalised as usual, so the rules that compare entries within it
    (``_tidy``) see every entry.
    """
    guids = []
    for entry in raw:
        guid = _guid(entry.guid, None) or _guid(None, canonical_url(entry.link, entry.base))
        if guid is None or guid not in known:
            return None
        guids.append(guid)
    return guids


def _repeat_notes(repeated: int) -> list[str]:
    return [f"{repeated} entr{'y' if repeated == 1 else 'ies'} repeated a GUID"] if repeated else []


def _tidy(entries: list[Entry]) -> tuple[list[Entry], list[str]]:
    """Within one document: drop repeated GUIDs (first kept); links or texts shared by
    entries with different titles identify no single entry (a homepage link, boilerplate
    summaries), so they are not used to dedupe or group."""
    notes: list[str] = []
    seen: set[str] = set()
    kept: list[Entry] = []
    for entry in entries:
        if entry.guid in seen:
            continue
        seen.add(entry.guid)
        kept.append(entry)
    notes += _repeat_notes(len(entries) - len(kept))
    titles_by_url: dict[str, set[str]] = {}
    titles_by_hash: dict[str, set[str]] = {}
    for entry in kept:
        if entry.url_key:
            titles_by_url.setdefault(entry.url_key, set()).add(entry.title)
        if entry.content_hash:
            titles_by_hash.setdefault(entry.content_hash, set()).add(entry.title)
    shared_urls = {url for url, titles in titles_by_url.items() if len(titles) > 1}
    shared_hashes = {h for h, titles in titles_by_hash.items() if len(titles) > 1}
    if shared_urls or shared_hashes:
        kept = [
            Entry(
                e.guid,
                e.url,
                None if e.url_key in shared_urls else e.url_key,
                e.title,
                e.summary,
                e.author,
                e.published_at,
                e.dated,
                e.title_key,
                None if e.content_hash in shared_hashes else e.content_hash,
            )
            if e.url_key in shared_urls or e.content_hash in shared_hashes
            else e
            for e in kept
        ]
    return kept, notes


def _not_a_feed(data: bytes) -> str:
    head = data[:2048].lstrip()
    if not head:
        return "empty document"
    if _HTML_DOC.search(head):
        return "not a feed: the address returned a web page (HTML)"
    if head[:1] in (b"{", b"["):
        return "not a feed: the address returned JSON"
    return "not a feed: no RSS or Atom found"


def parse_feed(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    fetched_at: datetime,
    max_entries: int = MAX_ENTRIES,
    fast: bool = True,
    match: EntryContext | None = None,
) -> ParsedFeed:
    """Read a feed document (bytes) into normalised entries.

    Never raises for bad input: a document that yields nothing usable comes back with
    ``error`` set; one that yields entries despite problems has ``warning`` set. With
    ``match``, each entry also carries the topics it matches (``Entry.topics``): the
    matching then runs here, in the parser process, not in the writer.
    """
    if not data.strip():
        return ParsedFeed((), error="empty document")
    try:
        doc = read_fast(data, url, content_type) if fast else None
        reader = "fast"
        if doc is None:
            doc = read_feedparser(data, url, content_type)
            reader = "feedparser"
    except RecursionError:
        return ParsedFeed((), error="the document nests too deeply to read")
    except Exception as error:  # a reader bug must not take the run down
        return ParsedFeed((), error="could not read the feed: " + _one_line_error(error))
    notes = [doc.warning] if doc.warning else []
    raw = doc.entries
    if len(raw) > max_entries:
        notes.append(f"the feed has {len(raw)} entries; kept the first {max_entries}")
        raw = raw[:max_entries]
    known = match.known_guids if match is not None else frozenset()
    stored = _all_stored(raw, known) if known and raw else None
    entries: list[Entry] = []
    already_stored = 0
    if stored is not None:  # nothing new in the document: nothing to normalise
        already_stored = len(set(stored))
        notes += _repeat_notes(len(stored) - already_stored)
    else:
        normalise = _Normaliser(fetched_at)
        entries, tidy_notes = _tidy([normalise.entry(r) for r in raw])
        notes += tidy_notes
    error = ""
    if not entries and not already_stored:
        if not doc.version or doc.warning:
            reason = _not_a_feed(data)
            if doc.warning and reason.endswith("no RSS or Atom found"):
                reason = f"not a feed: {doc.warning}"
            error = reason
        else:
            notes.append("the feed has no entries")
    language = clean_line(doc.language or "")[:16] or None
    if known and entries:
        fresh = [entry for entry in entries if entry.guid not in known]
        already_stored = len(entries) - len(fresh)
        entries = fresh
    if match is not None and entries:
        entries = match.apply(
            entries, clip_language(language, match.outlet_language), _aware(fetched_at)
        )
    return ParsedFeed(
        entries=tuple(entries),
        title=to_text(doc.title, html=looks_like_html(doc.title), limit=MAX_TITLE),
        link=canonical_url(doc.link, url if url and url.startswith("http") else None),
        language=language,
        version=doc.version,
        reader=reader,
        warning=truncate("; ".join(notes), 500) if notes else "",
        error=truncate(error, 500),
        topics_matched=match is not None,
        rows_ready=match is not None and match.feed_id is not None,
        already_stored=already_stored,
    )
