"""Translation into English with Apertium, run for real (skipped where Apertium or its Spanish pair is missing)."""

import json
import shutil

import pandas as pd
import pytest

from perspectives.ingest import InputError
from perspectives.ingest.translate import (
    ApertiumTranslator, TranslationError, TranslationLog, UnsupportedLanguage, add_english, apertium_modes,
    translate_articles,
)
from perspectives.store import Store
from tests.conftest import cli


def _spanish_pair() -> bool:
    return shutil.which("apertium") is not None and "es" in ApertiumTranslator().modes


needs_apertium = pytest.mark.skipif(
    not _spanish_pair(), reason="Apertium with its Spanish-English pair is not installed "
                                "(Debian: apt-get install apertium apertium-eng-spa)")

# `apertium -l` with the Debian X->English pairs installed (and the reverse pairs that come with some of them).
LISTING = """
  Cyrl-Latn
  cat-eng
  cat-eng_US
  en-eo
  en-gl
  eng-cat
  eng-hbs_SR
  eng-spa
  eo-en-bytecode
  eo-en
  eu-en
  gl-en
  hbs-eng
  isl-eng
  mkd-eng
  spa-eng
  spa-eng_US
"""

SENTENCE = "El presidente ruso rechazó el ultimátum de Trump."


def test_installed_modes_are_read_as_iso_639_1_languages():
    assert apertium_modes(LISTING) == {
        "ca": "cat-eng", "eo": "eo-en", "eu": "eu-en", "gl": "gl-en", "is": "isl-eng", "mk": "mkd-eng",
        "es": "spa-eng", "sh": "hbs-eng", "sr": "hbs-eng", "hr": "hbs-eng", "bs": "hbs-eng",
    }
    assert apertium_modes("") == {}


def test_a_missing_apertium_is_one_clear_error():
    with pytest.raises(InputError, match="apertium-not-here is not installed"):
        ApertiumTranslator(executable="apertium-not-here")


@needs_apertium
def test_spanish_is_translated_text_by_text_without_unknown_word_marks():
    texts = [SENTENCE, "", "Primer párrafo: 5 < 6 & <b>no</b> es HTML.\n\nSegundo párrafo.", "Ya."]
    title, empty, body, short = ApertiumTranslator().translate(texts, source="es")
    assert title == "The Russian president refused the ultimatum of Trump."  # Apertium marks Trump as *Trump
    assert empty == ""
    assert "5 < 6 &" in body and "<b>" in body and "\n\nSecond paragraph." in body
    assert "*" not in body
    assert short == "Already."


@needs_apertium
def test_languages_without_a_pair_and_slow_runs_are_reported():
    translator = ApertiumTranslator()
    assert "es" in translator.modes and "ja" not in translator.modes
    with pytest.raises(UnsupportedLanguage, match="no Apertium pair ja->en installed"):
        translator.translate(["日本語"], source="ja")
    with pytest.raises(TranslationError, match="ran past"):
        ApertiumTranslator(timeout=0.001).translate([SENTENCE] * 200, source="es")


@needs_apertium
def test_the_log_counts_articles_per_language():
    log = TranslationLog(ApertiumTranslator())
    spanish = add_english({"language": "es", "title": SENTENCE, "text": "Ayer."}, log)
    japanese = add_english({"language": "ja", "title": "見出し", "text": "本文"}, log)
    assert spanish["title_en"].startswith("The Russian president") and spanish["text_en"] == "Yesterday."
    assert "title_en" not in japanese
    assert (log.translated, log.untranslated) == ({"es": 1}, {"ja": 1})
    assert log.reasons["ja"] == "no Apertium pair ja->en installed"


@needs_apertium
def test_articles_are_translated_in_batches_one_process_each(tmp_path):
    calls = tmp_path / "calls"
    counting = tmp_path / "counting-apertium"
    counting.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {shutil.which("apertium")} "$@"\n')
    counting.chmod(0o755)
    articles = pd.DataFrame({
        "title": [f"Noticia {i}" for i in range(130)] + ["Headline"],
        "text": ["El gobierno anunció ayer nuevas medidas."] * 130 + ["Text."],
        "language": ["es"] * 130 + ["en"],
        "title_en": [float("nan")] * 131, "text_en": [float("nan")] * 131,  # as pandas reads empty columns
    })
    log = TranslationLog(ApertiumTranslator(executable=str(counting)))
    done = translate_articles(articles, log, batch=64)
    assert calls.read_text().count("spa-eng") == 3  # 64 + 64 + 2 articles
    assert done["text_en"].iloc[:130].eq("The government announced yesterday new measures.").all()
    assert done["title_en"].iloc[129] == "News 129"
    assert pd.isna(done["text_en"].iloc[130])  # English needs no translation
    assert log.translated == {"es": 130}


@needs_apertium
def test_ingest_translate_apertium_fills_english_and_names_what_it_cannot(tmp_path):
    rows = [
        {"id": "es-1", "outlet": "Diario", "title": SENTENCE, "text": "El Gobierno anunció ayer nuevas medidas.",
         "language": "es"},
        {"id": "es-2", "outlet": "Diario", "title": "Otra noticia", "text": "Texto.", "language": "es",
         "title_en": "Given headline", "text_en": "Given translation."},
        {"id": "fr-1", "outlet": "Le Jour", "title": "Le président russe", "text": "Le président a refusé.",
         "language": "fr"},
        {"id": "en-1", "outlet": "Daily", "title": "Russian president", "text": "He refused.", "language": "en"},
    ]
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    db = tmp_path / "t.db"
    result = cli("ingest", path, "--db", db, "--rejects", tmp_path / "rejects.csv", "--translate", "apertium")
    assert "articles translated into English: 1 (es 1)" in result.stdout
    assert "not translated: fr 1 (no Apertium pair fr->en installed)" in result.stdout
    with Store(db) as store:
        stored = store.articles().set_index("id")
    assert stored.loc["es-1", "title_en"] == "The Russian president refused the ultimatum of Trump."
    assert stored.loc["es-2", "text_en"] == "Given translation."  # a translation given is kept
    assert pd.isna(stored.loc["fr-1", "text_en"]) and pd.isna(stored.loc["en-1", "text_en"])


def test_an_unknown_translator_is_refused(tmp_path):
    result = cli("ingest", tmp_path / "none.jsonl", "--db", tmp_path / "t.db", "--translate", "babelfish",
                 check=False)
    assert result.returncode == 2 and "unknown translator 'babelfish'" in result.stderr
