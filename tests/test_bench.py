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
