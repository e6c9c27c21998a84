import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES"


def test_russian_catalogue_is_complete_and_compiled():
    source = (LOCALE / "django.po").read_text()
    assert "#, fuzzy" not in source
    entries = source.split("\n\n")[1:]
    untranslated = [
        entry for entry in entries if re.search(r'^msgstr(\[\d\])? ""$(?!\n")', entry, re.MULTILINE)
    ]
    assert untranslated == []
    compiled = gettext.GNUTranslations((LOCALE / "django.mo").open("rb"))
    assert compiled.gettext("Inbox") == "Входящие"
    placeholder = "Reply to the buyer… Enter sends, Shift+Enter adds a line, / opens templates"
    assert compiled.gettext(placeholder).startswith("Ответ покупателю")


@pytest.mark.django_db
def test_inbox_speaks_russian_by_default_and_english_on_request(client, agent, make_account, make_chat):
    make_account("ozon", members=[agent])
    client.force_login(agent)
    russian = client.get(reverse("inbox:index")).content.decode()
    assert "Входящие" in russian
    assert "Дольше всех ждут" in russian
    client.post(reverse("set_language"), {"language": "en", "next": "/inbox/"})
    english = client.get(reverse("inbox:index")).content.decode()
    assert 'lang="en"' in english
    assert "Longest waiting" in english
