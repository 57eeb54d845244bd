"""Ingest from the web: poll each outlet's feeds, fetch new items' pages, extract the article, store it.

Each article goes into a `FeedSink` (the pipeline passes its `Store`) as soon as it is extracted, so a killed poll
resumes where it stopped. Feeds and pages are fetched on worker threads; only this thread writes, and each write (an
article, a feed's state) is its own short transaction taken after the fetch, never held across a network wait. A
feed's ETag / Last-Modified are saved only after all of its items were handled, so a run killed at any moment leaves
a consistent store and the next run picks up the rest.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urljoin

import feedparser
import pandas as pd
import trafilatura
from tqdm.auto import tqdm

from perspectives.ingest.boilerplate import Boilerplate, strip_boilerplate
from perspectives.ingest.files import LANGUAGE_CHECK_CHARS, articles_frame
from perspectives.ingest.http import FetchError, PoliteFetcher, Response, check_url
from perspectives.ingest.markup import html_to_text
from perspectives.ingest.normalise import (
    article_id,
    canonical_url,
    contradicted_languages,
    detect_language,
    utc_from_struct,
    utc_from_text,
)
from perspectives.ingest.schema import RowError, language_code, site_of, validate_row
from perspectives.ingest.sources import Outlet, Registry
from perspectives.ingest.titles import SiteNames, names_outlet, site_key, strip_site_names
from perspectives.ingest.translate import Translator, add_english

# How an article's text was had where its page was read (`extra.extraction`); else the feed's summary was.
EXTRACTED = "trafilatura"


class Upserted(Protocol):
    new: int
    updated: int
    unchanged: int


class FeedSink(Protocol):
    """Where polled articles and feed states go (`perspectives.store.Store` is one): what a poll reads back is what
    it wrote before, so that it fetches only what is new."""

    def feed_state(self, url: str) -> dict:
        """The feed's saved `etag` and `last_modified` (None when never polled)."""
        ...

    def save_feed_state(self, url: str, outlet: str, status: str, error: str | None = None,
                        etag: str | None = None, last_modified: str | None = None) -> None: ...

    def article_extra(self, article_id: str) -> dict | None:
        """The stored article's extra fields, or None when it is not stored."""
        ...

    def id_with_text(self, text: str) -> str | None:
        """The id of a stored article with this text (white space folded), if any."""
        ...

    def upsert_articles(self, articles: pd.DataFrame) -> Upserted: ...


@dataclass
class FeedOutcome:
    outlet: str
    url: str
    status: str  # "ok", "not modified" or "failed"
    reason: str | None = None
    items: int = 0


@dataclass
class SourcesSummary:
    feeds: list[FeedOutcome] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    # stored with the feed's summary because the page could not be fetched or extracted: reason -> count
    summary_only_reasons: Counter = field(default_factory=Counter)

    @property
    def summary_only(self) -> int:
        return sum(self.summary_only_reasons.values())

    @property
    def fetched_anything(self) -> bool:
        return any(f.status != "failed" for f in self.feeds)


@dataclass
class Item:
    """One feed entry, before its page is fetched."""

    link: str
    title: str
    summary: str
    published_at: str | None
    updated_at: str | None
    author: str | None
    source: str | None = None  # the outlet an aggregator's item is from (RSS and Atom <source>), and its link
    source_url: str | None = None


