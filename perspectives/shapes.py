"""The shapes a labelled corpus is evaluated in: the forms real input takes where less is known about each
article. `perspectives evaluate --shapes` and `make bench` group a corpus in each (benchmarks/GROUPING.md)."""

from __future__ import annotations

import re
import zlib
from functools import partial

import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from perspectives.ingest.schema import UNKNOWN_OUTLET
from perspectives.text import lede, present, sentences


def titles_only(articles: pd.DataFrame) -> pd.DataFrame:
    """Titles (and their translations) without bodies: a feed that gives headlines only."""
    return articles.assign(text="", text_en=None)


def content_only(articles: pd.DataFrame) -> pd.DataFrame:
    """Without dates or outlets: a collection of texts and nothing else."""
    return articles.assign(published_at=None, outlet=UNKNOWN_OUTLET)


def bare(title: str) -> str:
    """Lower-cased words without English stop words: the form of preprocessed title collections."""
    return " ".join(w for w in re.findall(r"\w+", title.lower()) if w not in ENGLISH_STOP_WORDS)


def bare_titles(articles: pd.DataFrame) -> pd.DataFrame:
    """Titles only (and their English translations), lower-cased, without English stop words, dates or outlets:
    the form of preprocessed title collections (and of the event tweets)."""
    return content_only(titles_only(articles)).assign(title=articles["title"].fillna("").map(bare),
                                                      title_en=articles["title_en"].map(bare, na_action="ignore"))


def summaries_only(articles: pd.DataFrame) -> pd.DataFrame:
    """Each body's first sentence (and its translation's), without the title; dates and outlets kept: the form of
    one-line summaries (what a feed gives when extraction fails, short of its title) and of news blurbs."""
    return title_and_summary(articles).assign(title="", title_en=None)


def title_and_summary(articles: pd.DataFrame) -> pd.DataFrame:
    """Each title with its body's first sentence (and their translations); dates and outlets kept: a feed's item as
    RSS gives it (title and description) where the page itself is not fetched."""
    first = [lede(text, language, n=1) for text, language in zip(articles["text"], articles["language"])]
    first_en = [lede(text, "en", n=1) if present(text) else None for text in articles["text_en"]]
    return articles.assign(text=first, text_en=first_en)


def headline_in_body(articles: pd.DataFrame) -> pd.DataFrame:
    """Each title (and its translation) as its body's first line, without a title, dates or outlets: a folder of
    plain-text articles, and event-coreference corpora as they come."""
    def glued(title, text):
        return f"{title}\n\n{text}" if present(title) and present(text) else (text if present(text) else title)
    return content_only(articles).assign(
        title="", title_en=None, text=[glued(t, x) for t, x in zip(articles["title"], articles["text"])],
        text_en=[glued(t, x) if present(x) else None for t, x in zip(articles["title_en"], articles["text_en"])])


def site_names(articles: pd.DataFrame) -> pd.DataFrame:
    """Each title (and its translation) followed by its outlet's name ("Headline - Outlet"), without dates or an
    outlet field: what aggregators' feeds and pages' <title> give, the site named only in the title."""
    def named(title, outlet):
        return f"{title} - {outlet}" if present(title) else title
    return content_only(articles).assign(
        title=[named(t, o) for t, o in zip(articles["title"], articles["outlet"])],
        title_en=[named(t, o) for t, o in zip(articles["title_en"], articles["outlet"])])


def site_named_titles(articles: pd.DataFrame) -> pd.DataFrame:
    """`site_names` of the titles alone: an aggregator's feed whose pages are not fetched."""
    return titles_only(site_names(articles))


# A site's furniture as a scraper of one's own keeps it (benchmarks/GROUPING.md, "Boilerplate in the bodies").
FOOTER = ("Follow {outlet} on Facebook, Twitter and Instagram. Subscribe to the {outlet} Daily newsletter for the "
          "day's top stories. Copyright 2025 {outlet} Media Group. All rights reserved. This material may not be "
          "published, broadcast, rewritten or redistributed.")
HEADER = "Skip to main content. {outlet} | Home | World | Politics | Business | Sport | Opinion. Advertisement."
STUB = ("Subscribe to continue reading. Get unlimited access to {outlet} journalism for just $1 a week. Already a "
        "subscriber? Sign in.")


def _with_furniture(articles: pd.DataFrame, footer: bool) -> pd.DataFrame:
    def furnished(text, outlet):
        if not present(text):
            return text
        furniture = (FOOTER if footer else HEADER).format(outlet=outlet)
        return f"{text}\n\n{furniture}" if footer else f"{furniture}\n\n{text}"
    return articles.assign(text=[furnished(t, o) for t, o in zip(articles["text"], articles["outlet"])],
                           text_en=[furnished(t, o) for t, o in zip(articles["text_en"], articles["outlet"])])


