"""Site names in titles: "Headline - Outlet", as aggregators' feeds and pages' <title> give them.

A site name ending every title of an outlet is shared by all its articles and by no other outlet's: in a title of
ten words it pulls the outlet's stories together and apart from the same stories elsewhere (the demo's titles alone,
each followed by its site's name, scored 0.753 against 0.880 without; benchmarks/GROUPING.md, "Site names in titles").
It is read off once, at ingestion, so that a stored article's title and vector never change as others arrive; the
title as given is kept (`title_given`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

import regex
from sklearn.base import BaseEstimator

from perspectives.ingest.schema import UNKNOWN_OUTLET
from perspectives.text import fold, present

# A separator set off by spaces: dashes, bars and bullets, which titles put before a site or section name (a run of
# them, "WASHINGTON — - Site", as one). A colon is left alone ("Iceland eruption: flights resume" names the story, not
# the site), and so are guillemets, which French titles set off by spaces as quotes. Matched only from a run of
# spaces' start, so that a long run is read once.
_SEPARATOR = regex.compile(r"(?<!\s)(?:\s+(?:[-–—|·•]|::))+\s+")
# A site or section name is a few words; a longer tail is part of the headline.
MAX_SITE_WORDS = 6
# A tail ending this many of one outlet's titles in one file or feed is its site or a section name. On the labelled
# sets' 33,000 titles no tail after such a separator ends even two titles of one set; two in place of three moves
# no cell of four sets in the benchmark's site-name table by more than 0.002.
MIN_REPEATS = 3
# At most this many tails are read off one title: a site's name and two section names under it. More would be read
# one at a time, each a pass over the title: quadratic on a title built of thousands of them.
MAX_TAILS = 3
_LETTER = regex.compile(r"\p{L}")
_DOMAIN_ENDING = re.compile(r"[a-z]{2,6}")


def split_tail(title: str) -> tuple[str, str] | None:
    """(headline, tail) where `title` ends in a separator and a tail short enough to be a site name, else None."""
    separators = list(_SEPARATOR.finditer(title))
    if not separators:
        return None
    head, tail = title[:separators[-1].start()].strip(), title[separators[-1].end():].strip()
    if not _LETTER.search(head) or not _LETTER.search(tail) or len(tail.split()) > MAX_SITE_WORDS \
            or tail[-1] in ".?!…":
        return None
    return head, tail


def _site_words(name: str) -> list[str]:
    """A site's name as folded words, a parenthesis, "www.", a domain's ending and a leading "the" aside."""
    # Patterns that never start over inside what they failed on: a hostile outlet name stays linear.
    parts = re.sub(r"\([^()]*\)", " ", fold(name)).strip().removeprefix("www.").split(".")
    while len(parts) > 1 and _DOMAIN_ENDING.fullmatch(parts[-1]):
        parts.pop()
    stripped = (word.strip(".,;:!?'\"()[]") for word in ".".join(parts).split())
    words = [word for word in stripped if word]
    return words[1:] if words[:1] == ["the"] else words


def site_key(name: str) -> str:
    """A site's name as its letters and digits, a parenthesis, "www.", a domain's ending and a leading "the" aside:
    'The Guardian', 'theguardian.com' and 'Guardian (UK)' have one key."""
    return re.sub(r"[\W_]+", "", "".join(_site_words(name))).removeprefix("the")


def names_outlet(tail: str, outlet: str) -> bool:
    """Whether `tail` is the outlet's name ('The New York Times' of 'New York Times (News)', 'The Guardian' of
    'theguardian.com'), or its words with more after them ('SVT Nyheter' of the site 'svt.se'; not "CNN's Jake Tapper"
    of 'CNN')."""
    outlet_words = _site_words(outlet)
    outlet_key = site_key(outlet)
    return (outlet != UNKNOWN_OUTLET and len(outlet_key) >= 3
            and (site_key(tail) == outlet_key or _site_words(tail)[:len(outlet_words)] == outlet_words))


class SiteNames(BaseEstimator):
    """Learns which title tails are site or section names (`fit`) and reads them off (`strip`).

    A tail is one where it names the article's outlet, or where it ends `min_repeats` or more of that outlet's titles
    in what `fit` saw (articles without an outlet count as one outlet). Tails are read off one at a time from the end,
    so "Headline | World news | The Guardian" keeps "Headline" where each tail repeats.
    """

    def __init__(self, min_repeats: int = MIN_REPEATS):
        self.min_repeats = min_repeats

    def fit(self, titles: Iterable[str], outlets: Iterable[str]):
        by_outlet: dict[str, list[str]] = defaultdict(list)
        for title, outlet in zip(titles, outlets):
            if title:
                by_outlet[outlet].append(title)
        self.tails_ = {outlet: self._repeated_tails(own) for outlet, own in by_outlet.items()}
        return self

    def _repeated_tails(self, titles: list[str]) -> frozenset[str]:
        """The tails ending `min_repeats` of `titles`, those found under another tail read off included."""
        found: set[str] = set()
        for _ in range(MAX_TAILS):
            split = [parts for title in titles if (parts := split_tail(title))]
            counts = Counter(fold(tail) for _, tail in split)
            repeated = {tail for tail, count in counts.items() if count >= self.min_repeats} - found
            found |= repeated
            titles = [head for head, tail in split if fold(tail) in repeated]
        return frozenset(found)

    def strip(self, title: str, outlet: str) -> str:
        """`title` without the site and section names at its end."""
        tails = self.tails_.get(outlet, frozenset())
        for _ in range(MAX_TAILS):
            parts = split_tail(title)
            if not parts or not (fold(parts[1]) in tails or names_outlet(parts[1], outlet)):
                break
            title = parts[0]
        return title


def read_off_site_names(titles: list[str | None], outlets: list[str],
                        names: SiteNames | None = None) -> list[str | None]:
    """Each of one file's titles without the site and section names at its end: those `names` learnt, by default
    those these titles show (`SiteNames`)."""
    given = [str(title) if present(title) else "" for title in titles]
    names = SiteNames().fit(given, outlets) if names is None else names
    return [names.strip(text, outlet) if text else title for title, text, outlet in zip(titles, given, outlets)]


def strip_site_names(articles: list[dict], names: SiteNames | None = None) -> int:
    """Read site and section names off the titles (and English titles) of validated articles, in place: those
    `names` learnt (from a feed's items), by default those these articles' titles show (one file's). An article
    whose title changed keeps the one given in `extra.title_given`; one without an outlet takes the name its title
    ended in (`extra.outlet_source` "title"). Returns how many articles' titles changed."""
    outlets = [article["outlet"] for article in articles]
    changed = set()
    for field in ("title", "title_en"):
        given = [article[field] for article in articles]
        read = read_off_site_names(given, outlets, names)
        for row, (article, before, after) in enumerate(zip(articles, given, read)):
            if after is before or after == before:  # the same object where missing (None, NaN in a frame)
                continue
            article[field] = after
            article["extra"] = {f"{field}_given": before, **article["extra"]}  # an object given stays
            site = split_tail(before)
            if field == "title" and article["outlet"] == UNKNOWN_OUTLET and site:
                # The last tail is the site's name ("Headline | World news | The Guardian"): without an outlet, the
                # takes would hold every such article under one.
                article["outlet"], article["extra"]["outlet_source"] = site[1], "title"
            changed.add(row)
    return len(changed)
