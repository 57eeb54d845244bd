"""Translation into English: a pluggable `Translator` that fills title_en / text_en, and Apertium as one.

Any object with `translate(texts, source, target) -> list[str]` is a translator; it raises `TranslationError`
(or `UnsupportedLanguage`) for texts it cannot translate, and the ingest stores those articles untranslated and
reports the language. Plug a better one in from Python:

    class MyTranslator:
        def translate(self, texts: list[str], source: str, target: str = "en") -> list[str]: ...

    perspectives.pipeline.ingest(..., translator=MyTranslator())

`ApertiumTranslator` runs Apertium, the offline rule-based translator Debian packages (`apt-get install apertium
apertium-eng-spa`, ...), for the X->English pairs installed (`--translate apertium` on the command line).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import subprocess
from collections import Counter
from typing import Protocol

import pandas as pd
import pycountry

from perspectives.ingest.files import InputError
from perspectives.text import present

# Apertium names Serbo-Croatian as one language (hbs); a store names it by its standards (lingua detects these).
_SERBO_CROATIAN = ("sh", "sr", "hr", "bs")
# The html format keeps tags where they were, so a rule between texts splits one process's output back into texts.
_SEPARATOR = "<hr>"
_SPLIT = re.compile(r"<hr\s*/?>", re.IGNORECASE)


class TranslationError(Exception):
    """Texts could not be translated; the article is stored without an English version."""


class UnsupportedLanguage(TranslationError):
    """The translator has no model for this language pair."""


class Translator(Protocol):
    def translate(self, texts: list[str], source: str, target: str = "en") -> list[str]:
        """Translate texts from language `source` into `target` (ISO 639-1 codes), in order."""


def _iso639_1(code: str) -> tuple[str, ...]:
    """The ISO 639-1 code(s) an Apertium language code stands for (none when it has no 639-1 code)."""
    if code == "hbs":
        return _SERBO_CROATIAN
    if len(code) == 2:
        return (code,)
    language = pycountry.languages.get(alpha_3=code)
    return (language.alpha_2,) if language is not None and hasattr(language, "alpha_2") else ()


def apertium_modes(listing: str, target: str = "en") -> dict[str, str]:
    """ISO 639-1 source language -> Apertium mode into `target`, from `apertium -l` output. Variants
    (`spa-eng_US`) and debugging modes (`eo-en-bytecode`) are left out: the plain pair is the standard one."""
    modes: dict[str, str] = {}
    for mode in listing.split():
        found = re.fullmatch(r"([a-z]{2,3})-([a-z]{2,3})", mode)
        if found and target in _iso639_1(found.group(2)):
            modes.update((code, mode) for code in _iso639_1(found.group(1)))
    return modes


class ApertiumTranslator:
    """Apertium as a translator: one `apertium` process per call, so callers translate in batches.

    Unknown words are left as they are (without Apertium's `*` marks). A process that runs longer than
    `timeout` seconds is stopped and its texts reported untranslated.
    """

    def __init__(self, executable: str = "apertium", timeout: float = 120.0):
        found = shutil.which(executable)
        if found is None:
            raise InputError(f"{executable} is not installed (Debian: apt-get install apertium apertium-eng-spa)")
        self.executable = found
        self.timeout = timeout
        # Listing the installed modes reads one folder: it is never slow.
        listing = subprocess.run([self.executable, "-l"], capture_output=True, text=True, timeout=30).stdout
        self.modes = apertium_modes(listing)  # the languages it translates into English -> Apertium mode

    def translate(self, texts: list[str], source: str, target: str = "en") -> list[str]:
        if target != "en" or source not in self.modes:
            raise UnsupportedLanguage(f"no Apertium pair {source}->{target} installed")
        # Each text HTML-escaped between rules: nothing a text contains can pass for a separator.
        document = _SEPARATOR.join(f"<p>{html.escape(text, quote=False)}</p>" for text in texts)
        output = self._run(self.modes[source], document)
        parts = _SPLIT.split(output.strip())
        if len(parts) != len(texts):
            raise TranslationError(f"apertium {self.modes[source]} returned {len(parts)} texts for {len(texts)}")
        return [html.unescape(re.sub(r"</?p>", "", part)) for part in parts]

    def _run(self, mode: str, document: str) -> str:
        # apertium is a shell pipeline of several programs: its own process group, so a timeout stops all of them.
        with subprocess.Popen([self.executable, "-u", "-f", "html", mode], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True) as process:
            try:
                output, errors = process.communicate(document, timeout=self.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                raise TranslationError(f"apertium {mode} ran past {self.timeout:g} s") from None
        if process.returncode != 0:
            detail = (errors.strip().splitlines() or ["no message"])[-1][:200]
            raise TranslationError(f"apertium {mode} failed: {detail}")
        return output


TRANSLATORS = {"apertium": ApertiumTranslator}


def translator_named(name: str) -> Translator:
    """A translator by its command-line name; InputError for an unknown name or one that is not installed."""
    if name not in TRANSLATORS:
        raise InputError(f"unknown translator {name!r} (known: {', '.join(TRANSLATORS)})")
    return TRANSLATORS[name]()


class TranslationLog:
    """A translator that counts, per source language, the articles it translated and those it could not."""

    def __init__(self, translator: Translator):
        self.translator = translator
        self.translated: Counter = Counter()
        self.untranslated: Counter = Counter()
        self.reasons: dict[str, str] = {}  # language -> why its last failure happened

    def translate(self, texts: list[str], source: str, target: str = "en") -> list[str]:
        """One article's title and text, as `add_english` asks."""
        return self.articles(texts, source, target, count=1)

    def articles(self, texts: list[str], source: str, target: str, count: int) -> list[str]:
        """Translate the texts of `count` articles, counting them as translated or not."""
        try:
            done = self.translator.translate(texts, source=source, target=target)
        except TranslationError as exc:
            self.untranslated[source] += count
            self.reasons[source] = str(exc)
            raise
        self.translated[source] += count
        return done


def _needs_english(language, text_en) -> bool:
    return present(language) and language != "en" and not present(text_en)


def add_english(article: dict, translator: Translator | None) -> dict:
    """Fill title_en / text_en for a non-English article that has none, using `translator` when given; an article
    it cannot translate is returned as it is."""
    if translator is None or not _needs_english(article.get("language"), article.get("text_en")):
        return article
    try:
        title_en, text_en = translator.translate([article["title"], article["text"]], source=article["language"],
                                                 target="en")
    except TranslationError:
        return article
    return {**article, "title_en": title_en, "text_en": text_en}


def translate_articles(articles: pd.DataFrame, log: TranslationLog, batch: int = 64) -> pd.DataFrame:
    """`add_english` for a table of articles: per language, `batch` articles (titles and texts) per call."""
    todo = articles[[_needs_english(lang, en) for lang, en in zip(articles["language"], articles["text_en"])]]
    if todo.empty:
        return articles
    articles = articles.astype({"title_en": object, "text_en": object})  # a copy that can take text where NaN was
    for language, group in todo.groupby("language"):
        for start in range(0, len(group), batch):
            rows = group.iloc[start:start + batch]
            try:
                done = log.articles([*rows["title"], *rows["text"]], language, "en", count=len(rows))
            except TranslationError:
                continue
            articles.loc[rows.index, "title_en"] = done[:len(rows)]
            articles.loc[rows.index, "text_en"] = done[len(rows):]
    return articles
