"""Tone of each article, and tone toward each actor it names: two measures with two meanings.

- **Article tone** (actor `(whole article)`): how the article's language reads, VADER's compound score (a lexicon
  for English news and social text) averaged over its sentences. War and crime read negative whoever is to blame.
- **Tone toward an actor**: the sentiment of the sentences *toward* that actor, from the target-dependent head
  (`target_tone`, trained on NewsMTSC) on the framing's embeddings, so "X condemned Y's brutal crackdown" can be
  negative toward Y and not toward X. Per (article, actor) it abstains: each sentence naming the actor contributes
  its head's expected score P(positive) - P(negative); the mean gets a 95% interval from the head's own
  probabilities (each sentence a draw of -1, 0 or +1), and the article is called positive or negative only when the
  whole interval lies beyond +-`margin` (0 by default: the interval must exclude 0), else neutral with tone 0. The
  evidence sentence is the one that leans most in the verdict's direction (for neutral: the most neutral one).

Without a head for the framing's model, tone toward an actor is the VADER mean over the sentences naming it
(`method` says which). `label` reads `tone` with a +-0.05 neutral band; `tone_low`/`tone_high` bound it (for VADER
means: 1.96 standard errors over the sentences, none for a single sentence).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from perspectives.framing.actors import mention_span, mentioned
from perspectives.framing.sentences import records

TONE_COLUMNS = ["story_id", "outlet", "article_id", "actor", "tone", "sentence",
                "label", "tone_low", "tone_high", "n_sentences", "method"]
WHOLE_ARTICLE = "(whole article)"
ARTICLE_METHOD = "article tone: VADER sentence mean"
VADER_ACTOR_METHOD = "toward actor: VADER mean over sentences naming it"
NEUTRAL_BAND = 0.05
# Fitted on BASIL dev (2010-2014) by benchmarks/tone_eval.py, leave-events-out: 9 of 10 folds chose 0 (the
# interval must exclude 0), one 0.05; larger margins abstain on most of the annotated non-neutral feelings.
MARGIN = 0.0
Z95 = 1.959964


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=65536)  # wire copies repeat sentences word for word
def sentence_tone(sentence: str) -> float:
    return float(_analyzer().polarity_scores(sentence)["compound"])


def actor_mentions(sentences, actors: list[str]) -> list[tuple[str, str, int, int]]:
    """(sentence, actor, start, end) for each sentence naming each actor: what the target head scores."""
    found = []
    for sentence in dict.fromkeys(row["sentence"] for row in records(sentences)):
        for actor in sorted(mentioned(actors, sentence)):
            span = mention_span(actor, sentence)
            if span is not None:  # always, for an actor `mentioned` found
                found.append((sentence, actor, *span))
    return found


def toward_actors(target, mentions: list[tuple[str, str, int, int]], store=None,
                  mapper=None) -> dict[tuple[str, str], np.ndarray]:
    """The target head's probabilities (negative, neutral, positive) per (sentence, actor) of `actor_mentions`."""
    probabilities = target.probabilities([(s, start, end) for s, _, start, end in mentions], store, mapper)
    return {(s, actor): p for (s, actor, _, _), p in zip(mentions, probabilities)}


def tone_table(sentences, actors: list[str], toward: dict | None = None, method: str = VADER_ACTOR_METHOD,
               margin: float = MARGIN) -> pd.DataFrame:
    """One row per article for its overall tone and one per (article, actor) named. `sentences`: `sentence_table`'s
    frame or rows; `toward`: `toward_actors`' probabilities (None: VADER for actors too), `method` names them."""
    return pd.DataFrame(tone_rows(sentences, actors, toward, method, margin), columns=TONE_COLUMNS)


def tone_rows(sentences, actors: list[str], toward: dict | None = None, method: str = VADER_ACTOR_METHOD,
              margin: float = MARGIN) -> list[dict]:
    by_article: dict[str, list[dict]] = {}
    for sentence in records(sentences):
        scored = {**sentence, "tone": sentence_tone(sentence["sentence"])}
        by_article.setdefault(sentence["article_id"], []).append(scored)
    rows = []
    for article_sentences in by_article.values():
        rows.append(_mean_row(article_sentences, WHOLE_ARTICLE, ARTICLE_METHOD))
        named = [mentioned(actors, s["sentence"]) for s in article_sentences]
        for actor in actors:
            about = [s for s, found in zip(article_sentences, named) if actor in found]
            if not about:
                continue
            if toward is None:
                rows.append(_mean_row(about, actor, VADER_ACTOR_METHOD))
            else:
                rows.append(_target_row(about, actor, [toward[s["sentence"], actor] for s in about], method, margin))
    return rows


def _mean_row(scored: list[dict], actor: str, method: str) -> dict:
    """The mean VADER score, the most strongly toned sentence as evidence, 1.96 standard errors around it."""
    tones = np.array([s["tone"] for s in scored])
    mean = float(tones.mean())
    half = Z95 * tones.std(ddof=1) / math.sqrt(len(tones)) if len(tones) > 1 else math.nan
    strongest = scored[int(np.abs(tones).argmax())]
    return _row(strongest, actor, mean, _label(mean), (mean - half, mean + half), len(tones), method)


def _target_row(about: list[dict], actor: str, probabilities: list[np.ndarray], method: str, margin: float) -> dict:
    """Abstaining verdict from the head's probabilities over the sentences naming the actor (module docstring)."""
    p = np.vstack(probabilities)
    expected = p[:, 2] - p[:, 0]
    mean = float(expected.mean())
    # Each sentence a draw of -1/0/+1 with the head's probabilities: variance P(+) + P(-) - E^2.
    half = Z95 * math.sqrt(max(float((p[:, 0] + p[:, 2] - expected ** 2).sum()), 0.0)) / len(p)
    low, high = mean - half, mean + half
    label = "positive" if low > margin else "negative" if high < -margin else "neutral"
    pick = {"positive": expected.argmax(), "negative": expected.argmin(), "neutral": p[:, 1].argmax()}[label]
    tone = mean if label != "neutral" else 0.0
    return _row(about[int(pick)], actor, tone, label, (low, high), len(p), method)


def _label(tone: float) -> str:
    return "positive" if tone >= NEUTRAL_BAND else "negative" if tone <= -NEUTRAL_BAND else "neutral"


def _row(evidence: dict, actor: str, tone: float, label: str, bounds: tuple[float, float], n: int,
         method: str) -> dict:
    low, high = (max(-1.0, min(1.0, b)) if not math.isnan(b) else b for b in bounds)
    return {"story_id": evidence["story_id"], "outlet": evidence["outlet"], "article_id": evidence["article_id"],
            "actor": actor, "tone": round(tone, 4), "sentence": evidence["sentence"], "label": label,
            "tone_low": round(low, 4), "tone_high": round(high, 4), "n_sentences": n, "method": method}