def footers(articles: pd.DataFrame) -> pd.DataFrame:
    """Each body (and its translation) followed by its outlet's footer, a blank line between: a scraper's text."""
    return _with_furniture(articles, footer=True)


def headers(articles: pd.DataFrame) -> pd.DataFrame:
    """Each body (and its translation) after its outlet's header and navigation, a blank line between."""
    return _with_furniture(articles, footer=False)


def paywalled(articles: pd.DataFrame) -> pd.DataFrame:
    """A third of each outlet's articles (by a hash of their ids) behind its paywall: each body is the stub a scraper
    gets, without a translation."""
    walled = articles["id"].map(lambda id_: zlib.crc32(str(id_).encode()) % 3 == 0).to_numpy()
    stubbed = [STUB.format(outlet=outlet) if wall and present(text) else text
               for text, outlet, wall in zip(articles["text"], articles["outlet"], walled)]
    return articles.assign(text=stubbed, text_en=articles["text_en"].mask(walled))


# News agencies and broadcasters, as current-events entries and aggregators cite them.
CITED_SOURCES = ("Reuters", "AP", "AFP", "BBC News", "Al Jazeera", "dpa", "EFE", "Xinhua", "Kyodo", "TASS", "ANSA")


def sources_cited(articles: pd.DataFrame) -> pd.DataFrame:
    """Each body (and its translation) followed by one source in parentheses, or by two for a third of them, drawn
    by a hash of its id ("... killed. (Reuters) (AP)"): Wikipedia's current-events entries and aggregators' summaries
    cite theirs so."""
    def cited(text, id_):
        if not present(text):
            return text
        drawn = zlib.crc32(f"cited {id_}".encode())
        first, second = (CITED_SOURCES[(drawn >> shift) % len(CITED_SOURCES)] for shift in (0, 8))
        return f"{text} ({first})" + (f" ({second})" if drawn % 3 == 0 and second != first else "")
    return articles.assign(**{field: [cited(text, id_) for text, id_ in zip(articles[field], articles["id"])]
                              for field in ("text", "text_en")})


def one_language_given(articles: pd.DataFrame) -> pd.DataFrame:
    """Every row said to be in English: a file whose language column holds a default, not each row's own."""
    return articles.assign(language="en")


def mojibake(articles: pd.DataFrame) -> pd.DataFrame:
    """Every title, text and outlet as UTF-8 once read as Windows-1252 and saved again ("cafÃ©"): what a tool on the
    way leaves."""
    import ftfy.bad_codecs  # noqa: F401  (registers "sloppy-windows-1252", which keeps every byte)

    def garbled(value):
        return value.encode("utf-8").decode("sloppy-windows-1252") if isinstance(value, str) else value
    return articles.assign(**{field: articles[field].map(garbled)
                              for field in ("title", "text", "title_en", "text_en", "outlet")})


def placeholder_dates(articles: pd.DataFrame) -> pd.DataFrame:
    """A quarter of the dated articles (by a hash of their ids) dated Unix time 0, as a scraper or a database writes a
    date it did not find."""
    lost = articles["id"].map(lambda id_: zlib.crc32(str(id_).encode()) % 4 == 0) & articles["published_at"].notna()
    return articles.assign(published_at=articles["published_at"].mask(lost, UNIX_ZERO))


UNIX_ZERO = "1970-01-01T00:00:00Z"


def crawl_dates(articles: pd.DataFrame, outlet_share: float = 1.0) -> pd.DataFrame:
    """Each dated article dated at a time drawn (by a hash of its id) over CRAWL_DAYS days, as a scraper that writes
    when it fetched a page; with `outlet_share`, only the articles of that share of the outlets (by a hash of
    their names), one broken scraper among working ones."""
    fetched = _fetched(articles, pd.Timestamp(CRAWL_START), CRAWL_DAYS)
    return articles.assign(published_at=articles["published_at"].mask(
        articles["published_at"].notna() & _some_outlets(articles, outlet_share), fetched))


def back_catalogues(articles: pd.DataFrame, outlet_share: float = 1 / 3) -> pd.DataFrame:
    """The articles of `outlet_share` of the outlets (by a hash of their names) published before the corpus's median
    date dated at a time drawn (by a hash of its id) within the half day from it: each outlet's back catalogue, fetched
    when its scraper was added, beside the real dates of its later articles."""
    published = pd.to_datetime(articles["published_at"], utc=True, format="ISO8601")
    added = published.median()
    fetched = _fetched(articles, added, 0.5)
    return articles.assign(published_at=articles["published_at"].mask(
        (published < added) & _some_outlets(articles, outlet_share), fetched))


