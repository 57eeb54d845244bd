"""Incremental grouping: which stored articles a new batch can affect.

An article is compared only with the articles placed within the time window of it: a dated article is placed at
its publication time, an undated one at that of the dated article most like it (`StoryClusterer.placed_by_`, which
the store keeps as `placed_at`, with their cosine as `place_similarity`). Two undated articles are compared whatever
their places, but no neighbour list is longer than `MAX_NEIGHBOURS`. So new or changed articles affect the articles
placed within the window of their own places; the undated articles among a new undated one's `MAX_NEIGHBOURS` most
similar; the undated articles a new dated one is more like than the article that placed them (their place moves to
it); and every article of the stories those are in. Everything else keeps its story untouched. `regroup_spans` and
`touched_undated` give that scope; `Store.regroup_window` reads it from the store in SQL, and `regroup_scope` is
its in-memory twin (the same rule on a frame).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from perspectives.stories.clusterer import MAX_NEIGHBOURS
from perspectives.stories.neighbours import day_numbers, nearest, unit_rows

# The fewest articles a regroup holds. The grouping reads its corpus's statistics (each language's mean vector, word
# weights, what unrelated articles score, the story size) from what it groups: three reports of one event, alone in
# their window, read as unrelated and stayed apart (benchmarks/GROUPING.md, "Day by day").
MIN_REGROUP = 50
# Batch articles compared at a time where each is compared with stored or other batch articles (bounds the memory
# of a large batch, such as a backfill, to a block's products).
_NEW_BLOCK = 1024


@dataclass(frozen=True)
class RegroupScope:
    """What a batch touches: the `spans` of time (ISO, first and last, apart and in order) whose placed articles
    it can join, and the ids of the articles it touches wherever they are placed (the batch itself, and the
    stored undated articles of `touched_undated`)."""

    spans: list[tuple[str, str]]
    ids: list[str]


def regroup_spans(places: np.ndarray, window: float | None, grouped: bool) -> list[tuple[str, str]] | None:
    """The spans of publication time (ISO, first and last, merged where they overlap) within the window of
    `places` (days since 1970); None when everything must be regrouped: nothing `grouped` yet, dates ignored
    (`window` None) or a place unknown (nothing dated to place an undated article by)."""
    if not grouped or window is None or np.isnan(places).any():
        return None
    spans: list[list[float]] = []
    for day in np.sort(places):
        if spans and day - window <= spans[-1][1]:
            spans[-1][1] = day + window
        else:
            spans.append([day - window, day + window])
    return [(iso_day(first), iso_day(last)) for first, last in spans]


def widened_spans(places: np.ndarray, window: float | None, grouped: bool,
                  size: Callable[[list[tuple[str, str]]], int], everything: int,
                  span: float) -> list[tuple[str, str]] | None:
    """`regroup_spans` of `places`, the window doubled while what the spans select (`size`: articles) holds fewer
    than `MIN_REGROUP`; None (everything) where `regroup_spans` says so, or where that takes every article of the
    store (`everything`, published over `span` days)."""
    spans = regroup_spans(places, window, grouped)
    while spans is not None and window is not None:
        selected = size(spans)
        if selected >= everything or (selected < MIN_REGROUP and window > span):
            return None
        if selected >= MIN_REGROUP:
            return spans
        window *= 2
        spans = regroup_spans(places, window, grouped)
    return None


def iso_day(day: float) -> str:
    return pd.Timestamp(round(day * 86400.0), unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def best_matches(queries: np.ndarray, chunks: Iterable[tuple[np.ndarray, np.ndarray]],
                 k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of the `queries` (unit rows), its `k` most similar candidates over all `chunks` (each: the
    candidates' labels and unit rows), read a chunk at a time: (labels, similarities), each (queries, k), best
    first; padded with NaN similarities where fewer candidates exist."""
    best_labels = np.full((len(queries), 0), np.nan, dtype=object)
    best_similarity = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    for labels, vectors in chunks:
        rows, cols, similarity = nearest(queries, vectors, None, np.zeros(len(queries)), np.zeros(len(vectors)),
                                         None, k)
        found_labels = np.full((len(queries), min(k, len(vectors))), np.nan, dtype=object)
        found_similarity = np.full(found_labels.shape, -np.inf, dtype=np.float32)
        slot = np.arange(len(rows)) - np.searchsorted(rows, rows)  # rows come grouped, `k` each
        found_labels[rows, slot], found_similarity[rows, slot] = np.asarray(labels, dtype=object)[cols], similarity
        best_labels = np.hstack([best_labels, found_labels])
        best_similarity = np.hstack([best_similarity, found_similarity])
        order = np.argsort(-best_similarity, axis=1, kind="stable")[:, :k]
        best_labels = np.take_along_axis(best_labels, order, axis=1)
        best_similarity = np.take_along_axis(best_similarity, order, axis=1)
    return best_labels, np.where(np.isfinite(best_similarity), best_similarity, np.nan)


