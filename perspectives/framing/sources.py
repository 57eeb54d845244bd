"""Sources and attributions: whom an outlet quotes directly and whom it credits ("according to", "told Reuters").

Rule-based on English sentences: no quotation or attribution model can be installed offline here. The patterns
cover the forms news prose uses most ("...," X said / X said: "..." / according to X / N sources told X /
X said that ...); a pronoun speaker ("he said") is reported as unattributed rather than guessed.
"""

from __future__ import annotations

import re

import pandas as pd

from perspectives.framing.sentences import records

SOURCE_COLUMNS = ["story_id", "outlet", "article_id", "source", "kind", "speaker", "sentence"]

_WORD = r"[A-Z][\w'’\-]*\.?"
_JOIN = r"(?:de|von|van|der|al|bin|la|du|of)"
NAME = rf"{_WORD}(?:\s+(?:{_WORD}|(?:{_JOIN}\s+)+{_WORD}))*"
VERBS = (r"said|says|told(?: reporters| journalists)?|added|stated|warned|wrote|insisted|argued|claimed|noted|"
         r"declared|announced|asked|replied|explained|stressed|tweeted|posted|remarked|confirmed|acknowledged")
_OPEN, _CLOSE = "\"“«„", "\"”»“"
QUOTE = re.compile(rf"[{_OPEN}]([^{_OPEN}{_CLOSE}]{{12,}}?)[{_CLOSE}]")
_NAME_RE = re.compile(NAME)
# Capitalised words that open sentences or clauses without naming anyone.
_NOT_NAMES = {"The", "A", "An", "In", "On", "At", "But", "And", "It", "This", "That", "He", "She", "They", "We", "I",
              "His", "Her", "Their", "Its", "Our", "Mr", "Ms", "Mrs", "Dr", "As", "If", "When", "While", "After",
              "Before", "For", "With", "By", "From", "Asked", "Speaking", "Earlier", "Later", "Meanwhile",
              "Officials", "Analysts", "Experts", "Critics", "Residents", "Sources", "Diplomats", "Observers"}
_PRONOUNS = {"he", "she", "they", "it", "we", "i"}
# Titles and roles that precede a name ("Foreign Minister Annalena Baerbock"): the name is what follows them.
_TITLES = {"President", "Prime", "Minister", "Foreign", "Defence", "Defense", "Finance", "Secretary", "Chancellor",
           "Spokesman", "Spokeswoman", "Spokesperson", "Aide", "Envoy", "Special", "Senator", "Governor", "Ambassador",
           "Chief", "General", "Director", "Commissioner", "Deputy", "Vice", "Representative", "Adviser", "Advisor",
           "Premier", "King", "Queen", "Pope", "Mayor", "Economist", "Analyst", "Professor", "Judge", "Admiral"}


def _is_prefix(word: str) -> bool:
    bare = word.rstrip(".")
    return bare in _TITLES or bare in _NOT_NAMES or bare.endswith(("ian", "ese", "ish", "ean")) or \
        (bare.isupper() and len(bare) <= 3)


def _clean_name(text: str | None) -> str | None:
    if not text:
        return None
    words = [w for w in text.strip(" .,:;").split() if w]
    titles = [i for i, w in enumerate(words[:-1]) if w.rstrip(".") in _TITLES]
    if titles:  # "Commission President Ursula von der Leyen": the name follows the last title
        words = words[titles[-1] + 1:]
    while len(words) > 2 and _is_prefix(words[0]):  # keep "Foreign Ministry" whole
        words = words[1:]
    if not words or words[0].rstrip(".") in _NOT_NAMES:
        return None
    if len(words) == 1 and (_is_prefix(words[0]) and not words[0].isupper() or len(words[0]) < 3
                            and not words[0].isupper()):
        return None  # a lone title, demonym or short word ("British", "No") names no one
    name = " ".join(words)
    return name if name[0].isupper() else None


