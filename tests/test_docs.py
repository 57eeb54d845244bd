"""The examples in the public API's docstrings run as written."""

import doctest
import tempfile

import pytest

import perspectives.desk
import perspectives.embed.hashed_words
import perspectives.framing.analysis
import perspectives.framing.registry
import perspectives.pipeline
import perspectives.stories.clusterer
from perspectives.ingest import examples  # perspectives.ingest is also the pipeline's function

DOCUMENTED = [perspectives.desk, perspectives.embed.hashed_words, perspectives.framing.analysis,
              perspectives.framing.registry, examples, perspectives.pipeline,
              perspectives.stories.clusterer]
SLOW = {perspectives.pipeline}  # its examples run every step, the report's forked workers included (2-6 s)


@pytest.mark.parametrize("module", [pytest.param(m, marks=pytest.mark.slow) if m in SLOW else m for m in DOCUMENTED],
                         ids=lambda m: m.__name__)
def test_docstring_examples_run(module, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the examples' mkdtemp() folders go where pytest cleans
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
