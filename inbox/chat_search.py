"""The inbox search box: chats whose buyer name, product title, order/posting number, SKU or id match
the query, or that hold a message with every word of it in any form (inbox/text_search.py)."""

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from inbox.models import Chat, Message
from inbox.text_search import chat_ids_with_few_text_matches, message_text_matching


def chat_search_condition(*, query: str) -> Q:
    return _fields_condition(query=query) | Q(_text_condition(query=query))


def _fields_condition(*, query: str) -> Q:
    name_match = Q()
    for variant in _case_variants(query):
        name_match |= Q(buyer_name__icontains=variant) | Q(product_title__icontains=variant)
    # Order/posting numbers and SKUs are matched by prefix/exactly so their indexes serve them.
    return name_match | Q(order_number__startswith=query) | Q(product_sku=query) | Q(external_id=query)


def _text_condition(*, query: str) -> Exists:
    # EXISTS, not IN: the chats are walked newest first and each is probed through its messages'
    # index, so a word in a fifth of all messages does not look up every one of them.
    return Exists(message_text_matching(messages=Message.objects.filter(chat=OuterRef("pk")), query=query))


def _case_variants(query: str) -> list[str]:
    """SQLite's LIKE folds case for ASCII only, so Cyrillic needs the usual spellings spelled out."""
    if connection.vendor != "sqlite" or query.isascii():
        return [query]
    return list(dict.fromkeys([query, query.lower(), query.capitalize(), query.upper()]))


def chat_search_page_applied(*, chats: QuerySet[Chat], query: str, limit: int) -> QuerySet[Chat]:
    """`chats` (already ordered and past the cursor) narrowed to the search, for one page of `limit`.

    The page of an OR is the page of the union of each side's own page. Asked as one OR, PostgreSQL
    cannot walk the chats and probe their messages for the text side: it collects every matching
    message first (350 ms for a word in a sixth of a million messages). Alone, the text side keeps
    that walk (or the index, for rare words), and the fields side keeps its own indexes.
    """
    if not query:
        return chats
    few = chat_ids_with_few_text_matches(query=query)
    text_condition = Q(pk__in=few) if few is not None else Q(_text_condition(query=query))
    text_page = chats.filter(text_condition).values("pk")[: limit + 1]
    return chats.filter(_fields_condition(query=query) | Q(pk__in=text_page))
