"""HTML for the story page, and `inert`, through which every untrusted string passes before Streamlit shows it
as HTML or Markdown: the app never shows raw HTML or Markdown from the data."""

from __future__ import annotations

import html
import re
import string

import pandas as pd

from perspectives.ingest.schema import is_web_url
from perspectives.text import map_strings

# Every ASCII punctuation character (HTML's < & " and Markdown's [ ] ( ) ! * _ ` # | and Streamlit's $ math and
# :directives: among them) as a character reference; line breaks as spaces.
_MARKUP = {ord(c): f"&#{ord(c)};" for c in string.punctuation} | {ord("\n"): " ", ord("\r"): " "}

TAKES_CSS = """
<style>
.takes {display: flex; gap: 0.9rem; overflow-x: auto; padding-bottom: 0.6rem;}
.take {flex: 0 0 330px; border: 1px solid rgba(128,128,128,0.35); border-radius: 0.5rem; padding: 0.8rem;}
.take h4 {margin: 0.2rem 0 0.4rem 0; font-size: 1.02rem; line-height: 1.3;}
.take .meta {font-size: 0.8rem; opacity: 0.75;}
.take .wire {font-size: 0.8rem; background: rgba(90,140,255,0.15); border-radius: 0.3rem; padding: 0.1rem 0.4rem;
             margin-top: 0.2rem;}
.take .lede {font-size: 0.9rem; line-height: 1.45;}
.take .english {font-size: 0.86rem; font-style: italic; opacity: 0.9; border-left: 3px solid rgba(128,128,128,0.4);
                padding-left: 0.5rem; margin-top: 0.4rem;}
.take mark {background: #ffe08a; color: #222; padding: 0 0.1rem; border-radius: 0.15rem;}
.take .terms span {display: inline-block; font-size: 0.78rem; background: rgba(255,200,60,0.25);
                   border-radius: 0.7rem; padding: 0.05rem 0.5rem; margin: 0.15rem 0.2rem 0 0;}
</style>
"""


def inert(text) -> str:
    """`text` that shows as the characters it holds in an HTML block and in Markdown: punctuation goes in as
    character references, which both decode without reading markup, and no line break is left, since a blank line
    ends an HTML block and the rest would be read as Markdown (`![x](http://host/pixel.png)` would load an image).

    Free text (headlines, outlets, actors) goes in HTML blocks only (`block`): Streamlit's Markdown turns any URL
    in its decoded text into a link, but leaves HTML blocks alone."""
    return str(text if text is not None else "").translate(_MARKUP)


def block(tag: str, text, lead: str = "") -> str:
    """An HTML block: `<tag>`, an optional bold `lead` (markup of ours), then `text` made inert."""
    return f"<{tag}>" + (f"<b>{lead}</b> " if lead else "") + f"{inert(text)}</{tag}>"


def plotly_label(text: str) -> str:
    """`text` that plotly shows as it is: plotly reads tags in titles, labels and hover text (an <a href> becomes a
    link), so & < > go in as the entities it decodes back."""
    return html.escape(text, quote=False)


def plotly_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell made a `plotly_label`."""
    return map_strings(frame, plotly_label)


def counted(n: int, one: str, many: str) -> str:
    """'1 story', '3 stories'."""
    return f"{n:,} {one if n == 1 else many}"


def flag(country: str | None) -> str:
    """The regional-indicator flag emoji for an ISO alpha-2 code."""
    if not country or len(country) != 2 or not country.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in country.upper())


def highlight(text: str | None, terms: list[str]) -> str:
    """`text` made inert, with whole-word matches of `terms` wrapped in <mark>."""
    text = text or ""
    terms = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not terms:
        return inert(text)
    pattern = re.compile(r"\b(" + "|".join(r"\s+".join(map(re.escape, t.split())) for t in terms) + r")\b",
                         re.IGNORECASE)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(inert(text[last:match.start()]))
        parts.append(f"<mark>{inert(match.group(0))}</mark>")
        last = match.end()
    parts.append(inert(text[last:]))
    return "".join(parts)


def shown_time(value) -> str | None:
    """A stored UTC time as an editor reads it: "2025-09-08 14:05 UTC", or the day alone where the source gave a day
    without a time (stored as midnight); None where there is none (None, or pandas' NaN)."""
    if not isinstance(value, str) or not value:
        return None
    day, _, time = value.partition("T")
    return day if time in ("", "00:00:00Z") else f"{day} {time[:5]} UTC"


def safe_url(url: str | None) -> str | None:
    """The URL when it is an http(s) link, else None (no javascript: or data: links)."""
    return url if is_web_url(url) else None


def heading(headline: str | None) -> str:
    """A card's headline, or nothing where its take has none (a one-line summary's)."""
    return f"<h4>{inert(headline)}</h4>" if headline else ""


def take_card(take: dict) -> str:
    terms = list(take.get("distinctive_terms") or [])
    has_english = bool(take.get("lede_en") or take.get("headline_en"))
    # Terms are English (they come from the English view), so they are marked where English text is shown.
    lede = highlight(take.get("lede"), [] if has_english else terms)
    english = ""
    if has_english:
        headline_en = f"<b>{inert(take['headline_en'])}</b><br>" if take.get("headline_en") else ""
        english = f'<div class="english">{headline_en}{highlight(take.get("lede_en"), terms)}</div>'
    chips = "".join(f"<span>{inert(t)}</span>" for t in terms)
    when = inert(shown_time(take.get("published_at")) or "")
    wire = ""
    if take.get("wire_note"):
        others = ", ".join(take.get("also_ran") or [])
        wire = f'<div class="wire">{inert(take["wire_note"])} (also: {inert(others)})</div>'
    return (
        f'<div class="take"><div class="meta">{flag(take.get("country"))} {inert(take.get("country") or "")}'
        f' · {inert(take.get("language") or "")} · {when}</div>'
        f'<div><b>{inert(take["outlet"])}</b></div>{wire}{heading(take.get("headline"))}'
        f'<div class="lede">{lede}</div>{english}'
        f'<div class="terms">{chips}</div></div>'
    )


def takes_row(takes: list[dict]) -> str:
    """One card per outlet, side by side, scrolling sideways when there are many."""
    return TAKES_CSS + '<div class="takes">' + "".join(take_card(t) for t in takes) + "</div>"


def country_row(takes: list[dict]) -> str:
    """One card per country, listing each of its outlets' headline and lede."""
    by_country: dict[str, list[dict]] = {}
    for take in takes:
        by_country.setdefault(take.get("country") or "?", []).append(take)
    cards = []
    for country, items in sorted(by_country.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        body = "".join(
            f'<div class="meta">{inert(t["outlet"])}</div>'
            f'{heading(t.get("headline_en") or t.get("headline"))}'
            f'<div class="lede">{highlight(t.get("lede_en") or t.get("lede"), list(t.get("distinctive_terms") or []))}'
            "</div>"
            for t in items)
        cards.append(f'<div class="take"><div><b>{flag(country)} {inert(country)}</b> · {len(items)} outlet(s)'
                     f"</div>{body}</div>")
    return TAKES_CSS + '<div class="takes">' + "".join(cards) + "</div>"
