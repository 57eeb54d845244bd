"""The examples in the public API's docstrings run as written."""

import doctest

import pytest

import perspectives.framing.registry

DOCUMENTED = [perspectives.framing.registry]


@pytest.mark.parametrize("module", DOCUMENTED, ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
