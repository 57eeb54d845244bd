"""A story's articles as one row per sentence: the unit every framing analysis reads."""

from __future__ import annotations

import pandas as pd

from perspectives.text import MAX_ARTICLE_SENTENCES, MAX_STORY_SENTENCES, english_text, present, sentences

SENTENCE_COLUMNS = ["story_id", "outlet", "country", "article_id", "published_at", "position", "sentence"]
CUT_COLUMNS = ["story_id", "outlet", "article_id", "sentences", "dropped"]


def records(table) -> list[dict]:
    """Rows as dicts, from a DataFrame or an iterable of dicts: the analyses loop over rows, and converting a story's
    small frame once costs less than pandas' per-call overhead in every step."""
    return table.to_dict("records") if isinstance(table, pd.DataFrame) else list(table)


def split_story(story_articles, story_id: str, min_chars: int = 25, per_article: int = MAX_ARTICLE_SENTENCES,
                per_story: int = MAX_STORY_SENTENCES) -> tuple[list[dict], list[dict]]:
    """A story's sentence rows and its cut rows, from one pass over its articles.

    Sentences come from each article's English view (translation when present), with their position in the article.
    Fragments shorter than `min_chars` (datelines, bylines) are left out; positions still count them. Each article
    gives at most its first `per_article` sentences and the story at most `per_story` (shared out so that every
    article keeps as many of its first sentences as the others, see `kept_counts`): these rows are embedded and
    some analyses compare every pair of them. The cut rows name the articles whose later sentences were left out
    (none for ordinary news): per article its `sentences` and how many of them were `dropped` from the analyses.
    """
    articles, found = _analysable(story_articles, min_chars)
    keep = kept_counts([len(own) for own in found], per_article, per_story)
    rows = [{"story_id": story_id, "outlet": article["outlet"], "country": article.get("country"),
             "article_id": article["id"], "published_at": article.get("published_at"), "position": position,
             "sentence": sentence}
            for article, own, k in zip(articles, found, keep) for position, sentence in own[:k]]
    cuts = [{"story_id": story_id, "outlet": article["outlet"], "article_id": article["id"], "sentences": len(own),
             "dropped": len(own) - k} for article, own, k in zip(articles, found, keep) if k < len(own)]
    return rows, cuts


def sentence_rows(story_articles, story_id: str, **limits) -> list[dict]:
    """The sentence rows of `split_story`."""
    return split_story(story_articles, story_id, **limits)[0]


def sentence_table(story_articles, story_id: str, **limits) -> pd.DataFrame:
    """`sentence_rows` as a DataFrame."""
    return pd.DataFrame(sentence_rows(story_articles, story_id, **limits), columns=SENTENCE_COLUMNS)


def sentence_cuts(story_articles, story_id: str, **limits) -> pd.DataFrame:
    """The cut rows of `split_story` as a DataFrame (the report's `cuts` table)."""
    return pd.DataFrame(split_story(story_articles, story_id, **limits)[1], columns=CUT_COLUMNS)


def kept_counts(counts: list[int], per_article: int, per_story: int) -> list[int]:
    """How many of its first sentences each article keeps: at most `per_article`, and when the story holds more than
    `per_story`, one common level for all (short articles keep everything), the rest of the budget going to the
    earliest of the longer articles one sentence each."""
    capped = [min(n, per_article) for n in counts]
    if sum(capped) <= per_story:
        return capped
    spent = 0  # sentences of the articles short enough to keep whole
    for done, n in enumerate(sorted(capped)):
        left = len(capped) - done
        if spent + n * left > per_story:
            level = (per_story - spent) // left
            break
        spent += n
    spare = per_story - spent - level * left
    keep = [min(n, level) for n in capped]
    for i in [i for i, n in enumerate(capped) if n > level][:spare]:
        keep[i] += 1
    return keep


def capped_indices(rows: list[dict], per_article: int = MAX_ARTICLE_SENTENCES,
                   per_story: int = MAX_STORY_SENTENCES) -> list[int]:
    """Positions of the rows (`sentence_rows`' dicts) that `kept_counts` keeps, each article's first ones."""
    by_article: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_article.setdefault(row["article_id"], []).append(i)
    keep = kept_counts([len(own) for own in by_article.values()], per_article, per_story)
    return sorted(i for own, k in zip(by_article.values(), keep) for i in own[:k])


def _analysable(story_articles, min_chars: int) -> tuple[list[dict], list[list[tuple[int, str]]]]:
    """The articles as dicts and, per article, its (position, sentence) pairs of at least `min_chars` characters."""
    articles = records(story_articles)
    found = []
    for article in articles:
        language = "en" if present(article.get("text_en")) else article.get("language")
        split = sentences(english_text(article), language)
        found.append([(position, sentence) for position, sentence in enumerate(split) if len(sentence) >= min_chars])
    return articles, found
