"""The benchmark's own bookkeeping: what it counts as embedding."""

import itertools

from benchmarks import run
from perspectives.embed import HashedWords


def test_model_time_counts_the_encoding_inside_its_block_and_leaves_the_embedder_as_it_was(monkeypatch):
    ticks = itertools.count()
    monkeypatch.setattr(run.time, "perf_counter", lambda: float(next(ticks)))  # each reading one second later
    embedder = HashedWords()
    with run.model_time(embedder) as clock:
        embedder.encode(["one text"])
        embedder.encode(["and another"])
    assert clock["seconds"] == 2.0  # each encode: read before, read after
    assert "encode" not in vars(embedder)  # the class's own method again
    embedder.encode(["after the block"])
    assert clock["seconds"] == 2.0


def test_leaving_one_set_out_chooses_on_the_other_sets_and_scores_the_one_left_out():
    import pandas as pd

    from benchmarks import grouping

    shipped = grouping.SHIPPED["lists"], grouping.SHIPPED["window"]
    other = 30, 1.0
    # Two sets prefer `other`, one prefers the shipped constants: only the latter, left out, is scored on `other`.
    f1 = {("a", shipped): 0.5, ("a", other): 0.9, ("b", shipped): 0.6, ("b", other): 0.8,
          ("c", shipped): 0.7, ("c", other): 0.4}
    scores = pd.DataFrame([{"set": name, "shape": "as given", "lists": lists, "window": window, "F1": value}
                           for (name, (lists, window)), value in f1.items()])
    table = grouping.leave_one_set_out(scores).set_index("held out")
    assert table.loc["c", "lists chosen"] == 30 and table.loc["c", "window chosen"] == 1.0
    assert table.loc["c", "held-out F1 (chosen)"] == 0.4 and table.loc["c", "held-out F1 (shipped)"] == 0.7
    # With "a" left out, the shipped constants' mean over "b" and "c" (0.65) beats the other's (0.6).
    assert (table.loc["a", "lists chosen"], table.loc["a", "window chosen"]) == shipped
    assert table.loc["a", "held-out F1 (best possible)"] == 0.9