def _first_clause(text: str) -> str:
    """The part before an apposition or affiliation: "Helen Marsh, a former diplomat" -> "Helen Marsh"."""
    return re.split(r",|\s(?:of|at|from|who|which|with)\s", text.strip(" ,"), maxsplit=1)[0]


def _last_name_in(text: str) -> str | None:
    names = [_clean_name(m.group(0)) for m in _NAME_RE.finditer(text)]
    names = [n for n in names if n]
    return names[-1] if names else None


def _quote_speaker(sentence: str, match: re.Match) -> str | None:
    after = sentence[match.end():]
    before = sentence[: match.start()]
    # "...," said Kremlin spokesman Dmitry Peskov.
    said_then_name = re.match(rf"\s*[,.]?\s*(?:{VERBS})\s+([^.;!?]*)", after)
    if said_then_name:
        return _last_name_in(_first_clause(said_then_name.group(1)))
    # "...," Kremlin aide Yuri Ushakov told reporters.   /   "...," he said.
    name_then_said = re.match(rf"\s*[,.]?\s*([^.;!?\"“«„]{{1,80}}?)\s+(?:{VERBS})\b", after)
    if name_then_said:
        who = _first_clause(name_then_said.group(1))
        return None if who.lower().strip() in _PRONOUNS else _last_name_in(who)
    # Zelensky said: "..."   /   Zelensky, speaking in Kyiv, said that "..."
    name_before = re.search(rf"({NAME})\b[^.;!?\"“«„]{{0,80}}?\b(?:{VERBS})\b[^\"“«„]{{0,12}}$", before)
    if name_before:
        return _clean_name(name_before.group(1))
    return None


_ACCORDING = re.compile(rf"\b(?i:according to)\s+(?:the\s+)?((?:{NAME})|(?:[a-z]+\s+){{0,3}}(?:{NAME}))")
_TOLD = re.compile(rf"\b((?:\w+\s+){{0,3}}(?:sources|officials|diplomats|people|aides|analysts)[^.;]{{0,40}}?)"
                   rf"\s+told\s+(?:the\s+)?({NAME})")
_INDIRECT = re.compile(rf"^[^.;:\"“«„]{{0,60}}?\b({NAME})(?:,[^,]{{1,60}},)?\s+(?:{VERBS})\b(?!\s*[:\"“«„])")


def attributions(sentence: str) -> list[dict]:
    """(source, kind, speaker) found in one sentence; kind is 'quote' for direct quotation, else 'attribution'."""
    found = []
    for match in QUOTE.finditer(sentence):
        speaker = _quote_speaker(sentence, match)
        found.append({"source": speaker or "(unattributed)", "kind": "quote", "speaker": speaker})
    if found:
        return found
    for match in _ACCORDING.finditer(sentence):
        source = _clean_name(_last_name_in(match.group(1)) or match.group(1))
        if source:
            found.append({"source": source, "kind": "attribution", "speaker": None})
    for match in _TOLD.finditer(sentence):
        outlet = _clean_name(match.group(2))
        if outlet:
            found.append({"source": outlet, "kind": "attribution", "speaker": match.group(1).strip()})
    if not found:
        indirect = _INDIRECT.match(sentence)
        if indirect:
            who = _clean_name(indirect.group(1))
            if who and who.split()[0] not in _NOT_NAMES:
                found.append({"source": who, "kind": "attribution", "speaker": who})
    return found


def source_table(sentences) -> pd.DataFrame:
    """Every quote and attribution in a story's sentences (`sentence_table`'s frame or rows)."""
    return pd.DataFrame(source_rows(sentences), columns=SOURCE_COLUMNS)


def source_rows(sentences) -> list[dict]:
    return [{"story_id": s["story_id"], "outlet": s["outlet"], "article_id": s["article_id"], **found,
             "sentence": s["sentence"]}
            for s in records(sentences) for found in attributions(s["sentence"])]
