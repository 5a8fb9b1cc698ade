"""Matching clips against topics: a topic's record and its compiled rule.

Standard library only (with ``topic_query``): the fetch pipeline's parser processes and
``deskterm fetch`` match new entries without importing SQLAlchemy. Storing and editing
topics is ``deskterm.core.topics``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from deskterm.core.topic_query import Matcher, document, parse_query


@dataclass(frozen=True)
class TopicRecord:
    id: int
    name: str
    query: str
    priority: int  # 1 = highest
    outlet_types: tuple[str, ...]  # OutletType values; () = any outlet
    languages: tuple[str, ...]  # language tags; () = any language
    enabled: bool
    version: int
    created_at: datetime
    updated_at: datetime


class _Documents:
    """The last clip's document, so that ten topics matching one clip tokenise it once."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: tuple[tuple[str, str, str], str] = (("", "", ""), "  ")

    def get(self, title: str, summary: str, outlet: str) -> str:
        key = (title, summary, outlet)
        last_key, doc = self._last  # one read: safe if threads share the cache
        if key == last_key:
            return doc
        doc = document(title, summary, outlet)
        self._last = (key, doc)
        return doc


class CompiledTopic:
    """A topic ready to match clips quickly (see ``compile_topics``)."""

    __slots__ = (
        "_docs",
        "_limited",
        "_matcher",
        "id",
        "languages",
        "name",
        "outlet_types",
        "priority",
    )

    def __init__(self, record: TopicRecord, documents: _Documents | None = None) -> None:
        self.id = record.id
        self.name = record.name
        self.priority = record.priority
        self.outlet_types = frozenset(record.outlet_types)
        self.languages = tuple(record.languages)
        self._limited = bool(self.outlet_types or self.languages)
        self._matcher = Matcher(parse_query(record.query))
        self._docs = documents or _Documents()

    def __repr__(self) -> str:
        return f"CompiledTopic({self.id}, {self.name!r}, priority={self.priority})"

    def accepts(self, outlet_type: str | None, language: str | None) -> bool:
        """Does the clip's outlet type and language fall within the topic's limits?"""
        if self.outlet_types and (outlet_type is None or str(outlet_type) not in self.outlet_types):
            return False
        if self.languages:
            if not language:
                return False
            tag = language.lower().replace("_", "-")
            return any(tag == lang or tag.startswith(lang + "-") for lang in self.languages)
        return True

    def match(
        self,
        title: str,
        summary: str,
        outlet: str,
        outlet_type: str | None,
        language: str | None,
    ) -> tuple[str, ...]:
        """The terms that matched (labels such as ``rent*``), or () for no match."""
        if self._limited and not self.accepts(outlet_type, language):
            return ()
        return self._matcher.match_document(
            self._docs.get(title or "", summary or "", outlet or "")
        )


def match_topics(
    topics: Sequence[CompiledTopic],
    title: str,
    summary: str,
    outlet: str,
    outlet_type: str | None,
    language: str | None,
) -> list[tuple[CompiledTopic, tuple[str, ...]]]:
    """Every topic a clip matches, with its matched terms."""
    found = []
    for topic in topics:
        terms = topic.match(title, summary, outlet, outlet_type, language)
        if terms:
            found.append((topic, terms))
    return found


def encode_terms(terms: Sequence[str]) -> str:
    """Matched terms as stored in ``clip_topics.matched_terms`` (one per line)."""
    return "\n".join(terms)
