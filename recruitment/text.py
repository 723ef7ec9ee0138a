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
