import pytest

from perspectives.ingest import InputError
from perspectives.ingest.sources import load_registry
from tests.conftest import ROOT, cli

EXAMPLE = ROOT / "data" / "sources" / "outlets.toml"

GOOD = '''
[[outlet]]
name = "Kyiv Signal"
country = "ua"
language = "UK"
feeds = ["https://kyiv-signal.example/rss"]
ownership = "private"
'''


def write(tmp_path, text):
    path = tmp_path / "outlets.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_registry_is_valid():
    registry = load_registry(EXAMPLE)
    assert len(registry.outlets) >= 5
    assert len({o.country for o in registry.outlets}) >= 5


def test_codes_are_normalised(tmp_path):
    outlet = load_registry(write(tmp_path, GOOD)).outlets[0]
    assert (outlet.country, outlet.language, outlet.feeds) == ("UA", "uk", ("https://kyiv-signal.example/rss",))


@pytest.mark.parametrize("change, message", [
    (('name = "Kyiv Signal"', ""), "'name' is required"),
    (('country = "ua"', 'country = "Ukraine"'), "country 'Ukraine' is not an ISO 3166 alpha-2 code"),
    (('language = "UK"', 'language = "ukr"'), "language 'ukr' is not an ISO 639-1 code"),
    (('"https://kyiv-signal.example/rss"', '"ftp://kyiv-signal.example/rss"'), "is not an http(s) URL"),
    (('feeds = ["https://kyiv-signal.example/rss"]', "feeds = []"), "'feeds' must be a non-empty list"),
    (('ownership = "private"', 'ownership = "oligarch"'), "ownership 'oligarch' is not one of"),
    (('ownership = "private"', 'owner = "x"'), "unknown key(s) owner"),
    (('[[outlet]]', '[[outlet]\n'), "not valid TOML"),
])
def test_registry_errors_name_the_outlet_and_the_field(tmp_path, change, message):
    with pytest.raises(InputError) as caught:
        load_registry(write(tmp_path, GOOD.replace(*change)))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_duplicate_names_and_empty_registries_are_refused(tmp_path):
    with pytest.raises(InputError, match="used twice: Kyiv Signal"):
        load_registry(write(tmp_path, GOOD + GOOD))
    with pytest.raises(InputError, match=r"no \[\[outlet\]\] tables"):
        load_registry(write(tmp_path, "# nothing here\n"))


def test_sources_list_cli():
    result = cli("sources", "list", "--sources", EXAMPLE)
    assert "BBC News\tGB\ten\tpublic\t1 feed(s)" in result.stdout


def test_sources_cli_reports_a_bad_registry_in_one_line(tmp_path):
    result = cli("sources", "list", "--sources", write(tmp_path, GOOD.replace('"ua"', '"XX"')), check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
