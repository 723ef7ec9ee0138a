"""Vietnamese first, English complete: the catalogues are whole and compiled."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_catalogue_is_complete(language):
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert len(catalogue) > 300


@pytest.mark.parametrize("language", ["vi", "en"])
def test_compiled_catalogue_matches_its_source(language):
    folder = LOCALE / language / "LC_MESSAGES"
    source = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0) for e in
              polib.pofile(str(folder / "django.po")).translated_entries()}  # fmt: skip
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0) for e in
                polib.mofile(str(folder / "django.mo"))}  # fmt: skip
    compiled.pop((None, ""), None)  # the header
    assert compiled == source, "run `make messages` to recompile"


def test_placeholders_survive_translation():
    catalogue = polib.pofile(str(LOCALE / "vi" / "LC_MESSAGES" / "django.po"))
    import re

    pattern = re.compile(r"%\(\w+\)[sd]|%[sd]")
    for entry in catalogue.translated_entries():
        translated = entry.msgstr or entry.msgstr_plural[0]
        assert sorted(pattern.findall(entry.msgid)) == sorted(pattern.findall(translated)), (
            entry.msgid
        )


@pytest.mark.django_db  # every request runs in a transaction (ATOMIC_REQUESTS)
def test_vietnamese_is_the_default_language(client):
    response = client.get("/accounts/login/")
    assert response.headers["Content-Language"] == "vi"
    assert 'lang="vi"' in response.text
    with translation.override("vi"):
        assert translation.gettext("Sign in") != "Sign in"


@pytest.mark.django_db
def test_browser_language_does_not_override_vietnamese(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "vi"


@pytest.mark.django_db
def test_language_switch_is_remembered(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    response = client.get("/accounts/login/")
    assert response.headers["Content-Language"] == "en"
    assert "Sign in" in response.text