def places(published_at: pd.Series, undated_vectors: np.ndarray | None,
           dated: Iterable[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Each article's place (days since 1970): its publication time, or where it has none, that of the article
    most like it among the `dated` chunks (each: publication days, unit rows), as `StoryClusterer` places it; NaN
    where nothing is dated, or where `undated_vectors` (the undated articles' unit rows, in their order) are None."""
    days = day_numbers(published_at, len(published_at)).copy()
    undated = np.isnan(days)
    if undated.any() and undated_vectors is not None:
        labels, _ = best_matches(undated_vectors, dated, k=1)
        days[undated] = labels[:, 0].astype(float) if labels.shape[1] else np.nan
    return days


def touched_undated(new_undated: np.ndarray, new_dated: np.ndarray,
                    stored: list[tuple[pd.DataFrame, np.ndarray]]) -> list[str]:
    """The ids of the `stored` undated articles (chunks of their `id, place_similarity` and unit rows; the batch's
    own aside) that a batch touches wherever they are placed: those among the `MAX_NEIGHBOURS` most similar of one
    of its undated articles (`new_undated`: unit rows), as no neighbour list reaches further; and those one of its
    dated articles (`new_dated`: unit rows) is more like than the article that placed them."""
    labels, _ = best_matches(new_undated, ((chunk["id"].to_numpy(), rows) for chunk, rows in stored), MAX_NEIGHBOURS)
    touched = {label for label in labels.ravel() if isinstance(label, str)}
    for chunk, rows in stored if len(new_dated) else []:
        closer = (rows @ new_dated.T).max(axis=1) > chunk["place_similarity"].to_numpy(dtype=float)
        touched.update(chunk["id"][closer])
    return sorted(touched)


def _nearest_within(days: np.ndarray, unit: np.ndarray, window: float) -> np.ndarray:
    """Each row's highest cosine with another row at most `window` days from it (-inf where none; `unit`: unit
    rows), read by day a block at a time against the rows within the window of its days: a batch of a backfill's
    size is never compared whole with itself."""
    order = np.argsort(days, kind="stable")
    by_day = days[order]
    nearest = np.full(len(days), -np.inf, dtype=np.float32)
    for start in range(0, len(days), _NEW_BLOCK):
        rows = order[start:start + _NEW_BLOCK]
        cols = order[np.searchsorted(by_day, by_day[start] - window):
                     np.searchsorted(by_day, by_day[min(start + _NEW_BLOCK, len(days)) - 1] + window, side="right")]
        near = (np.abs(days[rows, None] - days[None, cols]) <= window) & (rows[:, None] != cols[None, :])
        nearest[rows] = np.where(near, unit[rows] @ unit[cols].T, -np.inf).max(axis=1, initial=-np.inf)
    return nearest


def followed_up(new_days: np.ndarray, new_dated: np.ndarray, stored: Iterable[tuple[pd.DataFrame, np.ndarray]],
                window: float, reach: float, share: float) -> list[str]:
    """The ids of the `stored` dated articles (chunks of their `id, published_at` and unit rows; the batch's own
    aside) that a batch's dated articles (`new_days`, days since 1970, and unit rows `new_dated`) may follow up or
    be followed up by: each one's most similar stored article within `reach` days, where that lies beyond the
    `window` (which kept the two from being compared; `StoryClusterer.follow_up_days` joins such stories) and is at
    least `share` as like it as its most similar article within the window, stored or of the batch: a new event's
    closest article weeks away is most often of another."""
    nearest = _nearest_within(new_days, new_dated, window)
    far = np.full(len(new_days), -np.inf, dtype=np.float32)
    far_id = np.full(len(new_days), None, dtype=object)
    for chunk, rows in stored if len(new_days) else []:
        chunk_days, chunk_ids = day_numbers(chunk["published_at"], len(chunk)), chunk["id"].to_numpy()
        for start in range(0, len(new_days), _NEW_BLOCK):
            block = slice(start, start + _NEW_BLOCK)
            gap = np.abs(new_days[block, None] - chunk_days[None, :])
            similarity = new_dated[block] @ rows.T
            nearest[block] = np.maximum(nearest[block],
                                        np.where(gap <= window, similarity, -np.inf).max(axis=1, initial=-np.inf))
            beyond = np.where((gap > window) & (gap <= reach), similarity, -np.inf)
            found = beyond.argmax(axis=1)
            value = beyond[np.arange(len(found)), found]
            better = value > far[block]
            far[block][better], far_id[block][better] = value[better], chunk_ids[found[better]]
    reached = np.isfinite(far) & (far >= share * np.maximum(nearest, 0.0))
    return sorted(far_id[reached])


def regroup_scope(articles: pd.DataFrame, changed: np.ndarray, previous: pd.DataFrame, window: float | None,
                  vectors: np.ndarray | None = None, dates_set_aside: Collection[str] = (),
                  reach: float | None = None, share: float = 0.7, joinable: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of `articles` (`id`, `published_at` as the store keeps it: ISO text; `vectors` their
    embeddings, needed where an article is undated) to regroup, as `Store.regroup_window` selects them: those
    published or placed within the window of the `changed` ones' places (`widened_spans`), the undated ones the
    changed ones touch (`touched_undated`), the changed ones, and every article of the stories those are in
    (`previous`: the last grouping's `article_id, story_id` and, for articles grouped as undated, `placed_at,
    place_similarity`). The changed articles of the outlets `dates_set_aside` (`articles` then needs `outlet`) count
    as undated, and those outlets' articles place none, as `pipeline.stored_scope` counts them. Given `reach`, the
    stories of the stored dated articles the changed dated ones may follow up (`followed_up`, at `share`) too, of
    the `joinable` articles only (a join across time reads: with a body, in a language the model reads; default all),
    as `pipeline.stored_follow_ups` looks. Everything when `widened_spans` says so; nothing when nothing changed."""
    changed = np.asarray(changed, dtype=bool)
    if not changed.any():
        return changed
    stamps = articles["published_at"].reset_index(drop=True)
    placing = previous.set_index("article_id").reindex(articles["id"])
    placed_at = pd.Series(placing["placed_at"].to_numpy() if "placed_at" in placing else [None] * len(stamps),
                          dtype=object)
    dated = stamps.notna().to_numpy()
    read_as_dated = dated & ~articles["outlet"].isin(dates_set_aside).to_numpy() if len(dates_set_aside) else dated
    undated = ~read_as_dated
    placers = read_as_dated & placed_at.isna().to_numpy()
    unit = None if vectors is None else unit_rows(vectors)
    dated_chunks = [] if unit is None else [(day_numbers(stamps[placers], int(placers.sum())), unit[placers])]
    new_places = places(stamps.where(read_as_dated)[changed].reset_index(drop=True),
                        None if unit is None else unit[changed & undated], dated_chunks)
    reached = changed | (~dated & placed_at.isna().to_numpy())
    stored = ~changed & placed_at.notna().to_numpy()
    if unit is not None and stored.any():
        chunk = pd.DataFrame({"id": articles["id"].to_numpy()[stored],
                              "place_similarity": placing["place_similarity"].to_numpy(dtype=float)[stored]})
        reached |= articles["id"].isin(touched_undated(unit[changed & undated], unit[changed & ~undated],
                                                       [(chunk, unit[stored])])).to_numpy()
    joinable = np.ones(len(articles), dtype=bool) if joinable is None else np.asarray(joinable, dtype=bool)
    grouped_dated = read_as_dated & ~changed & articles["id"].isin(previous["article_id"]).to_numpy() & \
        placed_at.isna().to_numpy() & joinable
    if unit is not None and reach is not None and window is not None and grouped_dated.any():
        new_dated = changed & read_as_dated & joinable
        reached |= articles["id"].isin(followed_up(
            day_numbers(stamps[new_dated], int(new_dated.sum())), unit[new_dated],
            [(articles.loc[grouped_dated, ["id", "published_at"]], unit[grouped_dated])], window, reach,
            share)).to_numpy()
    story_of = articles["id"].map(previous.set_index("article_id")["story_id"]).reset_index(drop=True)

    def selected(spans: list[tuple[str, str]]) -> np.ndarray:
        near = reached.copy()
        for first, last in spans:
            near |= (stamps.between(first, last) | placed_at.between(first, last)).to_numpy()
        return near | story_of.isin(story_of[near].dropna().unique()).to_numpy()

    days = day_numbers(stamps, len(stamps))
    spans = widened_spans(new_places, window, not previous.empty, lambda spans: int(selected(spans).sum()),
                          len(articles), np.nanmax(days) - np.nanmin(days) if dated.any() else 0.0)
    return np.ones(len(articles), dtype=bool) if spans is None else selected(spans)
