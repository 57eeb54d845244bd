import pytest
from lxml import etree

from perspectives.desk import country_info
from perspectives.ingest import InputError
from perspectives.ingest.sources import OWNERSHIP, export_opml, import_opml, load_registry, read_opml
from tests.conftest import ROOT, cli
from tests.webserver import FixtureServer

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
    # alpha-3, ISO 639-2/3, BCP 47 tags and names too
    for country, language in (("UKR", "ukr"), ("ua", "uk-UA"), ("Ukraine", "Ukrainian")):
        text = GOOD.replace('country = "ua"', f'country = "{country}"').replace('language = "UK"',
                                                                               f'language = "{language}"')
        outlet = load_registry(write(tmp_path, text)).outlets[0]
        assert (outlet.country, outlet.language) == ("UA", "uk")


@pytest.mark.parametrize("change, message", [
    (('name = "Kyiv Signal"', ""), "'name' is required"),
    (('country = "ua"', 'country = "Ukrainia"'),
     "country 'Ukrainia' is not an ISO 3166 code (alpha-2 or alpha-3) or name"),
    (('language = "UK"', 'language = "Ukrainish"'),
     "language 'Ukrainish' is not an ISO 639 code, language tag or name"),
    (('language = "UK"', 'language = "yue"'), "language 'yue' has no two-letter ISO 639-1 code"),
    (('"https://kyiv-signal.example/rss"', '"ftp://kyiv-signal.example/rss"'), "is not an http(s) URL"),
    (('feeds = ["https://kyiv-signal.example/rss"]', "feeds = []"), "'feeds' must be a non-empty list"),
    (('ownership = "private"', 'ownership = "oligarch"'), "ownership 'oligarch' is not one of"),
    (('ownership = "private"', 'owner = "x"'), "unknown key(s) owner"),
    (('[[outlet]]', '[[outlet]\n'), "not valid TOML"),
    (('ownership = "private"', 'verified = "no"'), "'verified' must be true or false"),
    (('ownership = "private"', 'origin = " "'), "'origin' must be a non-empty string"),
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


@pytest.mark.slow
def test_sources_list_cli():
    result = cli("sources", "list", "--sources", EXAMPLE)
    assert "BBC News\tGB\ten\tpublic\t1 feed(s)" in result.stdout


@pytest.mark.slow
def test_sources_cli_reports_a_bad_registry_in_one_line(tmp_path):
    result = cli("sources", "list", "--sources", write(tmp_path, GOOD.replace('"ua"', '"XX"')), check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


# --- The world registry ---------------------------------------------------------------------------------------------

WORLD = ROOT / "data" / "sources" / "world.toml"
FEED_LISTS = ROOT.parent / "shared" / "feeds" / "awesome-rss-feeds" / "countries" / "without_category"


def test_the_world_registry_spans_every_inhabited_continent():
    outlets = load_registry(WORLD).outlets
    countries = {o.country for o in outlets}
    assert len(outlets) >= 150 and len(countries) >= 50
    assert {country_info(c, "continent") for c in countries} >= {"Africa", "America", "Asia", "Europe", "Oceania"}
    assert {country_info(c, "region") for c in countries} >= {"Northern America", "South America"}
    assert {o.ownership for o in outlets} == set(OWNERSHIP)
    assert all(o.homepage for o in outlets)
    # Every entry says where it comes from: a published list, or written from knowledge and never fetched.
    assert all((o.origin is None) != (o.verified is None) for o in outlets), "each entry: origin or verified = false"
    assert all(o.verified is False for o in outlets if o.origin is None)
    feeds = [f for o in outlets for f in o.feeds]
    assert len(feeds) == len(set(feeds))


@pytest.mark.skipif(not FEED_LISTS.is_dir(), reason="the CC0 feed lists (../shared/feeds) are not here")
def test_world_entries_with_an_origin_use_feeds_of_that_list():
    for outlet in load_registry(WORLD).outlets:
        if outlet.origin is None:
            continue
        listed, files = outlet.origin.split(": ", 1)
        assert listed == "awesome-rss-feeds (CC0 1.0)"
        published = {feed["xmlurl"] for name in files.split(", ") for feed in read_opml(FEED_LISTS / name)}
        assert set(outlet.feeds) <= published, outlet.name


# --- OPML import and export -----------------------------------------------------------------------------------------

PROVENANCE = '''
[[outlet]]
name = "Le "Courrier" & Co"
country = "FR"
language = "fr"
ownership = "private"
homepage = "https://courrier.example/"
feeds = ["https://courrier.example/rss?a=1&b=2", "https://courrier.example/monde.xml"]
verified = false

[[outlet]]
name = "Kyiv Signal"
country = "UA"
language = "uk"
feeds = ["https://kyiv-signal.example/rss"]
origin = "a CC0 list"

[[outlet]]
name = "Radio Norte"
country = "MX"
language = "es"
ownership = "public"
feeds = ["https://radionorte.example/feed"]
'''.replace('"Le "Courrier" & Co"', "'Le \"Courrier\" & Co'")

# How RSS readers write lists: folders, a language on some outlines, and (often) a bare & in a URL, which XML forbids.
READER_LIST = '''<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="News">
      <outline text="El Diario del Sur" title="El Diario del Sur" type="rss" language="es-MX"
               xmlUrl="https://diariosur.example/rss" htmlUrl="https://diariosur.example/"/>
      <outline text="Gazette" title="Gazette" type="rss" xmlUrl="https://gazette.example/feed?x=1&y=2"/>
      <outline text="L&#039;Écho" title="L&#039;Écho" type="rss" language="fr" xmlUrl="https://echo.example/une"/>
    </outline>
    <outline text="Gazette" title="Gazette" type="rss" xmlUrl="https://gazette.example/world"/>
    <outline text="A folder with nothing to subscribe to"/>
  </body>
</opml>
'''


def test_opml_export_and_import_round_trip(tmp_path):
    registry = load_registry(write(tmp_path, PROVENANCE))
    opml = tmp_path / "export.opml"
    opml.write_text(export_opml(registry), encoding="utf-8")
    result = import_opml(opml, tmp_path / "copy.toml")
    assert sorted(result.added) == sorted(o.name for o in registry.outlets)
    assert sorted(load_registry(tmp_path / "copy.toml").outlets, key=lambda o: o.name) == \
        sorted(registry.outlets, key=lambda o: o.name)
    # A default origin goes only to outlines that say nothing of where they come from.
    import_opml(opml, tmp_path / "stamped.toml", origin="export.opml")
    origins = {o.name: o.origin for o in load_registry(tmp_path / "stamped.toml").outlets}
    assert origins == {'Le "Courrier" & Co': None, "Kyiv Signal": "a CC0 list", "Radio Norte": "export.opml"}


def test_export_is_opml_2_with_one_folder_per_country(tmp_path):
    document = export_opml(load_registry(write(tmp_path, PROVENANCE)))
    root = etree.fromstring(document.encode())
    assert root.tag == "opml" and root.get("version") == "2.0"
    folders = root.find("body").findall("outline")
    assert [f.get("text") for f in folders] == ["France", "Ukraine", "Mexico"]
    courrier = folders[0].findall("outline")
    assert [o.get("xmlUrl") for o in courrier] == ["https://courrier.example/rss?a=1&b=2",
                                                   "https://courrier.example/monde.xml"]
    assert {o.get("text") for o in courrier} == {'Le "Courrier" & Co'}
    assert (courrier[0].get("language"), courrier[0].get("htmlUrl")) == ("fr", "https://courrier.example/")


def test_import_reads_a_reader_list_even_when_it_is_not_well_formed(tmp_path):
    opml = tmp_path / "reader.opml"
    opml.write_text(READER_LIST, encoding="utf-8")
    result = import_opml(opml, tmp_path / "new.toml", country="mx", language="es", origin="reader export")
    assert (tmp_path / "new.toml").read_text(encoding="utf-8").count('country = "MX"') == 3
    assert result.added == ["El Diario del Sur", "Gazette", "L'Écho"]
    outlets = {o.name: o for o in load_registry(tmp_path / "new.toml").outlets}
    assert outlets["Gazette"].feeds == ("https://gazette.example/feed?x=1&y=2", "https://gazette.example/world")
    assert (outlets["L'Écho"].language, outlets["L'Écho"].country) == ("fr", "MX")
    assert (outlets["El Diario del Sur"].language, outlets["El Diario del Sur"].homepage) == \
        ("es", "https://diariosur.example/")
    assert {o.origin for o in outlets.values()} == {"reader export"}
    assert {o.verified for o in outlets.values()} == {None}


def test_import_appends_keeps_comments_and_skips_what_is_known(tmp_path):
    registry = write(tmp_path, "# my outlets\n" + GOOD)
    opml = tmp_path / "reader.opml"
    opml.write_text(READER_LIST.replace("https://echo.example/une", "https://kyiv-signal.example/rss"),
                    encoding="utf-8")
    result = import_opml(opml, registry, country="MX", language="es")
    assert result.skipped == {"L'Écho": "its feed is in the registry"}
    assert registry.read_text(encoding="utf-8").startswith("# my outlets\n" + GOOD)
    again = import_opml(opml, registry, country="MX", language="es")
    assert again.added == [] and set(again.skipped) == {"El Diario del Sur", "Gazette", "L'Écho"}
    assert len(load_registry(registry).outlets) == 3


def test_import_without_a_country_changes_nothing_and_says_why(tmp_path):
    registry = write(tmp_path, GOOD)
    opml = tmp_path / "reader.opml"
    opml.write_text(READER_LIST, encoding="utf-8")
    with pytest.raises(InputError, match="--country"):
        import_opml(opml, registry, language="es")
    assert registry.read_text(encoding="utf-8") == GOOD
    (tmp_path / "not.opml").write_text("<rss><channel/></rss>", encoding="utf-8")
    with pytest.raises(InputError, match="not an OPML file"):
        import_opml(tmp_path / "not.opml", registry, country="MX", language="es")


@pytest.mark.slow
def test_sources_import_and_export_cli(tmp_path):
    opml = tmp_path / "reader.opml"
    opml.write_text(READER_LIST, encoding="utf-8")
    registry = tmp_path / "outlets.toml"
    imported = cli("sources", "import", opml, "--sources", registry, "--country", "MX", "--language", "es")
    assert f"outlets added to {registry}: 3" in imported.stdout
    assert load_registry(registry).outlets[0].origin == "reader.opml"  # the file name when no --origin is given
    exported = cli("sources", "export", "--sources", registry, "--out", tmp_path / "out.opml")
    assert "wrote" in exported.stdout
    assert len(read_opml(tmp_path / "out.opml")) == 4  # one outline per feed
    assert cli("sources", "export", "--sources", registry).stdout.startswith("<?xml")
    cli("sources", "import", tmp_path / "out.opml", "--sources", tmp_path / "again.toml")
    assert load_registry(tmp_path / "again.toml").outlets == load_registry(registry).outlets
    refused = cli("sources", "import", opml, "--sources", tmp_path / "other.toml", check=False)
    assert refused.returncode == 2 and "--country" in refused.stderr


@pytest.mark.slow
def test_sources_check_counts_the_unverified_feeds_that_answer(tmp_path):
    with FixtureServer() as server:
        registry = write(tmp_path, f'''
[[outlet]]
name = "Answers"
country = "US"
language = "en"
feeds = ["{server.base}/feeds/rss.xml"]
verified = false

[[outlet]]
name = "Gone"
country = "US"
language = "en"
feeds = ["{server.base}/feeds/gone.xml"]
verified = false
''')
        result = cli("sources", "check", "--sources", registry, "--delay", "0", "--timeout", "2",
                     "--allow-private", server.authority, check=False)
    assert result.returncode == 1
    assert "1 of 2 feeds ok; 1 of 2 feeds of unverified outlets (verified = false) ok" in result.stdout
