"""Every page answers with a strict Content-Security-Policy and the other protective headers, and no
page of ours carries inline scripts, inline styles or inline event handlers the policy would block."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from inbox.models import Message

pytestmark = pytest.mark.django_db

INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


@pytest.fixture
def boss_client(make_account, make_chat):
    boss = User.objects.create_superuser("boss", password="boss-password-123")
    account = make_account("ozon", members=[boss])
    chat = make_chat(account)
    Message.objects.create(
        chat=chat,
        external_id="1",
        direction="in",
        author="buyer",
        text="<script>alert(1)</script>",
        created_at="2026-11-01T10:00Z",
        attachments=[{"kind": "image", "name": "фото.jpg"}],
    )
    client = Client()
    client.force_login(boss)
    return client, account, chat


def _pages(account, chat) -> list[str]:
    return [
        reverse("inbox:index"),
        reverse("inbox:chat", args=[chat.pk]),
        "/reports/",
        "/profile/",
        "/account/api-tokens/",
        "/account/two-factor/",
        "/admin/",
        f"/admin/accounts/marketplaceaccount/{account.pk}/change/",
        "/admin/inbox/chat/",
        "/admin/audit/auditevent/",
        "/api/docs/",
        "/api/chat/chats",
        "/login/",
    ]


def test_every_page_sends_the_headers_and_holds_no_inline_code(boss_client):
    client, account, chat = boss_client
    for path in _pages(account, chat):
        response = client.get(path, follow=False)
        assert response.status_code == 200, path
        policy = response["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, path
        assert "frame-ancestors 'none'" in policy, path
        assert response["X-Frame-Options"] == "DENY", path
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["Referrer-Policy"] == "same-origin", path
        if response["Content-Type"].startswith("text/html"):
            html = response.content.decode()
            assert not INLINE_HANDLER.search(html), (path, INLINE_HANDLER.search(html).group(0))
            assert not INLINE_SCRIPT.search(html), (path, INLINE_SCRIPT.search(html).group(0))
            assert not STYLE_ATTRIBUTE.search(html), (path, STYLE_ATTRIBUTE.search(html).group(0))