def _fetched(articles: pd.DataFrame, start: pd.Timestamp, days: float) -> pd.Series:
    """Each article's time of fetching, drawn by a hash of its id over `days` days from `start` (ISO text)."""
    return articles["id"].map(lambda id_: (start + pd.Timedelta(
        minutes=zlib.crc32(f"fetched {id_}".encode()) % int(days * 1440))).strftime("%Y-%m-%dT%H:%M:%SZ"))


def _some_outlets(articles: pd.DataFrame, share: float) -> pd.Series:
    """Whether each article's outlet is among `share` of the outlets, drawn by a hash of their names."""
    return articles["outlet"].map(lambda outlet: zlib.crc32(str(outlet).encode()) % 1000 < share * 1000)


CRAWL_START, CRAWL_DAYS = "2025-07-01T00:00:00Z", 30


def copies(articles: pd.DataFrame) -> pd.DataFrame:
    """A third of the articles (by a hash of their ids) given three times, each copy under an id of its own: one
    article at several links of its site (section pages, mobile and print versions), as scrapes hold."""
    copied = _copied(articles)
    return pd.concat([articles, *(copied.assign(id=copied["id"].astype(str) + f"#copy{k}") for k in (1, 2))],
                     ignore_index=True)


def updated_copies(articles: pd.DataFrame) -> pd.DataFrame:
    """`copies`, each copy's headline changed and its body's last one or two sentences cut: an article's updates
    stored beside it, or its page cut short."""
    copied = _copied(articles)
    return pd.concat([articles, *(copied.assign(id=copied["id"].astype(str) + f"#update{k}",
                                                title=copied["title"].fillna("") + f" (updated {k})",
                                                text=copied["text"].fillna("").map(partial(_cut, last=k)))
                                  for k in (1, 2))], ignore_index=True)


def _copied(articles: pd.DataFrame) -> pd.DataFrame:
    return articles[articles["id"].map(lambda id_: zlib.crc32(str(id_).encode()) % 3 == 0)]


def _cut(text: str, last: int) -> str:
    """`text` without its `last` lines, or where it has no more lines, its `last` sentences (all of it where it has
    no more)."""
    lines = text.split("\n")
    if len(lines) > last + 1:
        return "\n".join(lines[:-last])
    parts = sentences(text)
    return " ".join(parts[:-last]) if len(parts) > last else text


SHAPES = {"as given": lambda a: a, "titles only": titles_only, "no dates/outlets": content_only,
          "bare titles": bare_titles, "summaries only": summaries_only}
# The shapes that keep one field alone (with its translation): a corpus without it has nothing left to group there.
KEEPS_ONLY = {"titles only": "title", "bare titles": "title", "summaries only": "text"}
# Shapes measured in a table of their own, not in every table and fit as SHAPES are.
FEED_ITEM = "title and summary"
HEADLINE_IN_BODY = "headline in the body"
SITE_NAMES = ("site names in titles", "site-named titles only")
BOILERPLATE = ("footers", "headers", "paywalled")
SOURCES_CITED = "sources cited"
ONE_LANGUAGE_GIVEN = "'en' given for every row"
MOJIBAKE = "mojibake"
PLACEHOLDER_DATES = "placeholder dates"
ARTICLE_COPIES = ("copies", "updated copies")
CRAWL_DATES = ("crawl dates", "one outlet in three crawl-dated", "back catalogues fetched on one day")
EVERY_SHAPE = SHAPES | {FEED_ITEM: title_and_summary, HEADLINE_IN_BODY: headline_in_body,
                        SITE_NAMES[0]: site_names, SITE_NAMES[1]: site_named_titles,
                        BOILERPLATE[0]: footers, BOILERPLATE[1]: headers, BOILERPLATE[2]: paywalled,
                        SOURCES_CITED: sources_cited,
                        ONE_LANGUAGE_GIVEN: one_language_given, MOJIBAKE: mojibake,
                        PLACEHOLDER_DATES: placeholder_dates,
                        ARTICLE_COPIES[0]: copies, ARTICLE_COPIES[1]: updated_copies,
                        CRAWL_DATES[0]: crawl_dates, CRAWL_DATES[1]: partial(crawl_dates, outlet_share=1 / 3),
                        CRAWL_DATES[2]: back_catalogues}


def inapplicable(shape: str, articles: pd.DataFrame) -> str | None:
    """Why `shape` leaves `articles` nothing to group (one-line texts have no title to keep), or None."""
    field = KEEPS_ONLY.get(shape)
    if field is None or articles[[field, f"{field}_en"]].map(present).to_numpy().any():
        return None
    return f"no article has a {field}"
