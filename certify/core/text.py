"""Which characters certify accepts in text from outside, and how it shows text safely.

Text that people type reaches pages, the API, CSV exports, the PDF and terminals. Some
characters there do harm or cannot be stored:

* **Control characters** (Unicode category Cc: NUL, ESC, DEL, the C1 range...): PostgreSQL
  refuses NUL in text; ESC starts terminal escape sequences. Refused everywhere, except tab,
  line feed and carriage return in multi-line text.
* **Invisible format characters** (category Cf): right-to-left overrides and isolates can make
  "Acme" display as something else, zero-width spaces make two names look equal. Refused,
  except the zero-width joiner and non-joiner, which Devanagari, Bengali and other scripts of
  the people certify serves need, and emoji sequences use.
* In single-line text (names, e-mail addresses, serials) tab and line breaks are refused too.

:func:`text_problem` says what is wrong with a piece of text (None when nothing is);
:func:`for_terminal` shows any text safely on a terminal.
"""

from __future__ import annotations

import unicodedata

#: Allowed in multi-line text although they are control characters.
MULTILINE_CONTROLS = frozenset("\t\n\r")
#: Format characters that scripts need: zero-width non-joiner and joiner.
ALLOWED_FORMAT = frozenset("\u200c\u200d")


def bad_character(text: str, *, multiline: bool = True) -> str | None:
    """The first character of *text* that is not accepted, or None."""
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc":
            if multiline and char in MULTILINE_CONTROLS:
                continue
            return char
        if category == "Cf" and char not in ALLOWED_FORMAT:
            return char
    return None


def describe(char: str) -> str:
    """A person-readable name of *char*: ``U+0000 (NULL)``."""
    name = unicodedata.name(char, "")
    if not name and char in _CONTROL_NAMES:
        name = _CONTROL_NAMES[char]
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


_CONTROL_NAMES = {
    "\x00": "NULL",
    "\t": "TAB",
    "\n": "LINE FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
}


def text_problem(text: str, *, multiline: bool = True) -> str | None:
    """What is wrong with *text*, as a message for the person who typed it; None when fine."""
    char = bad_character(text, multiline=multiline)
    if char is None:
        return None
    if char in MULTILINE_CONTROLS:
        return "This must be a single line: remove the line break or tab."
    return (
        f"This contains an invisible or control character ({describe(char)}) that cannot be "
        "stored. Retype the text, or paste it as plain text."
    )


def for_terminal(text: str) -> str:
    """*text* with every control and format character shown as ``\\u....`` (for command-line
    output: a stored name can never move the cursor or recolour a terminal)."""
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text
    )
