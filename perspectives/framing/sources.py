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
    start = 0
    while len(words) - start > 2 and _is_prefix(words[start]):  # keep "Foreign Ministry" whole
        start += 1
    words = words[start:]
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


# Every pattern below is linear in its input. Possessive quantifiers (*+, ++, ?+) and atomic groups mark the places
# where giving characters back could never lead to a match (whitespace before a verb, a name before a comma), which
# spares the engine retrying every split of a long run of spaces or capitalised words. A quote's speaker is looked
# for in a bounded window around it, so each quote costs the same however long its sentence is.
_BEFORE_QUOTE, _AFTER_QUOTE = 400, 300
_PADDING = r"\s*+(?:[,.]\s*+)?+"  # between a quote and what follows it
# "...," said Kremlin spokesman Dmitry Peskov.
_SAID_THEN_NAME = re.compile(rf"{_PADDING}(?:{VERBS})\s+([^.;!?]*)")
# "...," Kremlin aide Yuri Ushakov told reporters.   /   "...," he said.
_NAME_THEN_SAID = re.compile(rf"{_PADDING}([^.;!?\"“«„]{{1,80}}?)\s++(?:{VERBS})\b")
# Zelensky said: "..."   /   Zelensky, speaking in Kyiv, said that "..." : the verb closes the text before the quote
# and the name ends at most _NAME_GAP characters before the verb, with no sentence punctuation between.
_SAID_AT_END = re.compile(rf"\b(?:{VERBS})\b[^\"“«„]{{0,12}}$")
_VERB_REACH = 12 + len("told journalists")  # where the verb can start: its longest form, then 12 characters
_NAME_GAP, _GAP_BREAKS = 80, ".;!?\"“«„"
_WORD_RE = re.compile(_WORD)
_BOUNDARY = re.compile(r"\b")
_NON_SPACE, _PADDING_RE = re.compile(r"\S*"), re.compile(_PADDING)


def _quote_speaker(sentence: str, match: re.Match) -> str | None:
    before, after = _context(sentence, match)
    said_then_name = _SAID_THEN_NAME.match(after)
    if said_then_name:
        return _last_name_in(_first_clause(said_then_name.group(1)))
    name_then_said = _NAME_THEN_SAID.match(after)
    if name_then_said:
        who = _first_clause(name_then_said.group(1))
        return None if who.lower().strip() in _PRONOUNS else _last_name_in(who)
    return _name_before(before)


def _context(sentence: str, match: re.Match) -> tuple[str, str]:
    """The text before and after a quote, each in a bounded window (the one after counted from the first word) that
    leaves out a word it would cut in two."""
    start, end = max(0, match.start() - _BEFORE_QUOTE), _PADDING_RE.match(sentence, match.end()).end() + _AFTER_QUOTE
    if start and not sentence[start - 1].isspace():
        start = _NON_SPACE.match(sentence, start, match.start()).end()
    if end < len(sentence) and not sentence[end].isspace():
        end = max(match.end(), sentence.rfind(" ", match.end(), end))
    return sentence[start:match.start()], sentence[match.end():end]


def _name_before(before: str) -> str | None:
    """The name that says the quote after `before` (`X said: "..."`), found from the verb back: the first run of
    capitalised words with a word end in reach of the verb, cut at the last such end. The same answer as searching
    `NAME, gap, verb, end` forwards, which retries every word of a long run of capitalised words."""
    verbs = [v for v in range(max(0, len(before) - _VERB_REACH), len(before)) if _SAID_AT_END.match(before, v)]
    if not verbs:
        return None
    reach = [(max(v - _NAME_GAP, *(before.rfind(c, 0, v) + 1 for c in _GAP_BREAKS)), v) for v in verbs]
    lowest, highest = min(lo for lo, _ in reach), max(verbs)
    for run in _NAME_RE.finditer(before):
        if run.start() >= highest:
            break
        if run.end() < lowest:
            continue
        ends = _word_ends(before, run)
        for end in range(min(run.end(), highest), max(run.start(), lowest - 1), -1):
            if end in ends and any(lo <= end <= v for lo, v in reach) and _BOUNDARY.match(before, end):
                return _clean_name(before[run.start():end])
    return None


def _word_ends(text: str, run: re.Match) -> set[int]:
    """Where a name starting where `run` starts can end: after any character of one of the run's capitalised words."""
    return {end for word in _WORD_RE.finditer(text, run.start(), run.end())
            for end in range(word.start() + 1, word.end() + 1)}


_ACCORDING = re.compile(rf"\b(?i:according to)\s++(?:the\s+)?((?:{NAME})|(?:[a-z]++\s++){{0,3}}(?:{NAME}))")
_TOLD = re.compile(rf"\b((?:\w++\s++){{0,3}}(?:sources|officials|diplomats|people|aides|analysts)[^.;]{{0,40}}?)"
                   rf"\s++told\s+(?:the\s+)?({NAME})")
_INDIRECT = re.compile(rf"^[^.;:\"“«„]{{0,60}}?\b((?>{NAME}))(?:,[^,]{{1,60}},)?\s++(?:{VERBS})\b(?!\s*[:\"“«„])")


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
