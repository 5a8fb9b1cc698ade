"""The query language of topics and search: words, "quoted phrases", prefix* terms, AND, OR,
NOT and parentheses.

``parse_query`` turns typed text into a small tree (``Term``, ``And``, ``Or``, ``Not``);
bad input raises ``QuerySyntaxError`` (an ``InputError``) naming the character at fault.
The same tree is evaluated in Python against a clip's text (topic matching on ingest,
``Matcher``) and translated to an SQLite FTS5 expression (``to_fts``) for search, so a topic
and a search with the same words find the same clips.

Rules of the language:
- Words next to each other must all appear (implicit AND); ``AND``, ``OR`` and ``NOT`` may be
  typed in any case (quote them, ``"and"``, to search for the word itself). ``NOT`` binds
  tightest, then ``AND``, then ``OR``; parentheses group.
- ``NOT`` leaves out clips: it needs something to match first (``budget NOT levy``); a query
  that is only negative (``NOT levy``, ``a OR NOT b``) is refused, because it would match
  nearly every clip (and FTS5 cannot express it).
- Text is split into words the way SQLite FTS5's ``unicode61`` tokenizer does (letters and
  digits; case and Latin accents folded: ``Café`` = ``cafe``). A word with punctuation inside
  is a phrase (``boil-water`` = ``"boil water"``); punctuation alone is ignored.
- ``rent*`` matches words starting with ``rent``; after a phrase the ``*`` applies to its last
  word (``"fiscal yea"*``).
- ``-word`` is refused with a hint to write ``NOT word``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from deskterm.core.errors import InputError

MAX_QUERY_LENGTH = 1000
MAX_DEPTH = 10  # nested parentheses
MAX_TERMS = 100
KEYWORDS = frozenset({"and", "or", "not"})

# --- words ------------------------------------------------------------------------------------
#
# FTS5's unicode61 tokenizer (remove_diacritics 2): letters, digits and private-use characters
# are word characters, everything else separates words; the Latin combining accents
# U+0300-U+036F are dropped (so "cafe\u0301s" is one word, "cafes"); case is folded and
# accented Latin letters lose their accents (Greek and other scripts keep theirs).
# Python's regex word class (without "_") is letters and digits; the fold table below does
# the rest. Measured agreement is checked by tests/core/test_topic_query.py.

_COMBINING = "\u0300-\u036f"
_TOKEN = re.compile(rf"(?:[^\W_]|[{_COMBINING}])+")
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")
# A fast first cut for text with non-ASCII characters: ASCII letters and digits plus every
# non-ASCII character; only the pieces with non-ASCII characters are then split properly.
_ROUGH_TOKEN = re.compile("[a-z0-9\u0080-\U0010ffff]+")


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = dict.fromkeys(range(0x300, 0x370))
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        decomposed = unicodedata.normalize("NFD", chr(code))
        if len(decomposed) > 1 and all(0x300 <= ord(mark) < 0x370 for mark in decomposed[1:]):
            table[code] = decomposed[0]
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower case without Latin accents, as the search index stores words."""
    if text.isascii():
        return text.lower()
    return text.lower().translate(_FOLD)