def parse_feed(body: bytes, url: str) -> tuple[list[Item], str | None]:
    """Entries of an RSS or Atom document and the feed's declared language; raises FetchError when unreadable."""
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if not parsed.entries:
        if parsed.bozo:
            detail = str(parsed.get("bozo_exception", "")).splitlines()[0][:120]
            raise FetchError(f"malformed feed ({detail})")
        if not parsed.get("version"):
            raise FetchError("not an RSS or Atom feed")
    items = [
        Item(link=urljoin(url, (entry.get("link") or "").strip()),
             title=html_to_text(entry.get("title")),
             summary=html_to_text(entry.get("summary")),
             published_at=utc_from_struct(dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")),
             # dict.get: feedparser's own get() maps a missing updated_parsed to published_parsed, with a warning
             updated_at=utc_from_struct(dict.get(entry, "updated_parsed")),
             author=entry.get("author"),
             source=html_to_text(source.get("title")) or None, source_url=source.get("href") or source.get("link"))
        for entry in parsed.entries if entry.get("link") for source in [entry.get("source") or {}]
    ]
    return items, language_code(parsed.feed.get("language") or "") or None


def extract(page: bytes, url: str) -> dict | None:
    """Article title, text, date and author with trafilatura (it detects the page's encoding itself)."""
    document = trafilatura.bare_extraction(page, url=url, with_metadata=True, include_comments=False)
    if document is None:
        return None
    found = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    text = (found.get("text") or "").strip()
    title = (found.get("title") or "").strip()
    if title and text.startswith(title):  # trafilatura repeats the page heading as the first line
        text = text[len(title):].lstrip()
    return {"title": title, "text": text, "date": found.get("date"), "author": found.get("author")}


class SourceIngester:
    """Poll every feed of a registry into a sink (a store); one broken feed or page never stops the run."""

    def __init__(self, registry: Registry, sink: FeedSink, fetcher: PoliteFetcher | None = None, since=None,
                 translator: Translator | None = None, workers: int = 4, min_text_chars: int = 200,
                 progress: bool = True):
        self.registry = registry
        self.sink = sink
        self.fetcher = fetcher or PoliteFetcher()
        self.since = pd.to_datetime(since, utc=True) if since is not None else None
        self.translator = translator
        self.workers = workers
        self.min_text_chars = min_text_chars
        self.progress = progress
        self.languages = registry.languages()
        # The registry's outlets by their sites' and names' keys: an aggregator's item names its outlet (<source>).
        self.known_outlets = {key: outlet for outlet in registry.outlets
                              for key in (site_key(outlet.name), site_key(site_of(outlet.homepage or "") or "")) if key}

    def run(self) -> SourcesSummary:
        summary = SourcesSummary()
        feeds = [(outlet, url) for outlet in self.registry.outlets for url in outlet.feeds]
        validators = [self.sink.feed_state(url) for _, url in feeds]
        requests = [(url, state["etag"], state["last_modified"]) for (_, url), state in zip(feeds, validators)]
        fetched = fetch_all(self.fetcher, requests, self.workers)
        for (outlet, url), (reply, error) in tqdm(zip(feeds, fetched), total=len(feeds), desc="Feeds", unit="feed",
                                                  disable=not self.progress):
            summary.feeds.append(self._poll(outlet, url, reply, error, summary))
        return summary

    def _poll(self, outlet: Outlet, url: str, reply: Response | None, error: FetchError | None,
              summary: SourcesSummary) -> FeedOutcome:
        """Handle one fetched feed: its new items' pages are fetched, then each article is stored."""
        if reply is not None and reply.not_modified:  # a reply, or else an error
            self.sink.save_feed_state(url, outlet.name, "not modified")
            return FeedOutcome(outlet.name, url, "not modified")
        try:
            items, feed_language = feed_items(reply, error)
        except FetchError as exc:
            self.sink.save_feed_state(url, outlet.name, "failed", str(exc))
            return FeedOutcome(outlet.name, url, "failed", str(exc))
        assert reply is not None  # feed_items raised the fetch's error otherwise
        fresh = self._new_items(items, url, summary)
        # The feed's items together show which title tails are their sites' names, and which lines of their summaries
        # furniture ("Read more"), new and stored items alike.
        source_of = {item.link: self._outlet_of(item, outlet) for item in items}
        outlets = [source_of[item.link].name for item in items]
        names = SiteNames().fit([item.title for item in items], outlets)
        furniture = Boilerplate().fit([item.summary for item in items], outlets, [feed_language] * len(items),
                                      [item.title for item in items])
        language_of = item_languages(items, feed_language)
        for item, (page, fetch_error) in zip(fresh, self._fetch_pages(fresh)):
            source = source_of[item.link]
            language = language_of[item.link]
            article = self._article(source, url, language, item, page, fetch_error and str(fetch_error), summary)
            if article is not None:
                if source is not outlet:
                    article["extra"] |= {"aggregator": outlet.name, "outlet_source": "feed source"}
                if language != feed_language:
                    article["extra"] |= {"language_given": feed_language, "language_source": "detected"}
                strip_site_names([article], names)
                if article["extra"]["extraction"] != EXTRACTED:  # a page's text is trafilatura's, furniture left out
                    strip_boilerplate([article], furniture)
                self._store(article, summary)
        self.sink.save_feed_state(url, outlet.name, "ok", None, reply.etag, reply.last_modified)
        return FeedOutcome(outlet.name, url, "ok", None, len(items))

    def _outlet_of(self, item: Item, feed_outlet: Outlet) -> Outlet:
        """The outlet an item is from: the feed's, or the one an aggregator's item names in <source> (the
        registry's outlet of that site or name, else that name, its country unknown)."""
        if not item.source or names_outlet(item.source, feed_outlet.name):
            return feed_outlet
        site = site_of(item.source_url or "") or ""
        known = self.known_outlets.get(site_key(site)) or self.known_outlets.get(site_key(item.source))
        return known or Outlet(name=item.source, country="", language=feed_outlet.language, feeds=())

    def _stored_and_current(self, key: str, item: Item, feed_url: str) -> bool:
        """Stored already, and not marked updated since by the feed it came from."""
        stored = self.sink.article_extra(key)
        if stored is None:
            return False
        if stored.get("feed") != feed_url:  # another feed linking a known article adds nothing
            return True
        return (item.updated_at or "") <= (stored.get("feed_updated") or "")

    def _new_items(self, items: list[Item], feed_url: str, summary: SourcesSummary) -> list[Item]:
        """Items worth fetching: http(s), recent enough, not stored already (unless the feed says updated)."""
        fresh, seen = [], set()
        for item in items:
            try:
                check_url(item.link)
            except FetchError as exc:
                summary.skipped[f"link {exc}"] += 1
                continue
            if self.since is not None and item.published_at and pd.Timestamp(item.published_at) < self.since:
                summary.skipped["published before --since"] += 1
                continue
            key = article_id(item.link)
            if key in seen or self._stored_and_current(key, item, feed_url):
                summary.skipped["already stored (same URL)"] += 1
                continue
            seen.add(key)
            fresh.append(item)
        return fresh

    def _fetch_pages(self, items: list[Item]):
        """Pages fetched concurrently (the fetcher keeps per-host limits); results come back in feed order."""
        fetched = fetch_all(self.fetcher, [(item.link, None, None) for item in items], self.workers)
        return tqdm(fetched, total=len(items), desc="Articles", unit="page", leave=False, disable=not self.progress)

    def _article(self, outlet: Outlet, feed_url: str, language: str | None, item: Item,
                 reply: Response | None, fetch_error: str | None, summary: SourcesSummary) -> dict | None:
        """The item's article (its page's text, else the feed's summary), validated; None where it has no text."""
        page = extract(reply.body, reply.url) if reply is not None else None
        reason = fetch_error or "page text could not be extracted"
        if page and len(page["text"]) >= self.min_text_chars:
            title, text, how = page["title"] or item.title, page["text"], EXTRACTED
        elif item.summary:
            title, text, how = item.title or (page or {}).get("title", ""), item.summary, f"feed summary ({reason})"
            summary.summary_only_reasons[reason] += 1
        else:
            summary.skipped[f"no text: {reason}"] += 1
            return None
        article = validate_row({
            "id": article_id(item.link), "outlet": outlet.name, "country": outlet.country, "title": title, "text": text,
            "url": canonical_url(reply.url if reply is not None else item.link),
            "language": language or detect_language(f"{title}. {text}", self.languages) or outlet.language,
            "published_at": item.published_at or utc_from_text((page or {}).get("date")),
            "feed": feed_url, "author": item.author or (page or {}).get("author"), "extraction": how,
            "feed_updated": item.updated_at, "ownership": outlet.ownership,
        })  # the one validator every input passes
        if isinstance(article, RowError):
            summary.skipped[article.reason] += 1
            return None
        return article

    def _store(self, article: dict, summary: SourcesSummary) -> None:
        # An article whose text was a stub, read off, is its title: no text to be the same as another's.
        duplicate = self.sink.id_with_text(article["text"]) if article["text"] else None
        if duplicate and duplicate != article["id"]:
            summary.skipped["same text as a stored article"] += 1
            return
        counts = self.sink.upsert_articles(articles_frame([add_english(article, self.translator)]))
        summary.new += counts.new
        summary.updated += counts.updated
        if counts.unchanged:
            summary.skipped["unchanged"] += counts.unchanged


def fetch_all(fetcher: PoliteFetcher, requests: list[tuple[str, str | None, str | None]], workers: int):
    """(response, None) or (None, FetchError) for each (url, etag, last_modified), fetched on `workers` threads
    and yielded in order; nothing here touches the store."""
    def fetch(request):
        try:
            return fetcher.get(*request), None
        except FetchError as exc:
            return None, exc

    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(fetch, requests)


def item_languages(items: list[Item], feed_language: str | None) -> dict[str, str | None]:
    """Each item's language by its link: the feed's, but where its items' titles and summaries contradict it (a
    site's feed declaring one language for items in several), the language lingua reads an item in confidently
    (`normalise.contradicted_languages`); None (detected from the page) where the feed declares none."""
    texts = [f"{item.title}. {item.summary}"[:LANGUAGE_CHECK_CHARS] for item in items]
    read = contradicted_languages(texts, [feed_language] * len(items)) if feed_language else [None] * len(items)
    return {item.link: reading or feed_language for item, reading in zip(items, read)}


def feed_items(reply: Response | None, error: FetchError | None) -> tuple[list[Item], str | None]:
    """A fetched feed's entries and language; raises the FetchError of its fetch or of its parsing."""
    if error is not None:
        raise error
    assert reply is not None  # a reply, or else an error
    return parse_feed(reply.body, reply.url)


def ingest_sources(registry: Registry, sink: FeedSink, **options) -> SourcesSummary:
    """Poll a registry's feeds into `sink` (a `Store`); options are those of `SourceIngester`."""
    return SourceIngester(registry, sink, **options).run()


def check_feeds(registry: Registry, fetcher: PoliteFetcher | None = None, progress: bool = True,
                workers: int = 4) -> list[FeedOutcome]:
    """Fetch and parse every feed once, storing nothing: is each one reachable and readable?"""
    feeds = [(outlet, url) for outlet in registry.outlets for url in outlet.feeds]
    fetched = fetch_all(fetcher or PoliteFetcher(), [(url, None, None) for _, url in feeds], workers)
    outcomes = []
    for (outlet, url), (reply, error) in tqdm(zip(feeds, fetched), total=len(feeds), desc="Feeds", unit="feed",
                                              disable=not progress):
        try:
            items, _ = feed_items(reply, error)
            outcomes.append(FeedOutcome(outlet.name, url, "ok", None, len(items)))
        except FetchError as exc:
            outcomes.append(FeedOutcome(outlet.name, url, "failed", str(exc)))
    return outcomes
