"""The query language of topics and search: parsing, errors, evaluation, FTS5 translation and
highlighting, with property tests against a reference evaluator and a real FTS5 table."""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskterm.core.errors import InputError
from deskterm.core.topic_query import (
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    MAX_TERMS,
    And,
    Matcher,
    Not,
    Or,
    QueryNode,
    QuerySyntaxError,
    Term,
    fold,
    highlight_spans,
    is_valid,
    make_and,
    make_not,
    make_or,
    matches,
    parse_query,
    render_query,
    terms_of,
    to_fts,
    tokenize,
)

# --- examples -------------------------------------------------------------------------------


def t(*tokens: str, prefix: bool = False) -> Term:
    return Term(tokens, prefix)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("budget", t("budget")),
        ("Budget LEVY", And((t("budget"), t("levy")))),
        ("budget AND levy", And((t("budget"), t("levy")))),
        ("budget and levy", And((t("budget"), t("levy")))),
        ("budget OR levy", Or((t("budget"), t("levy")))),
        ("budget or levy", Or((t("budget"), t("levy")))),
        ('"fiscal year"', t("fiscal", "year")),
        ('"fiscal yea"*', t("fiscal", "yea", prefix=True)),
        ("rent*", t("rent", prefix=True)),
        ("boil-water", t("boil", "water")),
        ("Café", t("cafe")),
        ("a b OR c", Or((And((t("a"), t("b"))), t("c")))),
        ("a (b OR c)", And((t("a"), Or((t("b"), t("c")))))),
        ("a NOT b", And((t("a"), Not(t("b"))))),
        ("NOT b a", And((Not(t("b")), t("a")))),
        ("a NOT (b OR c)", And((t("a"), Not(Or((t("b"), t("c"))))))),
        ("a NOT NOT b", And((t("a"), t("b")))),
        ("((a))", t("a")),
        ("a & b", And((t("a"), t("b")))),  # punctuation alone is ignored
        ('"and" OR "not"', Or((t("and"), t("not")))),
        ("911 OR fire*", Or((t("911"), t("fire", prefix=True)))),
        ("e-mail", t("e", "mail")),
        ("alquiler* vivienda", And((t("alquiler", prefix=True), t("vivienda")))),
    ],
)
def test_parsing(text: str, tree: QueryNode) -> None:
    assert parse_query(text) == tree
    assert parse_query(render_query(tree)) == tree


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "there is nothing to search for", 0),
        ("   ", "there is nothing to search for", 0),
        ("& -", "there is nothing to search for", 0),
        ("budget AND", "AND needs something to match on both sides", 7),
        ("OR budget", "OR needs something to match on both sides", 0),
        ("budget OR OR levy", "OR needs something to match on both sides", 7),
        ("budget AND OR levy", "AND needs something to match on both sides", 7),
        ("budget NOT", "NOT needs a word or group after it", 7),
        ("NOT levy", "NOT needs something to match first", 0),
        ("budget OR NOT levy", "NOT needs something to match first", 10),
        ("a NOT (b OR NOT c)", "NOT needs something to match first", 12),
        ('"fiscal year', 'a closing " is missing for this quote', 0),
        ('budget ""', "there is no word to match inside these quotes", 7),
        ('budget "--"', "there is no word to match inside these quotes", 7),
        ("(budget", "a closing ) is missing for this (", 0),
        ("(budget OR (levy)", "a closing ) is missing for this (", 0),
        ("budget)", "this ) has no ( before it", 6),
        (")", "this ) has no ( before it", 0),
        ("()", "these brackets are empty", 0),
        ("re*nt", "a * goes at the end of a word", 2),
        ("rent**", "a * goes at the end of a word", 4),
        ("*", "a * must follow a word", 0),
        ("budget -levy", "to leave out a word write NOT levy rather than -levy", 7),
        ("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1), "brackets nest at most", MAX_DEPTH),
    ],
)
def test_errors_name_the_character(text: str, message: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(text)
    error = caught.value
    assert isinstance(error, InputError)
    assert message in str(error)
    assert error.position == position
    assert str(error).endswith(f"(character {position + 1})")
    assert error.field == "query"
    assert "\n" not in str(error)


def test_limits() -> None:
    with pytest.raises(QuerySyntaxError, match="longer than"):
        parse_query("a" * (MAX_QUERY_LENGTH + 1))
    parse_query(" OR ".join(["w"] * MAX_TERMS))
    with pytest.raises(QuerySyntaxError, match=f"at most {MAX_TERMS} terms"):
        parse_query(" OR ".join(["w"] * (MAX_TERMS + 1)))
    with pytest.raises(InputError, match="must be text"):
        parse_query(None)  # type: ignore[arg-type]
    assert parse_query("rent", field="match") == t("rent")
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query("(", field="match")
    assert caught.value.field == "match"


def test_tokenize_and_fold_like_fts5() -> None:
    assert tokenize("Boil-water advisory: 3,200 homes") == [
        "boil",
        "water",
        "advisory",
        "3",
        "200",
        "homes",
    ]
    assert tokenize("Café naïve ÉCOLE cafe\u0301s") == ["cafe", "naive", "ecole", "cafes"]
    assert tokenize("snake_case x²") == ["snake", "case", "x²"]
    assert fold("İstanbul") == "istanbul"
    assert tokenize("ά ω") == ["ά", "ω"]  # Greek keeps its accents, as in FTS5


def test_matching_examples() -> None:
    housing = Matcher(parse_query('housing OR rent* OR "fiscal year" NOT levy'))
    assert housing.match("Rental prices soar", "the Fiscal Year ends", "Herald") == (
        "rent*",
        "fiscal year",
    )
    assert housing.match("Rent cap", "", "") == ("rent*",)
    assert housing.match("Fiscal year", "and a levy", "") == ()
    assert housing.match("Parks", "", "") == ()
    # a phrase never spans two fields
    assert not matches('"year levy"', "fiscal year", "levy vote")
    assert matches('"year levy"', "fiscal year levy vote")
    # terms inside NOT are never reported; duplicate terms once
    assert Matcher(parse_query("rent OR rent NOT levy")).match("rent", "", "") == ("rent",)
    assert matches("herald", "Budget news", "", "Alder Herald")


def test_highlight_spans() -> None:
    text = "Rental prices in the fiscal  year; CAFÉ prices"
    assert highlight_spans(text, ["rent*", "fiscal year", '"cafe"']) == [(0, 6), (21, 33), (35, 39)]
    assert highlight_spans(text, ["prices"]) == [(7, 13), (40, 46)]
    assert highlight_spans(text, []) == []
    assert highlight_spans("", ["a"]) == []
    assert highlight_spans(text, ["--", ""]) == []
    # overlapping terms merge into one span
    assert highlight_spans("fiscal year", ["fiscal", "fiscal year", "year"]) == [(0, 11)]
    assert highlight_spans("a cafe\u0301s b", ["cafes"]) == [(2, 8)]


# --- reference semantics ----------------------------------------------------------------------

WORDS = ["budget", "levy", "rent", "rental", "cafe", "year", "fiscal", "and", "not", "or", "911"]
DOC_WORDS = [*WORDS, "Budget", "RENTALS", "Café", "naïve", "x-ray", "fiscal-year", "(levy)", "*"]


def reference(node: QueryNode, fields: list[list[str]]) -> bool:
    """An independent evaluator: a term is its words in a row within one field."""
    if isinstance(node, Term):
        size = len(node.tokens)
        for words in fields:
            for i in range(len(words) - size + 1):
                head = words[i : i + size - 1]
                last = words[i + size - 1]
                if list(node.tokens[:-1]) == head and (
                    last == node.tokens[-1] or (node.prefix and last.startswith(node.tokens[-1]))
                ):
                    return True
        return False
    if isinstance(node, Not):
        return not reference(node.item, fields)
    if isinstance(node, And):
        return all(reference(item, fields) for item in node.items)
    return any(reference(item, fields) for item in node.items)


terms = st.builds(
    lambda words, prefix: Term(tuple(words), prefix),
    st.lists(st.sampled_from([*WORDS[:-1], "re", "fis", "ca"]), min_size=1, max_size=3),
    st.booleans(),
)


def _trees() -> st.SearchStrategy[QueryNode]:
    return st.recursive(
        terms,
        lambda children: st.one_of(
            st.lists(children, min_size=2, max_size=4).map(make_and),
            st.lists(children, min_size=2, max_size=4).map(make_or),
            children.map(make_not),
        ),
        max_leaves=12,
    )


valid_trees = _trees().filter(is_valid)
documents = st.lists(
    st.lists(st.sampled_from(DOC_WORDS), max_size=8).map(" ".join), min_size=1, max_size=3
)


@given(valid_trees)
def test_render_then_parse_gives_the_same_tree(tree: QueryNode) -> None:
    assert parse_query(render_query(tree)) == tree


def label_term(label: str) -> Term:
    return Term(tuple(label.rstrip("*").split()), label.endswith("*"))


@given(valid_trees, documents)
def test_matcher_agrees_with_the_reference_evaluator(tree: QueryNode, fields: list[str]) -> None:
    words = [tokenize(f) for f in fields]
    found = Matcher(tree).match(*fields)
    assert bool(found) == reference(tree, words)
    for label in found:  # every reported term is there, and is a term of the query
        assert reference(label_term(label), words)
        assert label_term(label) in terms_of(tree, positive_only=True)


@given(valid_trees, valid_trees, documents)
def test_boolean_laws(a: QueryNode, b: QueryNode, fields: list[str]) -> None:
    def m(node: QueryNode) -> bool:
        return bool(Matcher(node).match(*fields))

    assert m(make_or([a, b])) == (m(a) or m(b))
    assert m(make_and([a, b])) == (m(a) and m(b))
    assert m(make_and([a, make_not(b)])) == (m(a) and not m(b))
    assert m(make_or([a, b])) == m(make_or([b, a]))
    # NOT (x OR y) == NOT x NOT y (De Morgan), anchored on a
    assert m(make_and([a, make_not(make_or([b, a]))])) == m(make_and([a, make_not(b), make_not(a)]))


@given(st.text(max_size=80))
@settings(max_examples=400)
def test_any_typed_text_parses_or_is_an_input_error(text: str) -> None:
    try:
        tree = parse_query(text)
    except InputError as error:
        assert "\n" not in str(error)
        assert isinstance(error, QuerySyntaxError)
        assert 0 <= error.position <= max(len(text), MAX_QUERY_LENGTH)
        return
    assert is_valid(tree)
    assert parse_query(render_query(tree)) == tree


query_chars = st.sampled_from(list('ab rent* "() ANDORNOT-&é\u0301x'))


@given(st.lists(query_chars, max_size=40).map("".join))
@settings(max_examples=400)
def test_query_like_text_parses_or_is_an_input_error(text: str) -> None:
    try:
        tree = parse_query(text)
    except InputError:
        return
    assert parse_query(render_query(tree)) == tree


# --- against a real FTS5 table ----------------------------------------------------------------

CORPUS = [
    "Budget levy vote",
    "rental market and the fiscal year",
    "Café naïve budget",
    "x-ray of the RENTALS",
    "not or and",
    "911 fire (levy) fiscal-year",
    "year fiscal budget rent",
    "",
    "cafe\u0301s rental budget levy year",
]


def _fields(text: str) -> tuple[str, str]:
    """A corpus text as (title, summary): split at a space near the middle."""
    cut = text.rfind(" ", 0, len(text) // 2)
    return (text[:cut], text[cut:]) if cut > 0 else ("", text)


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(title, summary, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    for i, text in enumerate(CORPUS, start=1):
        conn.execute(
            "INSERT INTO docs(rowid, title, summary) VALUES (?, ?, ?)", (i, *_fields(text))
        )
    conn.execute("CREATE VIRTUAL TABLE vocab USING fts5vocab(docs, 'instance')")
    yield conn
    conn.close()


@given(valid_trees)
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fts5_finds_exactly_what_the_matcher_matches(
    fts: sqlite3.Connection, tree: QueryNode
) -> None:
    expression = to_fts(tree)
    found = {
        row[0] for row in fts.execute("SELECT rowid FROM docs WHERE docs MATCH ?", (expression,))
    }
    matcher = Matcher(tree)
    expected = {i for i, text in enumerate(CORPUS, start=1) if matcher.match(*_fields(text))}
    assert found == expected, expression


@given(st.text(max_size=60))
@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_to_fts_of_any_parsed_text_is_valid_fts5(fts: sqlite3.Connection, text: str) -> None:
    try:
        tree = parse_query(text)
    except InputError:
        return
    for columns in (None, ("title",), ("title", "summary")):
        fts.execute(
            "SELECT count(*) FROM docs WHERE docs MATCH ?", (to_fts(tree, columns=columns),)
        ).fetchone()


def test_deep_and_wide_queries_are_valid_fts5(fts: sqlite3.Connection) -> None:
    deep = "(" * MAX_DEPTH + "a NOT b" + ")" * MAX_DEPTH
    wide = " OR ".join(f"(w{i} NOT v{i})" for i in range(MAX_TERMS // 2))
    for text in (deep, wide):
        fts.execute(
            "SELECT count(*) FROM docs WHERE docs MATCH ?", (to_fts(parse_query(text)),)
        ).fetchone()


def test_to_fts_quotes_every_term() -> None:
    tree = parse_query('title OR NEAR* OR "x y" NOT summary')
    assert to_fts(tree) == '("title" OR "near"* OR ("x y" NOT "summary"))'
    assert to_fts(t("a"), columns=("title", "summary")) == '{title summary} : "a"'
    assert (
        to_fts(t("a"), alternatives=lambda term: ['outlet_id : "3"']) == '("a" OR outlet_id : "3")'
    )
    with pytest.raises(ValueError):
        to_fts(Not(t("a")))


text_alphabet = st.sampled_from(list("abcXYZ019 -_.,'é\u0301ñÜøßİ²ά\u094d\t"))


@given(st.lists(text_alphabet, max_size=40).map("".join))
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_tokenize_agrees_with_fts5(fts: sqlite3.Connection, text: str) -> None:
    fts.execute("SAVEPOINT probe")
    try:
        fts.execute("INSERT INTO docs(rowid, title, summary) VALUES (1000, ?, '')", (text,))
        words = [
            row[0]
            for row in fts.execute(
                "SELECT term FROM vocab WHERE doc = 1000 AND col = 'title' ORDER BY offset"
            )
        ]
    finally:
        fts.execute("ROLLBACK TO probe")
        fts.execute("RELEASE probe")
    assert tokenize(text) == words


labels = st.lists(st.sampled_from(["rent*", "budget", "fiscal year", "cafe", "x ray"]), max_size=3)


@given(st.lists(st.sampled_from([*DOC_WORDS, "  ", "; "]), max_size=12).map(" ".join), labels)
def test_highlight_spans_cover_matching_words(text: str, wanted: list[str]) -> None:
    spans = highlight_spans(text, wanted)
    for (_, end), (next_start, _) in itertools.pairwise(spans):
        assert end < next_start  # sorted, merged
    for start, end in spans:
        assert 0 <= start < end <= len(text)
        piece = text[start:end]
        assert any(Matcher(label_term(label)).match(piece) for label in wanted), piece
        assert tokenize(piece[:1]) and tokenize(piece[-1:])  # spans start and end on a word
    # every occurrence of a wanted term is inside a span
    words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[^\W_]+", text)]
    for start, end, word in words:
        if any(
            len(label_term(label).tokens) == 1 and Matcher(label_term(label)).match(word)
            for label in wanted
        ):
            assert any(s <= start and end <= e for s, e in spans), word