def tokenize(text: str) -> list[str]:
    """The words of ``text`` as the search index sees them (folded)."""
    lowered = text.lower()
    if text.isascii():
        return _ASCII_TOKEN.findall(lowered)
    words: list[str] = []
    for piece in _ROUGH_TOKEN.findall(lowered):
        if piece.isascii():
            words.append(piece)
        else:
            words.extend(_TOKEN.findall(piece.translate(_FOLD)))
    return words


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """(folded word, start, end) for each word of ``text``, offsets into ``text`` itself."""
    return [(fold(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]


# --- the tree ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase (several words in a row); ``prefix``: the last word may go on."""

    tokens: tuple[str, ...]
    prefix: bool = False

    def label(self) -> str:
        """How matched terms are shown and stored: ``rent*``, ``fiscal year``."""
        return " ".join(self.tokens) + ("*" if self.prefix else "")


@dataclass(frozen=True, slots=True)
class Not:
    item: QueryNode
    position: int = field(default=-1, compare=False, repr=False)  # where NOT was typed


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[QueryNode, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[QueryNode, ...]


QueryNode = Term | Not | And | Or


def make_and(items: Iterable[QueryNode]) -> QueryNode:
    """AND of ``items``: nested ANDs flattened, a single item returned as it is."""
    flat: list[QueryNode] = []
    for item in items:
        flat.extend(item.items if isinstance(item, And) else (item,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def make_or(items: Iterable[QueryNode]) -> QueryNode:
    """OR of ``items``: nested ORs flattened, a single item returned as it is."""
    flat: list[QueryNode] = []
    for item in items:
        flat.extend(item.items if isinstance(item, Or) else (item,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def make_not(item: QueryNode, position: int = -1) -> QueryNode:
    """NOT ``item``; NOT NOT x is x."""
    return item.item if isinstance(item, Not) else Not(item, position)


def terms_of(node: QueryNode, *, positive_only: bool = False) -> list[Term]:
    """The terms of a query in the order typed (only those outside NOT, if asked)."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return [] if positive_only else terms_of(node.item)
    return [t for item in node.items for t in terms_of(item, positive_only=positive_only)]


# --- parsing ----------------------------------------------------------------------------------


class QuerySyntaxError(InputError):
    """A query that cannot be read; ``position`` is the 0-based index of the problem."""

    def __init__(self, message: str, position: int, *, field: str | None = "query") -> None:
        self.position = position
        super().__init__(f"{message} (character {position + 1})", field=field)


@dataclass(frozen=True, slots=True)
class _Lexeme:
    kind: str  # "(", ")", "and", "or", "not", "term"
    position: int
    term: Term | None = None


_SPECIAL = '()"'


def _lex(text: str) -> list[_Lexeme]:
    out: list[_Lexeme] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            out.append(_Lexeme(char, i))
            i += 1
        elif char == '"':
            close = text.find('"', i + 1)
            if close < 0:
                raise QuerySyntaxError('a closing " is missing for this quote', i)
            tokens = tokenize(text[i + 1 : close])
            if not tokens:
                raise QuerySyntaxError("there is no word to match inside these quotes", i)
            prefix = close + 1 < n and text[close + 1] == "*"
            out.append(_Lexeme("term", i, Term(tuple(tokens), prefix)))
            i = close + (2 if prefix else 1)
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in _SPECIAL:
                i += 1
            lexeme = _word(text[start:i], start)
            if lexeme is not None:
                out.append(lexeme)
    return out


def _word(word: str, start: int) -> _Lexeme | None:
    prefix = word.endswith("*")
    body = word[:-1] if prefix else word
    star = body.find("*")
    if star >= 0:
        raise QuerySyntaxError("a * goes at the end of a word, as in rent*", start + star)
    if not prefix and body.lower() in KEYWORDS:
        return _Lexeme(body.lower(), start)
    tokens = tokenize(body)
    if not tokens:
        if prefix:
            raise QuerySyntaxError("a * must follow a word, as in rent*", start + len(body))
        return None  # punctuation alone ("&", "-"): nothing to match
    if body.startswith("-") and body[1:2].isalpha():
        raise QuerySyntaxError(
            f"to leave out a word write NOT {tokens[0]} rather than -{tokens[0]}", start
        )
    return _Lexeme("term", start, Term(tuple(tokens), prefix))


class _Parser:
    def __init__(self, lexemes: list[_Lexeme]) -> None:
        self.lexemes = lexemes
        self.at = 0
        self.depth = 0
        self.terms = 0

    def peek(self) -> _Lexeme | None:
        return self.lexemes[self.at] if self.at < len(self.lexemes) else None

    def take(self) -> _Lexeme:
        lexeme = self.lexemes[self.at]
        self.at += 1
        return lexeme

    def operand_follows(self) -> bool:
        nxt = self.peek()
        return nxt is not None and nxt.kind in ("term", "(", "not")

    def parse_or(self) -> QueryNode:
        items = [self.parse_and()]
        while (nxt := self.peek()) is not None and nxt.kind == "or":
            self.take()
            if not self.operand_follows():
                raise QuerySyntaxError("OR needs something to match on both sides", nxt.position)
            items.append(self.parse_and())
        return make_or(items)

    def parse_and(self) -> QueryNode:
        items = [self.parse_not()]
        while (nxt := self.peek()) is not None and nxt.kind not in ("or", ")"):
            if nxt.kind == "and":
                self.take()
                if not self.operand_follows():
                    raise QuerySyntaxError(
                        "AND needs something to match on both sides", nxt.position
                    )
            items.append(self.parse_not())
        return make_and(items)

    def parse_not(self) -> QueryNode:
        nxt = self.peek()
        if nxt is not None and nxt.kind == "not":
            self.take()
            if not self.operand_follows():
                raise QuerySyntaxError("NOT needs a word or group after it", nxt.position)
            return make_not(self.parse_not(), nxt.position)
        return self.parse_primary()

    def parse_primary(self) -> QueryNode:
        lexeme = self.take()
        if lexeme.kind == "term":
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise QuerySyntaxError(f"a query has at most {MAX_TERMS} terms", lexeme.position)
            assert lexeme.term is not None
            return lexeme.term
        if lexeme.kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QuerySyntaxError(f"brackets nest at most {MAX_DEPTH} deep", lexeme.position)
            nxt = self.peek()
            if nxt is None:
                raise QuerySyntaxError("a closing ) is missing for this (", lexeme.position)
            if nxt.kind == ")":
                raise QuerySyntaxError("these brackets are empty", lexeme.position)
            node = self.parse_or()
            close = self.peek()
            if close is None or close.kind != ")":
                raise QuerySyntaxError("a closing ) is missing for this (", lexeme.position)
            self.take()
            self.depth -= 1
            return node
        if lexeme.kind == ")":
            raise QuerySyntaxError("this ) has no ( before it", lexeme.position)
        word = lexeme.kind.upper()
        raise QuerySyntaxError(f"{word} needs something to match on both sides", lexeme.position)


def parse_query(text: str, *, field: str | None = "query") -> QueryNode:
    """Read a typed query; raise ``QuerySyntaxError`` (one line, with the character) if bad."""
    if not isinstance(text, str):
        raise InputError(f"a query must be text, not {text!r}", field=field)
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            f"the query is longer than {MAX_QUERY_LENGTH} characters",
            MAX_QUERY_LENGTH,
            field=field,
        )
    try:
        lexemes = _lex(text)
        if not lexemes:
            raise QuerySyntaxError("there is nothing to search for", 0)
        parser = _Parser(lexemes)
        node = parser.parse_or()
        extra = parser.peek()
        if extra is not None:  # only a ")" can be left over
            raise QuerySyntaxError("this ) has no ( before it", extra.position)
        _check_anchored(node)
    except QuerySyntaxError as error:
        error.field = field
        raise
    return node


def _check_anchored(node: QueryNode) -> None:
    """Every NOT must take something away from a positive match (see the module doc)."""
    if isinstance(node, Not):
        raise QuerySyntaxError(
            "NOT needs something to match first, as in budget NOT levy", max(node.position, 0)
        )
    if isinstance(node, Or):
        for item in node.items:
            _check_anchored(item)
    elif isinstance(node, And):
        positives = [item for item in node.items if not isinstance(item, Not)]
        negatives = [item for item in node.items if isinstance(item, Not)]
        if not positives:
            _check_anchored(negatives[0])
        for item in positives:
            _check_anchored(item)
        for negative in negatives:
            _check_anchored(negative.item)


def is_valid(node: QueryNode) -> bool:
    """True if ``node`` could come from ``parse_query`` (every NOT anchored)."""
    try:
        _check_anchored(node)
    except QuerySyntaxError:
        return False
    return True


# --- writing a tree back as text --------------------------------------------------------------


def render_query(node: QueryNode) -> str:
    """Query text that parses back to ``node``."""
    if isinstance(node, Term):
        if len(node.tokens) == 1 and node.tokens[0] not in KEYWORDS:
            return node.tokens[0] + ("*" if node.prefix else "")
        return '"' + " ".join(node.tokens) + '"' + ("*" if node.prefix else "")
    if isinstance(node, Not):
        return "NOT " + _grouped(node.item)
    if isinstance(node, And):
        return " ".join(
            render_query(item) if isinstance(item, Not) else _grouped(item, keep_and=True)
            for item in node.items
        )
    return " OR ".join(render_query(item) for item in node.items)


def _grouped(node: QueryNode, *, keep_and: bool = False) -> str:
    if isinstance(node, Or) or (isinstance(node, And) and not keep_and):
        return "(" + render_query(node) + ")"
    return render_query(node)


# --- FTS5 -------------------------------------------------------------------------------------


def fts_phrase(term: Term) -> str:
    """A term as an FTS5 string: always quoted, so no typed text is ever FTS syntax."""
    quoted = '"' + " ".join(t.replace('"', '""') for t in term.tokens) + '"'
    return quoted + ("*" if term.prefix else "")


def to_fts(
    node: QueryNode,
    *,
    columns: Sequence[str] | None = None,
    alternatives: Callable[[Term], Sequence[str]] | None = None,
    render: Callable[[Term], str] | None = None,
) -> str:
    """The FTS5 MATCH expression for a parsed query.

    Every term is a quoted string (user text can never be FTS syntax); unary NOT becomes
    FTS5's binary ``a NOT b``. ``columns`` limits terms to those columns;
    ``alternatives(term)`` may return extra FTS expressions OR-ed with the term (search.py
    uses it for outlet names, which are indexed by outlet id). ``render(term)``, if given,
    writes the term itself instead (``columns`` then does not apply): search.py uses it for
    an equivalent expression that FTS5 evaluates faster. It must keep user text quoted.
    """

    def term(t: Term) -> str:
        if render is not None:
            phrase = render(t)
        else:
            phrase = fts_phrase(t)
            if columns:
                phrase = "{" + " ".join(columns) + "} : " + phrase
        extra = list(alternatives(t)) if alternatives is not None else []
        return "(" + " OR ".join([phrase, *extra]) + ")" if extra else phrase

    def walk(n: QueryNode) -> str:
        if isinstance(n, Term):
            return term(n)
        if isinstance(n, Or):
            return "(" + " OR ".join(walk(item) for item in n.items) + ")"
        if isinstance(n, Not):
            raise ValueError("a NOT on its own cannot be searched (parse_query refuses it)")
        positives = [walk(item) for item in n.items if not isinstance(item, Not)]
        negatives = [walk(item.item) for item in n.items if isinstance(item, Not)]
        if not positives:
            raise ValueError("an AND of NOTs alone cannot be searched (parse_query refuses it)")
        expr = positives[0] if len(positives) == 1 else "(" + " AND ".join(positives) + ")"
        for negative in negatives:
            expr = f"({expr} NOT {negative})"
        return expr

    return walk(node)


# --- matching in Python -----------------------------------------------------------------------
#
# A document is the folded words of each field joined by spaces, fields separated by
# " \0 " and the whole wrapped in spaces: " water main break \0 crews ... \0 kpac news ".
# A term is then a substring test done in C: " water main " (a phrase), " rent" (a prefix).
# A phrase never spans two fields, because no term contains "\0".

FIELD_SEPARATOR = " \x00 "


def document(*fields: str) -> str:
    return " " + FIELD_SEPARATOR.join(" ".join(tokenize(f)) for f in fields if f) + " "


def _needle(term: Term) -> str:
    return " " + " ".join(term.tokens) + ("" if term.prefix else " ")


class Matcher:
    """A parsed query compiled for fast evaluation against documents (see ``document``)."""

    __slots__ = ("_needles", "_positive", "_test", "node")

    def __init__(self, node: QueryNode) -> None:
        self.node = node
        needles: dict[str, int] = {}

        def index(term: Term) -> int:
            return needles.setdefault(_needle(term), len(needles))

        def code(n: QueryNode) -> str:
            if isinstance(n, Term):
                return f"p[{index(n)}]"
            if isinstance(n, Not):
                return f"(not {code(n.item)})"
            joiner = " and " if isinstance(n, And) else " or "
            return "(" + joiner.join(code(item) for item in n.items) + ")"

        source = code(node)
        self._needles = tuple(needles)
        # Only indexes and operators go into the generated code, never typed text.
        self._test: Callable[[list[bool]], bool] = eval(f"lambda p: {source}")
        labels: dict[str, int] = {}
        for term in terms_of(node, positive_only=True):
            labels.setdefault(term.label(), needles[_needle(term)])
        self._positive = tuple(labels.items())

    def match_document(self, doc: str) -> tuple[str, ...]:
        """The matched terms (labels, in query order), or () if the query does not match."""
        present = [needle in doc for needle in self._needles]
        if not self._test(present):
            return ()
        return tuple(label for label, i in self._positive if present[i])

    def match(self, *fields: str) -> tuple[str, ...]:
        return self.match_document(document(*fields))


def matches(query: QueryNode | str, *fields: str) -> bool:
    """Does the query match text made of ``fields`` (e.g. title, summary, outlet)?"""
    node = parse_query(query) if isinstance(query, str) else query
    return bool(Matcher(node).match(*fields))


# --- highlighting ------------------------------------------------------------------------------


def _parse_label(label: str) -> Term | None:
    text = label.strip().strip('"').strip()
    prefix = text.endswith("*")
    tokens = tokenize(text.rstrip("*").rstrip('"'))
    return Term(tuple(tokens), prefix) if tokens else None


def highlight_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) offsets in ``text`` of every occurrence of ``terms``, merged and sorted.

    ``terms`` are matched-term labels as stored on a clip's topics (``rent*``, ``fiscal
    year``; quotes are allowed). Words are compared folded, the way matching compares them.
    """
    wanted = [t for t in (_parse_label(label) for label in terms) if t is not None]
    if not wanted or not text:
        return []
    words = token_spans(text)
    spans: list[tuple[int, int]] = []
    for term in wanted:
        size = len(term.tokens)
        *whole, last = term.tokens
        for i in range(len(words) - size + 1):
            if any(words[i + j][0] != whole[j] for j in range(size - 1)):
                continue
            word = words[i + size - 1][0]
            if word == last or (term.prefix and word.startswith(last)):
                spans.append((words[i][1], words[i + size - 1][2]))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
