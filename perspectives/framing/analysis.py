"""One story's framing, all analyses together: takes, claims, wording, sources, tone, frames, actors, timeline."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from perspectives.distributed import fork_map
from perspectives.embed import Embedder, as_embedder, embed_texts
from perspectives.framing.actors import actor_statements, find_actors
from perspectives.framing.claims import CLAIM_COLUMNS, ClaimMatcher, min_score_for, similarity_for
from perspectives.framing.fightin_words import FightinWords, TermCounts
from perspectives.framing.frames import FRAME_COLUMNS, FrameScorer
from perspectives.framing.registry import ANALYSES, TABLES, Analysis, Story, register
from perspectives.framing.sentences import CUT_COLUMNS, split_story
from perspectives.framing.sources import SOURCE_COLUMNS, source_rows
from perspectives.framing.takes import TAKE_COLUMNS, TERM_COLUMNS, corpus_counts, multi_outlet_stories, story_takes
from perspectives.framing.target_tone import TargetTone
from perspectives.framing.timeline import TIMELINE_COLUMNS, timeline_rows
from perspectives.framing.tone import (
    MARGIN,
    TONE_COLUMNS,
    VADER_ACTOR_METHOD,
    WHOLE_ARTICLE,
    actor_mentions,
    tone_rows,
    toward_actors,
)
from perspectives.stories.neighbours import day_numbers
from perspectives.text import without_nan

register(Analysis("takes", TAKE_COLUMNS, lambda story: story.takes_and_terms[0], tab="Alternative Takes"))
register(Analysis("claims", CLAIM_COLUMNS, lambda story: story.matcher.table_rows(), tab="Claims"))
register(Analysis("terms", TERM_COLUMNS, lambda story: story.takes_and_terms[1], tab="Wording"))
register(Analysis("sources", SOURCE_COLUMNS, lambda story: source_rows(story.sentences), tab="Sources"))
register(Analysis("tone", TONE_COLUMNS, lambda story: tone_rows(story.sentences, story.actors, story.toward,
                                                                story.analyser.tone_method(),
                                                                story.analyser.tone_margin), tab="Tone"))
register(Analysis("frames", FRAME_COLUMNS, lambda story: story.analyser.frames.rows(story.sentences, story.vectors),
                  tab="Frames"))
register(Analysis("timeline", TIMELINE_COLUMNS, lambda story: timeline_rows(story.articles, story.story_id),
                  tab="Timeline"))
register(Analysis("cuts", CUT_COLUMNS, lambda story: story.cuts))


@cache
def code_digest() -> str:
    """A hash of the framing code and the data it loads (perspectives/framing/**/*.py, *.json, *.npz such as the
    tone heads, and perspectives/text.py, which splits and cleans its text), read once per process: changed
    analyses change it."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*here.rglob("*.py"), *here.rglob("*.json"), *here.rglob("*.npz"), here.parent / "text.py"]):
        digest.update(f"{path.relative_to(here.parent)}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class StoryAnalysis:
    """Tidy tables for one story, one per registered analysis (`analysis.claims`, `analysis.tone`, ... or
    `analysis.tables[name]`); every finding row carries its evidence sentence."""

    story_id: str
    tables: dict[str, pd.DataFrame]
    actors: list[str] = field(default_factory=list)
    sentences: pd.DataFrame | None = None
    claim_matrix: pd.DataFrame | None = None  # claims x outlets: sentences per outlet stating each claim

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(f"{type(self).__name__} has no attribute or table {name!r}")

    def actor_perspective(self, actor: str) -> pd.DataFrame:
        """Per outlet: what it says `actor` said or did, beside the outlet's mean tone toward the actor."""
        statements = actor_statements(self.sentences, self.sources, actor)
        tone = (self.tone[self.tone["actor"] == actor].groupby("outlet")["tone"].mean().round(4)
                .rename("tone_toward_actor"))
        return statements.merge(tone, left_on="outlet", right_index=True, how="left")

    def per_country(self) -> dict[str, pd.DataFrame]:
        """The outlet-level findings aggregated per country: claim kinds and source kinds counted, tone and frame
        shares averaged over the country's outlets."""
        if self.sentences is None:
            raise ValueError("per_country needs the story's sentences (an `analyse_story` result)")
        country = self.sentences.drop_duplicates("outlet").set_index("outlet")["country"]

        def with_country(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.assign(country=frame["outlet"].map(country))

        shares = (self.frames.drop_duplicates(["outlet", "frame"])
                  .pivot(index="outlet", columns="frame", values="score").reindex(country.index).fillna(0.0))
        return {
            "claims": with_country(self.claims).groupby(["country", "kind"]).size().unstack(fill_value=0),
            "sources": with_country(self.sources).groupby(["country", "kind"]).size().unstack(fill_value=0),
            "tone": with_country(self.tone).groupby(["country", "actor"])["tone"].mean().round(4).unstack(),
            "frames": shares.groupby(country).mean().round(4),
        }


class FramingAnalyser:
    """Compare how the outlets that cover a story frame it: one tidy table per registered analysis.

    The analyses (``framing.registry.ANALYSES``): takes (each outlet's headline, lede and distinctive wording),
    claims (unique, omitted, consensus), terms, sources, tone, frames, timeline and cuts. Every finding row
    carries its evidence sentence. Each stage can be swapped through the constructor.

    Parameters
    ----------
    embedder : Embedder or encoder, optional
        Embeds the sentences compared (claims, frames, tone toward actors); any object with ``encode(texts)`` and
        ``name`` will do. Default the packaged model, on which the thresholds are calibrated.
    store : Store, optional
        Caches the sentences' vectors.
    claims : ClaimMatcher, optional
        Default: calibrated for the embedder's model.
    wording : FightinWords, optional
        Scores each outlet's distinctive terms.
    frames : FrameScorer, optional
        Default: zero-shot frames by similarity to their descriptions.
    n_terms : int
        Distinctive terms per outlet.
    actors : callable
        A story's sentences -> its actors' names; default `actors.find_actors`.
    prior_days : float or None
        Distinctive wording is scored against the articles published within this many days of the story's (None:
        the whole corpus), so a story's tables depend on its own weeks only and stay valid as the archive grows.
    n_jobs : int
        Processes for `analyse_stories` (-1: one per core); the results do not depend on it.
    target_tone : "shipped", TargetTone or None
        Tone toward actors: the head shipped for the embedder's model; None (or no head for it): VADER.
    tone_margin : float
        How far beyond 0 a tone interval must lie to be called positive or negative (see `framing.tone`).

    See Also
    --------
    perspectives.pipeline.report : These tables for every stored story, written as files.
    perspectives.framing.register : Add an analysis.

    Examples
    --------
    >>> from perspectives.embed import HashedWords  # no model to load: words, not meanings
    >>> from perspectives.ingest.examples import example_corpus
    >>> corpus = example_corpus()  # five articles on two events, as CSV in a new folder; `event` names each one's
    >>> from perspectives import group_stories, load_articles
    >>> grouping = group_stories(load_articles(corpus).articles, embedder=HashedWords())
    >>> quake = grouping.members.set_index("article_id")["story_id"]["q1"]
    >>> analysis = FramingAnalyser(embedder=HashedWords()).analyse_story(grouping.articles, grouping.members, quake)
    >>> analysis.takes[["outlet", "distinctive_terms"]]  # beside each outlet's headline and lede
         outlet                                  distinctive_terms
    0    Ledger      [buildings izmir, quake topples, hit, monday]
    1  Courrier    [izmir quake, dozens, injures, injured, monday]
    2    Posten  [rescuers, izmir rubble, search, night, searched]
    >>> sorted(analysis.tables)
    ['claims', 'cuts', 'frames', 'sources', 'takes', 'terms', 'timeline', 'tone']
    """

    def __init__(self, embedder: Embedder | None = None, store=None, claims: ClaimMatcher | None = None,
                 wording: FightinWords | None = None, frames: FrameScorer | None = None, n_terms: int = 8,
                 actors=find_actors, prior_days: float | None = 7.0, n_jobs: int = -1,
                 target_tone: TargetTone | None | str = "shipped", tone_margin: float = MARGIN):
        self.embedder = as_embedder(embedder)
        self.store = store
        self.claims = claims or ClaimMatcher(similarity=similarity_for(self.embedder.name),
                                             min_score=min_score_for(self.embedder.name))
        self.wording = wording or FightinWords()
        self.frames = frames or FrameScorer(self.embedder, store=store)
        self.n_terms = n_terms
        self.find_actors = actors
        self.prior_days = prior_days
        self.n_jobs = n_jobs
        if isinstance(target_tone, str):
            if target_tone != "shipped":
                raise ValueError(f"target_tone must be 'shipped', None or a TargetTone, not {target_tone!r}")
            self.target_tone = TargetTone.for_embedder(self.embedder)
        else:
            self.target_tone = target_tone
        self.tone_margin = tone_margin

    def settings(self) -> str:
        """Everything that shapes the results, as text (what a cache of results is keyed by)."""
        return (f"{self.embedder.name}|{self.claims.get_params()}|{self.wording.get_params()}|"
                f"{self.frames.min_similarity}|{self.frames.evidence}|{self.n_terms}|"
                f"{getattr(self.find_actors, '__qualname__', self.find_actors)}|{self.prior_days}"
                f"|{self.tone_method()}|{self.target_tone and self.target_tone.head.about}|{self.tone_margin}|"
                f"{','.join(analysis.signature() for analysis in ANALYSES.values())}")

    def story_keys(self, articles: pd.DataFrame, members: pd.DataFrame) -> dict[str, str]:
        """Per story with two or more outlets, a key that changes whenever its tables could: `OWN:PRIOR`, where OWN
        digests its members' contents and wire groups, these settings and the framing code, and PRIOR the articles
        of its wording prior (see `prior_days`), which only its takes and terms depend on (`wording_rows`).
        `articles` needs `id, outlet, published_at` and `row_hash`, the hash of all its fields that the store keeps
        (`store.row_hashes`), so no text is read."""
        row_hash = dict(zip(articles["id"], articles["row_hash"]))
        days = _days(articles)
        by_day = _day_digests(articles["id"], days, row_hash)
        joined = members.merge(articles[["id", "outlet"]].assign(day=days), left_on="article_id", right_on="id")
        multi = joined.groupby("story_id")["outlet"].nunique()
        joined = joined[joined["story_id"].isin(multi.index[multi >= 2])].sort_values(["story_id", "article_id"])
        # Plain arrays sliced per story: pandas indexing per story costs milliseconds, times thousands of stories.
        story_ids, starts = np.unique(joined["story_id"].to_numpy(), return_index=True)
        ids, wire, member_days = (joined[c].to_numpy() for c in ("article_id", "wire_group", "day"))
        base = f"{self.settings()}|{code_digest()}"
        keys = {}
        for story_id, start, stop in zip(story_ids, starts, [*starts[1:], len(joined)]):
            own = hashlib.sha256(f"{base}|{story_id}".encode())
            own.update("".join(f"|{i}:{row_hash[i]}:{w}" for i, w in zip(ids[start:stop], wire[start:stop]))
                       .encode())
            span = self._prior_span(member_days[start:stop])
            prior = "".join(by_day.get(day, "") for day in range(*span)) if span is not None else ""
            keys[story_id] = f"{own.hexdigest()}:{hashlib.sha256(prior.encode()).hexdigest()}"
        return keys

    def prior_articles(self, articles: pd.DataFrame, members: pd.DataFrame, story_ids) -> np.ndarray:
        """Mask of the articles that analysing `story_ids` reads: their members and their priors."""
        own = articles["id"].isin(members.loc[members["story_id"].isin(set(story_ids)), "article_id"]).to_numpy()
        if self.prior_days is None:
            return np.ones(len(articles), dtype=bool) if own.any() else own
        days = _days(articles)
        needed = own.copy()
        for first, stop in filter(None, self._story_spans(articles, members, story_ids)):
            needed |= (days >= first) & (days < stop)
        return needed

    def _story_spans(self, articles: pd.DataFrame, members: pd.DataFrame, story_ids):
        days = pd.Series(_days(articles), index=articles["id"])
        chosen = members[members["story_id"].isin(set(story_ids))]
        for _, group in chosen.groupby("story_id", sort=True):
            yield self._prior_span(days.reindex(group["article_id"]).to_numpy())

    def _prior_span(self, member_days: np.ndarray) -> tuple[int, int] | None:
        """The days [first, stop) of a story's prior, from its members' days; None when it has no dated member
        (its prior is its own articles) or the prior is the whole corpus."""
        dated = member_days[~np.isnan(member_days)]
        if self.prior_days is None or not len(dated):
            return None
        return int(dated.min() - np.floor(self.prior_days)), int(dated.max() + np.floor(self.prior_days)) + 1

    def _priors(self, articles: pd.DataFrame, stories: list[tuple[str, list[dict]]]) -> list[list[str] | None]:
        """Each story's prior: the ids of the dated articles within its span, and its own (None: all of them)."""
        if self.prior_days is None:
            return [None] * len(stories)
        days = _days(articles)
        order = np.argsort(days, kind="stable")  # NaN (undated) sort last and are never within a span
        sorted_days, sorted_ids = days[order], articles["id"].to_numpy()[order]
        day_of = dict(zip(articles["id"], days))
        priors: list[list[str] | None] = []
        for _, story in stories:
            own = [a["id"] for a in story]
            span = self._prior_span(np.array([day_of[i] for i in own], dtype=float))
            if span is None:
                priors.append(own)
                continue
            within = sorted_ids[np.searchsorted(sorted_days, span[0]):np.searchsorted(sorted_days, span[1])]
            priors.append(sorted({*within, *own}))
        return priors

    def analyse_story(self, articles: pd.DataFrame, members: pd.DataFrame, story_id: str,
                      counts: TermCounts | None = None) -> StoryAnalysis:
        """One story's tables.

        Parameters
        ----------
        articles : DataFrame
            The articles (``ingest`` columns): the story's and those its wording is scored against (`prior_days`).
        members : DataFrame
            ``article_id`` -> ``story_id`` (and ``wire_group``), as `group_stories` or the store give them.
        story_id : str
            A story covered by two or more outlets.
        counts : TermCounts, optional
            ``corpus_counts`` of `articles`: saves recounting the corpus per story.

        Returns
        -------
        StoryAnalysis
            One table per analysis (``analysis.takes``, ``analysis.tables["tone"]``), the actors and sentences.

        Raises
        ------
        ValueError
            The story is not covered by two or more outlets.
        """
        found = list(multi_outlet_stories(articles, members, [story_id]))
        if not found:
            raise ValueError(f"story {story_id!r} is not covered by two or more outlets")
        counts = corpus_counts(articles, self.wording) if counts is None else counts
        sentences, cuts = split_story(found[0][1], story_id)
        vectors, _ = embed_texts([s["sentence"] for s in sentences], self.embedder, self.store, progress=False)
        actors = self.find_actors(sentences)
        toward = self._toward(actor_mentions(sentences, actors))
        tables, matcher = self._story_rows(story_id, found[0][1], counts, sentences, cuts, vectors, actors, toward,
                                           self._priors(articles, found)[0])
        return StoryAnalysis(story_id, {name: _frame(name, rows) for name, rows in tables.items()}, actors=actors,
                             sentences=matcher.sentences_, claim_matrix=matcher.matrix_)

    def _toward(self, mentions: list[tuple], mapper=None) -> dict | None:
        """The target head's probabilities per (sentence, actor) of `actor_mentions` (None without a head)."""
        return toward_actors(self.target_tone, mentions, self.store, mapper) if self.target_tone else None

    def tone_method(self) -> str:
        return f"toward actor: {self.target_tone.name}" if self.target_tone else VADER_ACTOR_METHOD

    def _story_rows(self, story_id: str, story: list[dict], counts: TermCounts, sentences: list[dict],
                    cuts: list[dict], vectors: np.ndarray, actors: list[str], toward: dict | None,
                    prior: list[str] | None):
        """Each registered analysis' rows for one story (its `split_story` rows, the sentences' vectors, its actors,
        the target head's probabilities and the ids of its prior given) and the fitted claim matcher."""
        found = Story(story_id, story, sentences, vectors, cuts, actors, toward, prior, counts, self)
        return {name: analysis.rows(found) for name, analysis in ANALYSES.items()}, found.matcher

    def analyse_stories(self, articles: pd.DataFrame, members: pd.DataFrame, story_ids=None,
                        mapper=None, progress: bool = False) -> dict[str, pd.DataFrame]:
        """The tables of every story with two or more outlets (or of `story_ids`), concatenated.

        Parameters
        ----------
        articles, members
            See `analyse_story`.
        story_ids : collection of str, optional
            The stories to analyse; default all.
        mapper : Mapper, optional
            Embeds the sentences on its workers (see `perspectives.distributed`).
        progress : bool
            Show a progress bar.

        Returns
        -------
        dict of str to DataFrame
            Analysis name -> its table over the stories (takes, claims, terms, sources, tone, frames, timeline,
            cuts), each row with its ``story_id``.
        """
        return concat_rows(self.story_rows(articles, members, story_ids, mapper, progress).values())

    def story_rows(self, articles: pd.DataFrame, members: pd.DataFrame, story_ids=None, mapper=None,
                   progress: bool = False, counts: TermCounts | None = None) -> dict[str, dict[str, list[dict]]]:
        """Story id -> each table's rows, for every story with two or more outlets (or `story_ids`); `articles` must
        hold the stories' priors (see `prior_articles`; `counts`, their `corpus_counts`, saves counting them again).
        All stories' sentences are embedded in one call (full batches; on `mapper`'s workers when given, see
        `perspectives.distributed`)."""
        stories = list(multi_outlet_stories(articles, members, story_ids))
        if not stories:
            return {}
        counts = corpus_counts(articles, self.wording) if counts is None else counts
        priors = self._priors(articles, stories)
        split = [split_story(story, story_id) for story_id, story in stories]
        sentences = [own for own, _ in split]
        vectors, _ = embed_texts([s["sentence"] for own in sentences for s in own], self.embedder, self.store,
                                 mapper=mapper, progress=progress)
        starts = np.cumsum([0, *(len(own) for own in sentences)])
        # Embedded here, as the frames' centroids: the forked workers below must not use the model or the store.
        actors = [self.find_actors(own) for own in sentences]
        toward = self._toward(sorted({m for own, names in zip(sentences, actors) for m in actor_mentions(own, names)}),
                              mapper)
        self.frames.centroids()

        def tables(i: int) -> dict[str, list[dict]]:
            story_id, story = stories[i]
            return self._story_rows(story_id, story, counts, sentences[i], split[i][1],
                                    vectors[starts[i]:starts[i + 1]], actors[i], toward, priors[i])[0]

        found = fork_map(tables, len(stories), self.n_jobs, cost=[len(own) for own in sentences],
                         progress=progress, desc="Comparing outlets")
        return {story_id: story_tables for (story_id, _), story_tables in zip(stories, found)}

    def wording_rows(self, articles: pd.DataFrame, members: pd.DataFrame, story_ids,
                     counts: TermCounts | None = None) -> dict[str, dict[str, list]]:
        """Story id -> only its takes and terms rows, the tables that depend on the wording prior (cheap: no
        sentences embedded or compared); `articles` must hold the stories' priors (`counts`: see `story_rows`)."""
        stories = list(multi_outlet_stories(articles, members, story_ids))
        if not stories:
            return {}
        counts = corpus_counts(articles, self.wording) if counts is None else counts
        found = {}
        for (story_id, story), prior in zip(stories, self._priors(articles, stories)):
            takes, terms = story_takes(story_id, story, counts, self.wording, self.n_terms, prior)
            found[story_id] = {"takes": takes, "terms": terms}
        return found


def concat_rows(stories) -> dict[str, pd.DataFrame]:
    """Each table of several stories' rows (`story_rows` values, in order), as one frame."""
    rows: dict[str, list[dict]] = {name: [] for name in TABLES}
    for story_tables in stories:
        for name, table_rows in story_tables.items():
            rows[name] += table_rows
    return {name: _frame(name, found) for name, found in rows.items()}


def _days(articles: pd.DataFrame) -> np.ndarray:
    """Each article's UTC day number (days since 1970), NaN when undated."""
    return np.floor(day_numbers(articles["published_at"], len(articles)))


def _day_digests(ids: pd.Series, days: np.ndarray, row_hash: dict[str, str]) -> dict[int, str]:
    """Per day, a digest of the contents of the articles published that day."""
    dated = pd.DataFrame({"id": ids.to_numpy(), "day": days}).dropna().sort_values(["day", "id"])
    day_of, starts = np.unique(dated["day"].to_numpy(), return_index=True)
    sorted_ids = dated["id"].to_numpy()
    return {int(day): hashlib.sha256("|".join(f"{i}:{row_hash[i]}" for i in sorted_ids[start:stop]).encode())
            .hexdigest() for day, start, stop in zip(day_of, starts, [*starts[1:], len(dated)])}


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    return without_nan(pd.DataFrame(rows, columns=TABLES[name]))


__all__ = ["FramingAnalyser", "StoryAnalysis", "TABLES", "WHOLE_ARTICLE", "code_digest", "concat_rows"]
