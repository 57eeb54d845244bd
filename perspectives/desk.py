"""The editor's desk as a Python API: front page, coverage by country, blindspots and search over a store.

The app's views call these functions; analysts can call them on the same store.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from perspectives.embed import Embedder, as_embedder, embed_articles
from perspectives.framing import FramingAnalyser, StoryAnalysis
from perspectives.store import Store, among

GROUPINGS = ("country", "region", "ownership")


@lru_cache(maxsize=1)
def countries() -> pd.DataFrame:
    """The country table shipped with the package (`countries.csv`, see `countries.NOTICE`), indexed by ISO alpha-2
    code: ISO3, name, region (UN M49) and continent."""
    # keep_default_na=False: Namibia's code is "NA".
    with resources.files("perspectives").joinpath("countries.csv").open(encoding="utf-8") as table:
        return pd.read_csv(table, dtype=str, keep_default_na=False).set_index("ISO2")


def country_info(code: str | None, field: str) -> str | None:
    """ISO3 / name / region / continent of an ISO alpha-2 code."""
    table = countries()
    return table.at[code, field] if code in table.index else None


# An SQL condition on articles: a member of the story `:story`.
IN_STORY = "id IN (SELECT article_id FROM story_members WHERE story_id = :story)"

# What the app shows first, and what `Desk.latest` reads: the stories of the store's last two days.
LATEST_HOURS = 48.0


def iso(moment) -> str:
    """A date or time (UTC unless it says otherwise) as the store writes publication times."""
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def existing(db: str | Path) -> Path:
    """The path of a store that exists (a missing one is never created by reading it)."""
    if not Path(db).is_file():
        raise FileNotFoundError(f"no store at {db}: build one with `perspectives run FILE --db {db}`")
    return Path(db)


@dataclass
class Desk:
    """The articles of a period, their memberships and their stories, which the editor's views read.

    The views: `front_page`, `coverage`, `blindspots` and `search`; the app shows the same, for the period chosen
    (by default the store's last 48 hours, `Desk.latest`).

    Parameters
    ----------
    articles : DataFrame
        The articles (``ingest`` columns and ``extra``); read from a store, without their bodies (``text``,
        ``text_en``: `Store.articles` reads those for the few that need them).
    stories : DataFrame
        One row per story: ``story_id``, ``label``, ``keywords`` and counts.
    members : DataFrame
        ``article_id`` -> ``story_id``.
    db : Path, optional
        The store they were read from (`search` reads its full-text index and cached vectors).

    See Also
    --------
    perspectives.pipeline.group_stories : Its ``articles``, ``stories`` and ``members`` make a Desk without a store.

    Examples
    --------
    >>> from perspectives.embed import HashedWords  # no model to load: words, not meanings
    >>> from perspectives.ingest.examples import example_corpus
    >>> corpus = example_corpus()  # five articles on two events, as CSV in a new folder; `event` names each one's
    >>> from perspectives import cluster, ingest
    >>> db = corpus.with_name("news.db")
    >>> _ = ingest(corpus, db=db, rejects=None)
    >>> _ = cluster(db=db, embedder=HashedWords())
    >>> desk = Desk.from_store(db)  # the whole store; Desk.latest(db): its last 48 hours
    >>> page = front_page(desk)  # the widest spread first
    >>> page[["label", "countries", "n_outlets"]]
                                  label     countries  n_outlets
    0  Quake topples buildings in Izmir  [FR, SE, US]          3
    1    Central bank lifts rates to 5%      [FR, US]          2
    >>> coverage(desk, page["story_id"][0])[["country", "articles", "iso3"]]
      country  articles iso3
    0      FR         1  FRA
    1      SE         1  SWE
    2      US         1  USA
    >>> blindspots(desk, by="country", min_story_outlets=2, min_group_outlets=1)[["label", "missing"]]
                                label missing
    0  Central bank lifts rates to 5%    [SE]
    >>> search(desk, "Izmir rescue", embedder=HashedWords())[["label", "match", "hits"]]
                                  label    match  hits
    0  Quake topples buildings in Izmir  meaning     3
    """

    articles: pd.DataFrame
    stories: pd.DataFrame
    members: pd.DataFrame
    db: Path | None = None  # the store they were read from (search reads its index and cached vectors)

    @classmethod
    def from_store(cls, db: str | Path, start=None, end=None) -> Desk:
        """The articles published in a period, with their stories, from a store that `perspectives run` (or
        `cluster`) wrote.

        Parameters
        ----------
        db : str or Path
            The store.
        start, end : date, time or str, optional
            From `start` (inclusive) to `end` (exclusive), UTC unless they say otherwise. Left out, the period is
            open on that side: by default the whole store, the only period with undated articles.

        Raises
        ------
        FileNotFoundError
            No store at `db`.
        """
        bounds = {"start": iso(start) if start is not None else None, "end": iso(end) if end is not None else None}
        where = " AND ".join(f"published_at {op} :{name}" for name, op in [("start", ">="), ("end", "<")]
                             if bounds[name] is not None)
        return cls._read(existing(db), where, {k: v for k, v in bounds.items() if v is not None})

    @classmethod
    def latest(cls, db: str | Path, hours: float = LATEST_HOURS) -> Desk:
        """The store's last `hours`: the articles published since `hours` before its newest one (what the app
        shows first)."""
        with Store(existing(db)) as store:
            newest = store.published_span()[1]
        return cls.from_store(db, start=pd.Timestamp(newest) - pd.Timedelta(hours=hours) if newest else None)

    @classmethod
    def around_story(cls, db: str | Path, story_id: str, days: float = 1.0) -> Desk:
        """One story's articles and every article published around it: the outlets that could have covered it
        (what a story page's blindspots and coverage read).

        Parameters
        ----------
        db : str or Path
            The store.
        story_id : str
            The story.
        days : float
            From this many days before its first article to this many after its last.
        """
        with Store(existing(db)) as store:
            first, last = store.published_span(story_id)
        where, params = IN_STORY, {"story": story_id}
        if first is not None:
            span = pd.Timedelta(days=days)
            where += " OR published_at BETWEEN :first AND :last"
            params |= {"first": iso(pd.Timestamp(first) - span), "last": iso(pd.Timestamp(last) + span)}
        return cls._read(Path(db), where, params)

    @classmethod
    def _read(cls, db: Path, where: str, params: dict) -> Desk:
        """The articles matching `where` (all without it), their memberships and stories, through SQL."""
        with Store(db) as store:
            if not where:
                return cls(store.articles(texts=False), store.stories(), store.members(), db)
            chosen = f"SELECT id FROM articles WHERE {where}"
            members = store.members(f"article_id IN ({chosen})", params)
            stories = store.stories(f"story_id IN (SELECT story_id FROM story_members WHERE article_id IN ({chosen}))",
                                    params)
            return cls(store.articles(where, params, texts=False), stories, members, db)

    def outlets(self) -> pd.DataFrame:
        """One row per outlet: country, region, language, ownership (from an `ownership` field when present)."""
        ownership = self.articles["extra"].map(lambda e: e.get("ownership"))
        table = (self.articles.assign(ownership=ownership).sort_values("published_at")
                 .drop_duplicates("outlet")[["outlet", "country", "language", "ownership"]])
        return table.assign(region=table["country"].map(lambda c: country_info(c, "region"))).reset_index(drop=True)

    def tagged_articles(self) -> pd.DataFrame:
        """Articles with their story id, region and ownership."""
        outlets = self.outlets().set_index("outlet")
        joined = self.articles.merge(self.members, left_on="id", right_on="article_id")
        return joined.assign(region=joined["outlet"].map(outlets["region"]),
                             ownership=joined["outlet"].map(outlets["ownership"]))

    def story_articles(self, story_id: str) -> pd.DataFrame:
        """The articles of one story held here, in time order, with their wire group."""
        members = self.members[self.members["story_id"] == story_id]
        return (self.articles.merge(members, left_on="id", right_on="article_id")
                .sort_values(["published_at", "id"]).reset_index(drop=True))


def analyse_story(db: str | Path, story_id: str, analyser: FramingAnalyser) -> StoryAnalysis:
    """One story's framing, reading from the store only what it depends on.

    Parameters
    ----------
    db : str or Path
        The store.
    story_id : str
        A story covered by two or more outlets.
    analyser : FramingAnalyser
        Reads the story's articles and those of its wording prior: the whole days of its ``prior_days`` around it
        (the whole store when that is None).

    Returns
    -------
    StoryAnalysis
        The same tables as ``analyser.analyse_story`` over the whole store.
    """
    with Store(existing(db)) as store:
        first, last = store.published_span(story_id)
        where, params = IN_STORY, {"story": story_id}
        if analyser.prior_days is None:
            where, params = "", {}
        elif first is not None:  # whole days, as `FramingAnalyser` counts them
            days = pd.Timedelta(days=np.floor(analyser.prior_days))
            where += " OR (published_at >= :first AND published_at < :stop)"
            params |= {"first": iso(pd.Timestamp(first).floor("D") - days),
                       "stop": iso(pd.Timestamp(last).floor("D") + days + pd.Timedelta(days=1))}
        articles = store.articles(where, params)
        members = store.members("story_id = :story", {"story": story_id})
    return analyser.analyse_story(articles, members, story_id)


def front_page(desk: Desk, start=None, end=None, countries=(), regions=(), languages=(), outlets=(), ownership=(),
               growth_hours: float = 6.0, min_outlets: int = 1) -> pd.DataFrame:
    """Stories ranked by spread: countries, then outlets, then recent articles.

    Recent articles are those of the last `growth_hours` hours before the newest article shown; each story comes
    with its hourly counts, for a sparkline.

    The date range limits which articles are counted; the other filters keep the stories that at least one
    matching article covers (a story covered in India, with its whole spread).

    Parameters
    ----------
    desk : Desk
        The articles and stories.
    start, end : date, optional
        The first and last publication day counted.
    countries, regions, languages, outlets, ownership : collection of str
        Keep the stories that an article from one of these covers (ISO codes for countries and languages, UN
        regions); empty: all.
    growth_hours : float
        The span of the ``growth`` count.
    min_outlets : int
        Leave out stories covered by fewer outlets.

    Returns
    -------
    DataFrame
        One row per story: ``story_id, label, keywords, countries, n_countries, n_outlets, n_articles, growth,
        first_seen, coverage`` (articles per hour).

    See Also
    --------
    Desk : An example.
    """
    articles = desk.tagged_articles()
    stamp = pd.to_datetime(articles["published_at"], utc=True, errors="coerce")
    in_range = pd.Series(True, index=articles.index)
    if start is not None:
        in_range &= stamp.dt.date >= start
    if end is not None:
        in_range &= stamp.dt.date <= end
    matching = in_range.copy()
    for column, wanted in [("country", countries), ("region", regions), ("language", languages),
                           ("outlet", outlets), ("ownership", ownership)]:
        if wanted:
            matching &= articles[column].isin(set(wanted))
    chosen = set(articles.loc[matching, "story_id"])
    keep = in_range & articles["story_id"].isin(chosen)
    shown, stamp = articles[keep], stamp[keep]
    if shown.empty:
        return pd.DataFrame(columns=["story_id", "label", "keywords", "countries", "n_countries", "n_outlets",
                                     "n_articles", "growth", "first_seen", "coverage"])
    newest = stamp.max()
    rows = []
    for story_id, group in shown.groupby("story_id"):
        times = stamp[group.index]
        hourly = times.dt.floor("h").value_counts().sort_index()
        span = pd.date_range(hourly.index.min(), hourly.index.max(), freq="h") if len(hourly) else []
        rows.append({
            "story_id": story_id,
            "countries": sorted(group["country"].dropna().unique()),
            "n_countries": group["country"].nunique(), "n_outlets": group["outlet"].nunique(),
            "n_articles": len(group),
            "growth": int((times >= newest - pd.Timedelta(hours=growth_hours)).sum()),
            "first_seen": times.min().strftime("%Y-%m-%d %H:%M") if times.notna().any() else None,
            "coverage": hourly.reindex(span, fill_value=0).tolist() if len(hourly) else [],
        })
    ranked = pd.DataFrame(rows).merge(desk.stories[["story_id", "label", "keywords"]], on="story_id")
    ranked = ranked[ranked["n_outlets"] >= min_outlets]
    order = ["n_countries", "n_outlets", "growth", "n_articles"]
    return ranked.sort_values(order + ["story_id"], ascending=[False] * 4 + [True]).reset_index(drop=True)[
        ["story_id", "label", "keywords", "countries", "n_countries", "n_outlets", "n_articles", "growth",
         "first_seen", "coverage"]]


def coverage(desk: Desk, story_id: str) -> pd.DataFrame:
    """Per country: how many articles and which outlets covered the story, with ISO3 codes for a map.

    Parameters
    ----------
    desk : Desk
        The articles and stories.
    story_id : str
        The story.

    Returns
    -------
    DataFrame
        One row per country: ``country, articles, outlets, iso3, name``.

    See Also
    --------
    Desk : An example.
    """
    story = desk.tagged_articles()
    story = story[story["story_id"] == story_id]
    table = story.groupby("country").agg(articles=("id", "size"), outlets=("outlet", lambda o: sorted(set(o))))
    table = table.reset_index()
    return table.assign(iso3=table["country"].map(lambda c: country_info(c, "ISO3")),
                        name=table["country"].map(lambda c: country_info(c, "name")))


def blindspots(desk: Desk, by: str = "region", min_story_outlets: int = 5, min_group_outlets: int = 2,
               min_covering_share: float = 0.0, story_ids=None) -> pd.DataFrame:
    """Stories covered widely but by no outlet of some group (among `story_ids` when given).

    A group (a country, region or ownership type, `by`) is a blindspot of a story when the desk's articles come
    from at least `min_group_outlets` outlets in it and none of them covered the story, while the story has at
    least `min_story_outlets` outlets overall.

    Parameters
    ----------
    desk : Desk
        The articles and stories.
    by : {"country", "region", "ownership"}
    min_story_outlets, min_group_outlets : int
        See above.
    min_covering_share : float
        Leave out stories covered by fewer than this share of the watched groups.
    story_ids : collection of str, optional
        Only these stories (the groups watched are still those of all the desk's articles).

    Returns
    -------
    DataFrame
        One row per story with a blindspot, the most outlets first: ``story_id, n_outlets, covered_by`` (outlets
        per covering group), ``missing`` (the groups), ``summary`` (a sentence), ``label``.

    Raises
    ------
    ValueError
        `by` is none of the groupings.

    See Also
    --------
    Desk : An example.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")
    outlets = desk.outlets().dropna(subset=[by])
    outlets_per_group = outlets.groupby(by)["outlet"].nunique()
    watched = outlets_per_group[outlets_per_group >= min_group_outlets]
    articles = desk.tagged_articles()
    if story_ids is not None:
        articles = articles[articles["story_id"].isin(set(story_ids))]
    rows = []
    for story_id, story in articles.groupby("story_id"):
        if story["outlet"].nunique() < min_story_outlets:
            continue
        covering = story.dropna(subset=[by]).groupby(by)["outlet"].nunique()
        missing = [g for g in watched.index if g not in covering.index]
        if not missing or len(covering) / max(len(watched), 1) < min_covering_share:
            continue
        top = covering.sort_values(ascending=False)
        covered_text = ", ".join(f"{n} in {g}" for g, n in top.items())
        missing_text = ", ".join(f"{g} ({watched[g]} outlets watched)" for g in missing)
        rows.append({"story_id": story_id, "n_outlets": story["outlet"].nunique(), "covered_by": dict(top),
                     "missing": missing,
                     "summary": f"covered by {story['outlet'].nunique()} outlets ({covered_text}); "
                                f"no outlet from {missing_text}"})
    table = pd.DataFrame(rows, columns=["story_id", "n_outlets", "covered_by", "missing", "summary"])
    table = table.merge(desk.stories[["story_id", "label"]], on="story_id", how="left")
    return table.sort_values(["n_outlets", "story_id"], ascending=[False, True]).reset_index(drop=True)


def search(desk: Desk, query: str, embedder: Embedder | None = None, store: Store | None = None,
           k: int = 20, min_similarity: float = 0.3) -> pd.DataFrame:
    """The desk's articles matching `query` by meaning (cosine of embeddings: the `k` closest above
    `min_similarity`) or holding its words as a phrase (the store's full-text index), grouped by story.

    Parameters
    ----------
    desk : Desk
        The articles and stories.
    query : str
        Words, matched by meaning and as a phrase (case, accents and punctuation aside).
    embedder : Embedder or encoder, optional
        Embeds the articles and the query; default the packaged model.
    store : Store, optional
        The desk's store (default: opened from ``desk.db``; a desk made without a store is indexed in memory):
        its full-text index, and its cached vectors (those `cluster` stored with the same model are read, not
        embedded).
    k : int
        At most this many articles match by meaning.
    min_similarity : float
        The smallest cosine that matches by meaning.

    Returns
    -------
    DataFrame
        One row per story, best first: ``story_id, label, score`` (the best cosine), ``match`` (meaning, keyword
        or both), ``hits`` and ``titles`` (of the matching articles).

    See Also
    --------
    Desk : An example.
    """
    if not query.strip() or desk.articles.empty:
        return pd.DataFrame(columns=["story_id", "label", "score", "match", "hits", "titles"])
    if store is None:
        with Store(desk.db) if desk.db is not None else _scratch(desk.articles) as opened:
            return search(desk, query, embedder, opened, k, min_similarity)
    encoder = as_embedder(embedder)
    articles = desk.articles.reset_index(drop=True)
    scores = _vectors(articles, encoder, store) @ encoder.encode([query], progress=False)[0]
    keyword = articles["id"].isin(set(store.search(query, *among(articles["id"])))).to_numpy()
    semantic = scores >= min_similarity
    in_top = np.zeros(len(articles), dtype=bool)
    in_top[np.argsort(-scores)[:k]] = True
    hit = keyword | (semantic & in_top)
    found = articles[hit].assign(score=scores[hit], keyword=keyword[hit], semantic=semantic[hit])
    found = found.merge(desk.members, left_on="id", right_on="article_id")
    rows = []
    for story_id, group in found.groupby("story_id"):
        how = {"keyword" if k and not s else "meaning" if s and not k else "both"
               for k, s in zip(group["keyword"], group["semantic"])}
        rows.append({"story_id": story_id, "score": round(float(group["score"].max()), 4),
                     "match": ", ".join(sorted(how)), "hits": len(group),
                     "titles": list(group.sort_values("score", ascending=False)["title"])})
    table = pd.DataFrame(rows, columns=["story_id", "score", "match", "hits", "titles"])
    table = table.merge(desk.stories[["story_id", "label"]], on="story_id", how="left")
    return table.sort_values(["score", "story_id"], ascending=[False, True]).reset_index(drop=True)[
        ["story_id", "label", "score", "match", "hits", "titles"]]


def _scratch(articles: pd.DataFrame) -> Store:
    """A store in memory holding these articles (with their bodies), for a desk made without one."""
    store = Store(":memory:")
    store.upsert_articles(articles)
    return store


def _vectors(articles: pd.DataFrame, encoder, store: Store) -> np.ndarray:
    """The articles' vectors in row order: those the store has cached for this model, the others embedded from
    their texts (and cached)."""
    cached = store.article_vectors(encoder.name, *among(articles["id"]))
    missing = [i for i in articles["id"] if i not in cached]
    if missing:
        fresh = store.articles(*among(missing))
        cached |= dict(zip(fresh["id"], embed_articles(fresh, encoder, store, progress=False)[0]))
    return np.vstack([cached[i] for i in articles["id"]])
