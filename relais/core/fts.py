"""French full-text analysis shared by the search backends and the highlighting of results.

PostgreSQL indexes messages with its `french` configuration over unaccented text
(`unaccent`, then the Snowball French stemmer). SQLite has no French stemmer: its FTS5 index
holds text analysed here with the same steps — accents folded, the same stop words, the same
Snowball French algorithm (the `snowballstemmer` package, version 2.2 like PostgreSQL 15's) —
so both find the same messages for the same query. Highlighting uses this analysis on both.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field

import snowballstemmer

from relais.core.text import fold

# PostgreSQL's tsearch_data/french.stop (Snowball's French stop words). PostgreSQL compares
# them with the token once lower-cased and unaccented, so accented entries never match:
# they are kept as they are to behave the same.
_STOP_TEXT = """au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais
    me même
    mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi
    ton tu un une vos votre vous c d j l à m n s t y été étée étées étés étant étante étants
    étantes suis es est sommes êtes sont serai seras sera serons serez seront serais serait
    serions seriez seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois
    soit soyons soyez soient fusse fusses fût fussions fussiez fussent ayant ayante ayantes
    ayants eu eue eues eus ai as avons avez ont aurai auras aura aurons aurez auront aurais
    aurait aurions auriez auraient avais avait avions aviez avaient eut eûmes eûtes eurent aie
    aies ait ayons ayez aient eusse eusses eût eussions eussiez eussent"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

# Tokens of the SQLite document that no analysed word can be: a stop word keeps its place
# (a phrase « rappel du patient » matches « rappel de patient », as on PostgreSQL) and parts
# (subject, body, contact, each reply) are kept apart so that a phrase never spans two.
STOP_TOKEN = "zzstop"
PART_TOKEN = "zzpart"
# group_concat of replies' bodies, split again by search_document.
PART_SEPARATOR = "\x1e"

_WORD = re.compile(r"[^\W_]+")
_STEMMER = snowballstemmer.stemmer("french")
_QUOTES = str.maketrans({"«": '"', "»": '"', "“": '"', "”": '"', "„": '"'})

SEARCH_MAX = 200


@functools.lru_cache(maxsize=20000)
def analyse(token: str) -> str | None:
    """A token as the index holds it: folded and stemmed; None for a stop word. Tokens with
    digits are only folded (PostgreSQL's parser gives them to the `simple` dictionary)."""
    word = fold(token)
    if word in STOP_WORDS:
        return None
    if any(ch.isdigit() for ch in word):
        return word
    return str(_STEMMER.stemWord(word))


def tokens(text: str) -> list[str]:
    return _WORD.findall(fold(text or ""))


def document_part(text: str) -> str:
    return " ".join(analyse(t) or STOP_TOKEN for t in tokens(text))


def search_document(*parts: str | None) -> str:
    """The SQLite FTS5 document of a message: its parts analysed, kept apart. A part may hold
    several texts separated by PART_SEPARATOR (the replies)."""
    texts = [t for part in parts if part for t in part.split(PART_SEPARATOR)]
    return f" {PART_TOKEN} ".join(document_part(t) for t in texts if t)


@dataclass
class SearchQuery:
    """What the search box holds: words (all required) and quoted phrases."""

    words: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Nothing to look for once stop words are left out."""
        return not self.stems

    @functools.cached_property
    def stems(self) -> frozenset[str]:
        """Every analysed word the query asks for (for highlighting and emptiness)."""
        found = {analyse(w) for w in self.words}
        found |= {analyse(w) for phrase in self.phrases for w in phrase}
        found.discard(None)
        return frozenset(s for s in found if s)

    def fts5(self) -> str:
        """The FTS5 MATCH expression: every word AND every phrase; each one quoted, so nothing
        typed is ever read as FTS5 syntax."""
        terms = [f'"{s}"' for s in dict.fromkeys(analyse(w) for w in self.words) if s]
        for phrase in self.phrases:
            analysed = [analyse(w) or STOP_TOKEN for w in phrase]
            # Leading and trailing stop words do not count (PostgreSQL's phraseto_tsquery).
            while analysed and analysed[0] == STOP_TOKEN:
                analysed.pop(0)
            while analysed and analysed[-1] == STOP_TOKEN:
                analysed.pop()
            if analysed:
                terms.append('"' + " ".join(analysed) + '"')
        return " AND ".join(terms)


def parse_query(raw: str) -> SearchQuery:
    """Words and "phrases in quotes" (also « French quotes »); an unclosed quote runs to the
    end. Punctuation splits words as the index does."""
    text = (raw or "")[:SEARCH_MAX].translate(_QUOTES)
    query = SearchQuery()
    for i, chunk in enumerate(text.split('"')):
        if i % 2:
            words = tokens(chunk)
            if len(words) > 1:
                query.phrases.append(words)
            else:
                query.words += words
        else:
            query.words += tokens(chunk)
    return query


def highlight(text: str, stems: frozenset[str]) -> str:
    """text as HTML, escaped, with the words whose analysed form the query asks for in
    <mark>. Nothing of text is ever read as HTML."""
    out: list[str] = []
    pos = 0
    for match in _WORD.finditer(text or ""):
        if stems and analyse(match.group()) in stems:
            out.append(html.escape(text[pos : match.start()]))
            out.append("<mark>" + html.escape(match.group()) + "</mark>")
            pos = match.end()
    out.append(html.escape((text or "")[pos:]))
    return "".join(out)


def first_match(text: str, stems: frozenset[str]) -> int | None:
    """Where the first word of text that the query asks for starts, or None."""
    for match in _WORD.finditer(text or ""):
        if analyse(match.group()) in stems:
            return match.start()
    return None


def excerpt(text: str, stems: frozenset[str], *, width: int = 220) -> str | None:
    """A stretch of text around its first matching word, on word boundaries, with « … » where
    it is cut; None when no word matches."""
    start = first_match(text, stems)
    if start is None:
        return None
    flat = " ".join((text or "").split())
    start = first_match(flat, stems) or 0
    begin = max(0, start - width // 6)
    if begin:
        space = flat.find(" ", begin)
        begin = space + 1 if 0 <= space < start else begin
    end = min(len(flat), begin + width)
    if end < len(flat):
        space = flat.rfind(" ", begin, end)
        end = space if space > start else end
    return ("… " if begin else "") + flat[begin:end] + (" …" if end < len(flat) else "")
