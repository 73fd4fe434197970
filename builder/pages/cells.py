"""Grid cells and free text from the data, as safe HTML.

`cell()` follows djangopackages' own `style_element` filter (grid/templatetags/grid_tags.py):
a whole cell of 'check', 'yes', 'good', '+1' or '+' (case-insensitive, stripped) is a check
mark; 'bad', 'negative', 'evil', 'sucks', 'no', '-1', '-' a cross; '++'/'+2' two checks,
'+++' or more (or '+3'..) three, the same for minus; text starting with one of the keywords
gets the icon in front of the rest. One deliberate difference: the live filter also matches a
keyword in the middle of a word ('nothing' becomes a cross and 'thing'); here the keyword must
end at a word boundary. Then, as live (`urlize|linebreaksbr`), http(s) URLs become links and
line breaks are kept. Everything else is escaped text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

YES_KEYWORDS = ("check", "yes", "good", "+1", "+")
NO_KEYWORDS = ("bad", "negative", "evil", "sucks", "no", "-1", "-")
YES = Markup('<span class="yes" role="img" aria-label="yes">✓</span>')
NO = Markup('<span class="no" role="img" aria-label="no">✗</span>')
YES2 = Markup('<span class="yes" role="img" aria-label="yes, 2 of 3">✓✓</span>')
YES3 = Markup('<span class="yes" role="img" aria-label="yes, 3 of 3">✓✓✓</span>')
NO2 = Markup('<span class="no" role="img" aria-label="no, 2 of 3">✗✗</span>')
NO3 = Markup('<span class="no" role="img" aria-label="no, 3 of 3">✗✗✗</span>')
EMPTY = Markup('<span class="na">—</span>')

_PLUS_TWO = re.compile(r"^(\+2|\+{2})$")
_MINUS_TWO = re.compile(r"^(-2|-{2})$")
_PLUS_THREE = re.compile(r"^(\+[3-9]+|\+{3,}|\+[1-9][0-9]+)$")
_MINUS_THREE = re.compile(r"^(-[3-9]+|-{3,}|-[1-9][0-9]+)$")
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""
_NEWLINE = re.compile(r"\r\n|\r|\n")


def _link(url: str) -> str:
    """One URL as an <a>, trailing punctuation left outside (as Django's urlize does)."""
    tail = ""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        tail = url[-1] + tail
        url = url[:-1]
    if len(url) <= len("https://"):
        return str(escape(url + tail))
    href = escape(url)
    return f'<a href="{href}" rel="nofollow">{href}</a>{escape(tail)}'


def _line(text: str) -> str:
    out, last = [], 0
    for m in _URL.finditer(text):
        out.append(str(escape(text[last:m.start()])))
        out.append(_link(m.group()))
        last = m.end()
    out.append(str(escape(text[last:])))
    return "".join(out)


@lru_cache(maxsize=16384)
def text(value: str | None) -> Markup:
    """Free text as HTML: escaped, http(s) URLs linked, line breaks kept as <br>."""
    if not value:
        return Markup("")
    return Markup("<br>".join(_line(line) for line in _NEWLINE.split(value)))


def _icons(low: str) -> Markup | None:
    if low in YES_KEYWORDS:
        return YES
    if low in NO_KEYWORDS:
        return NO
    for pattern, icon in ((_PLUS_TWO, YES2), (_MINUS_TWO, NO2), (_PLUS_THREE, YES3), (_MINUS_THREE, NO3)):
        if pattern.match(low):
            return icon
    return None


def _prefix(value: str) -> tuple[Markup, str] | None:
    for keywords, icon in ((YES_KEYWORDS, YES), (NO_KEYWORDS, NO)):
        for word in keywords:
            if value.startswith(word):
                rest = value[len(word):]
                if rest and (rest[0].isalnum() or rest[0] in "_+-"):
                    continue
                return icon, rest
    return None


@lru_cache(maxsize=65536)
def cell(value: str | None) -> Markup:
    """One grid cell (see the module docstring); missing or blank is '—'."""
    if value is None or not value.strip():
        return EMPTY
    icons = _icons(value.strip().lower())
    if icons is not None:
        return icons
    found = _prefix(value)
    if found is None:
        return text(value)
    icon, rest = found
    return Markup(f"{icon}\u00a0{text(rest)}")
