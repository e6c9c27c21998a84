"""PostgreSQL serves the inbox's substring search on names and titles from trigram indexes (SQLite has
none and scans); message text has a full-text index instead (tests/inbox/test_text_search.py)."""

import pytest
from django.db import connection

from inbox.models import Chat, Message

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only"),
]


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("queryset", "index"),
    [
        (lambda: Chat.objects.filter(buyer_name__icontains="анна"), "chat_buyer_name_trgm_idx"),
        (lambda: Chat.objects.filter(product_title__icontains="чайник"), "chat_product_title_trgm_idx"),
    ],
)
def test_icontains_is_served_by_its_trigram_index(queryset, index):
    assert index in plan(queryset())


def test_upper_folds_cyrillic_so_search_is_case_insensitive(make_account):
    chat = Chat.objects.create(account=make_account("ozon"), external_id="c1", buyer_name="Анна")
    Message.objects.create(
        chat=chat, direction="in", author="buyer", text="Ёлка пришла сломанной", created_at=chat.created_at
    )
    assert Message.objects.filter(text__icontains="ёЛКА").count() == 1
    assert Chat.objects.filter(buyer_name__icontains="аННа").count() == 1
