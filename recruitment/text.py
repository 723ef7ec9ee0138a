"""Text helpers shared by models, filters and imports."""

import unicodedata


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
