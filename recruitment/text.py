"""Text helpers shared by models, filters and imports."""

import re
import unicodedata
from functools import lru_cache

# Control characters a name pasted from Word may carry (its soft line break is \x0b): no
# spreadsheet cell may hold them (openpyxl refuses), and no one means them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(text: str) -> str:
    """``text`` with its control characters made spaces (tabs and line ends kept)."""
    return CONTROL_CHARACTERS.sub(" ", text)


# Pure, and asked several times of each name and choice when a large file is imported.
@lru_cache(maxsize=16384)
def search_key(text: str) -> str:
    """Lower-case, diacritic-free form of ``text`` so "nguyen duc toan" finds "Nguyễn Đức Toàn".

    Đ/đ is a letter of its own in Unicode (no combining mark to strip), so it is mapped by hand.
    """
    text = (text or "").replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def mask_citizen_id(value: str | None) -> str:
    """Show only the last four digits of a citizen ID (CCCD)."""
    if not value:
        return ""
    return "•" * (len(value) - 4) + value[-4:]


# Free text that means "no religion".
NO_RELIGION = {"", "-", "khong", "khong co", "khong theo ton giao", "none", "no"}


def normalise_religion(text: str) -> str:
    """ "None" written out in words means no religion, so it does not count as one."""
    value = " ".join((text or "").split())
    return "" if search_key(value) in NO_RELIGION else value


def normalise_ethnicity(text: str, majority: str) -> str:
    """One spelling per group ("dân tộc Kinh", "kinh " → "Kinh"), as the figures count them."""
    value = " ".join(unicodedata.normalize("NFC", text or "").split())
    if search_key(value).startswith("dan toc "):
        value = value[len("dân tộc ") :]
    if search_key(value) == search_key(majority):
        return majority
    return value[:1].upper() + value[1:]


class LazyMessage:
    """A translatable message whose placeholders are filled when it is shown, not before.

    ``gettext_lazy("… %(name)s") % values`` translates at once, in the language active when
    the message was made: a refusal made in a Vietnamese request and shown later on an
    English page would stay Vietnamese. ``lazy_message("… %(name)s") % values`` waits for
    ``str()``. Placeholder values may themselves be lazy (a field's verbose name).
    """

    def __init__(self, message: str, values: dict | None = None):
        self.message = message
        self.values = values

    def __mod__(self, values: dict) -> "LazyMessage":
        return LazyMessage(self.message, values)

    def __str__(self) -> str:
        from django.utils.functional import Promise
        from django.utils.translation import gettext

        text = gettext(self.message)
        if self.values is None:
            return text
        lazy = (Promise, LazyMessage)
        return text % {k: str(v) if isinstance(v, lazy) else v for k, v in self.values.items()}

    def __repr__(self) -> str:
        return f"LazyMessage({self.message!r})"

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.message)


def lazy_message(message: str) -> LazyMessage:
    """Mark ``message`` for translation when shown (import it as ``_`` for makemessages)."""
    return LazyMessage(message)
