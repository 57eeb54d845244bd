"""How fast the app renders once its caches are warm: the front page, and a story page with 50+ outlets.

Builds a store from the demo corpus plus 50 synthetic outlets writing about the demo's August 8 story (each
article is sentences drawn from the demo's own coverage of it), then times Streamlit's AppTest runs: the first run
of a page (cold: model loading, analysis) and the next runs (warm: what an editor waits for afterwards).
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from perspectives import pipeline
from perspectives.desk import countries
from perspectives.text import english_text, sentences

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo" / "articles.jsonl"


def synthetic_outlets(n: int = 50, seed: int = 0) -> list[dict]:
    demo = pd.read_json(DEMO, lines=True)
    story = demo[demo["gold_story"] == "aug8-deadline"]
    pool = [s for a in story.to_dict("records") for s in sentences(english_text(a), "en")]
    titles = story["title_en"].fillna(story["title"]).tolist()
    codes = list(countries().index)[:n]
    rng = random.Random(seed)
    return [{"id": f"syn-{i:02d}", "outlet": f"Synthetic Outlet {i:02d}", "country": codes[i],
             "language": "en", "published_at": f"2025-08-07T{6 + i % 12:02d}:{i % 60:02d}:00Z",
             "title": rng.choice(titles), "text": " ".join(rng.sample(pool, 6)), "gold_story": "aug8-deadline"}
            for i in range(n)]


def timed_runs(at: AppTest, runs: int = 3) -> list[float]:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        seconds.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return seconds


def main() -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        extra = Path(tmp) / "synthetic.jsonl"
        extra.write_text("\n".join(json.dumps(r) for r in synthetic_outlets()), encoding="utf-8")
        db = Path(tmp) / "speed.db"
        pipeline.run(DEMO, extra, db=db, out=Path(tmp) / "out", progress=False)
        stories = pd.read_csv(Path(tmp) / "out" / "stories.csv")
        widest = stories.sort_values("n_outlets", ascending=False).iloc[0]
        os.environ["PERSPECTIVES_DB"] = str(db)
        rows = []
        front = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
        rows.append(("front page", timed_runs(front)))
        page = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
        page.query_params["story"] = widest["story_id"]
        rows.append((f"story page, {widest['n_outlets']} outlets", timed_runs(page)))
    table = pd.DataFrame([{"view": view, "first run s": runs[0], "warm runs s (mean)": sum(runs[1:]) / len(runs[1:]),
                           "warm under 1 s": max(runs[1:]) < 1.0} for view, runs in rows])
    return table


if __name__ == "__main__":
    print(main().to_string(index=False))
