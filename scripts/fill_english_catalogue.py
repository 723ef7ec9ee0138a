"""Make the English catalogue complete: source strings are English, so msgstr = msgid.

Run by `make messages` after makemessages. An entry someone translated by hand is kept.
"""

from pathlib import Path

import polib

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def main() -> None:
    catalogue = polib.pofile(str(CATALOGUE))
    for entry in catalogue:
        if entry.msgid_plural:
            if not any(entry.msgstr_plural.values()):
                entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
        elif not entry.msgstr:
            entry.msgstr = entry.msgid
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalogue.metadata["Language"] = "en"
    catalogue.metadata["Plural-Forms"] = "nplurals=2; plural=(n != 1);"
    catalogue.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    catalogue.save()


if __name__ == "__main__":
    main()
