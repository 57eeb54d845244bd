"""Markup in given text: HTML fragments (feed summaries, a CMS's export) read as plain text, character references
("&#8217;", "&amp;") as the characters they name."""

from __future__ import annotations

import html
import re

import lxml.html

# Elements that break the text they sit in: their text starts and ends a line (`<p>A.</p><p>B.</p>` is not "A.B.").
_BLOCKS = frozenset({"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
                     "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p", "pre",
                     "section", "table", "td", "th", "tr", "ul"})
# A tag a text written as HTML holds; one a plain text would not (a literal "<" stays: "3 < 5").
_MARKUP = re.compile(r"</?(?:a|b|blockquote|br|div|em|figure|h[1-6]|i|img|li|ol|p|section|span|strong|table|ul)"
                     r"(?:\s[^<>]{0,2000})?/?>", re.IGNORECASE)
# A character reference with its semicolon: "&amp" or "AT&T" without one are left as written.
_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def is_markup(text: str) -> bool:
    """Whether `text` is written as HTML (holds a tag such as <p>, <br> or <a href=...>)."""
    return _MARKUP.search(text) is not None


def html_to_text(fragment: str | None, paragraphs: bool = False) -> str:
    """The text of an HTML fragment, scripts and styles dropped: one line, or with `paragraphs` each block on a
    paragraph of its own (a blank line between)."""
    if not fragment or not fragment.strip():
        return ""
    try:
        tree = lxml.html.fromstring(fragment)
    except Exception:  # lxml raises several types on fragments that are plain text or broken
        return fragment.strip()
    for bad in tree.xpath("//script|//style"):
        bad.drop_tree()
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.text = "\n" + (element.text or "")
            element.tail = "\n" + (element.tail or "")
    lines = [" ".join(line.split()) for line in tree.text_content().split("\n")]
    return ("\n\n" if paragraphs else " ").join(line for line in lines if line)


def read_references(text: str) -> str:
    """`text` with its character references read ("Trump&#8217;s" -> "Trump’s", "&amp;" -> "&")."""
    return _REFERENCE.sub(lambda reference: html.unescape(reference[0]), text)
