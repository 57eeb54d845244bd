"""The translation hook: any object with `translate(texts, source, target)` can fill title_en / text_en.

No offline machine-translation model can be installed from the package registries (argostranslate, Marian and
NLLB all download their models at run time), so none ships. Plug one in from Python:

    class MyTranslator:
        def translate(self, texts: list[str], source: str, target: str = "en") -> list[str]: ...

    perspectives.ingest.ingest_sources(registry, store, translator=MyTranslator())
"""

from __future__ import annotations

from typing import Protocol


class Translator(Protocol):
    def translate(self, texts: list[str], source: str, target: str = "en") -> list[str]:
        """Translate texts from language `source` into `target` (ISO 639-1 codes), in order."""


def add_english(article: dict, translator: Translator | None) -> dict:
    """Fill title_en / text_en for a non-English article that has none, using `translator` when given."""
    language = article.get("language")
    if translator is None or not language or language == "en" or article.get("text_en"):
        return article
    title_en, text_en = translator.translate([article["title"], article["text"]], source=language, target="en")
    return {**article, "title_en": title_en, "text_en": text_en}
