"""Message text search served by the database's own text index (the one selector for it).

PostgreSQL: full-text search with Russian stemming on `to_tsvector('russian', text)`, kept in the
stored generated column `text_search` with a GIN index (migrations inbox/0013, 0015). SQLite: the
FTS5 table `inbox_message_fts` (unicode61 tokenizer, kept in sync by triggers; the team's answers in its
`answer` column, every other message in `text`, migration inbox/0018) queried with prefix
terms built from Snowball stems, the same algorithm PostgreSQL's `russian` configuration uses, so
"возврат" finds "возврата" on both. Where the index cannot exist (an SQLite build without FTS5,
another database) the old substring match is the fallback.
"""

import re
from datetime import datetime
from functools import lru_cache

import snowballstemmer
from django.db import connection, transaction
from django.db.models import BooleanField, Expression, F, Q, QuerySet
from django.db.models.expressions import RawSQL

from inbox.models import Message

FTS_TABLE = "inbox_message_fts"
# The column of the FTS5 table that holds the team's answers (inbox/0018).
ANSWER_COLUMN = "answer"
# Named index and plain subqueries: without statistics (a new database, or before the hourly ANALYZE of
# inbox/services/statistics.py) SQLite would rather start from the account's chats, or from every
# match, and sort them all.
ANSWERS_WALK = (
    "SELECT m.text FROM inbox_message m INDEXED BY message_answers_recent_idx "
    "WHERE m.author = 'seller' AND m.created_at >= %s AND m.chat_id <> %s AND m.text <> '' "
    "AND m.chat_id IN (SELECT id FROM inbox_chat WHERE account_id = %s) "
    "AND m.id IN (SELECT rowid FROM inbox_message_fts WHERE inbox_message_fts MATCH %s) "
    "ORDER BY m.created_at DESC, m.id DESC LIMIT %s"
)
ANSWER_ROWIDS_FIRST = "SELECT rowid FROM inbox_message_fts WHERE inbox_message_fts MATCH %s LIMIT %s"
# PostgreSQL only, outside the model: see migration inbox/0015.
SEARCH_COLUMN = "text_search"
ANSWER_SEARCH_COLUMN = "answer_search"
# Several words held by at most this many messages: their chats are found through the index as a set.
FEW_MATCHES = 3000
CHAT_IDS_MATCHING = (
    "SELECT chat_id FROM inbox_message "
    "WHERE text_search @@ plainto_tsquery('russian'::regconfig, %s) LIMIT %s"
)
# Up to this many matching answers are looked up one by one; beyond it a word is common enough among
# answers that walking the recent ones and checking each against the match set finds `limit` sooner.
ANSWERS_LOOKED_UP = 2000
FTS_ROWIDS = "SELECT rowid FROM inbox_message_fts WHERE inbox_message_fts MATCH %s"
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=2)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(language)


def fold(text: str) -> str:
    """What the SQLite index stores: ё read as е (unicode61 already folds case)."""
    return text.replace("ё", "е").replace("Ё", "Е")


def search_words(query: str) -> list[str]:
    """The query's words, lower case, ё as е, each once, in order."""
    return list(dict.fromkeys(fold(word.lower()) for word in _WORD.findall(query)))


def word_stem(word: str) -> str:
    """The Snowball stem (Russian, or English for Latin words, as PostgreSQL's `russian` config does)."""
    language = "english" if word.isascii() else "russian"
    return _stemmer(language).stemWord(word) or word


class _TextMatches(Expression):
    """`<column> @@ <tsquery>`; the column holds `strip(to_tsvector('russian', text))` (inbox/0015)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, text: Expression, *, function: str, query: str, column: str = SEARCH_COLUMN) -> None:
        super().__init__()
        self.text = text
        self.column = column
        self.function = function
        self.query = query

    def get_source_expressions(self) -> list[Expression]:
        return [self.text]

    def set_source_expressions(self, expressions: list[Expression]) -> None:
        (self.text,) = expressions

    def resolve_expression(self, *args, **kwargs) -> "_TextMatches":
        clone = self.copy()
        clone.text = self.text.resolve_expression(*args, **kwargs)
        return clone

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        table = compiler.quote_name_unless_alias(self.text.alias)
        column = f"{table}.{connection.ops.quote_name(self.column)}"
        return f"{column} @@ {self.function}('russian'::regconfig, %s)", [self.query]


@lru_cache(maxsize=8)
def _sqlite_index_exists(alias: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE])
        return cursor.fetchone() is not None


def text_index_available() -> bool:
    if connection.vendor == "postgresql":
        return True
    if connection.vendor == "sqlite":
        return _sqlite_index_exists(connection.settings_dict["NAME"])
    return False


def _fts5_expression(words: list[str], *, any_word: bool, column: str | None = None) -> str:
    """Every stem is a quoted prefix term: no user input reaches FTS5's query syntax. `column`: only
    matches in that column of the index (any column otherwise)."""
    terms = [f'"{word_stem(word)}"*' for word in words]
    expression = (" OR " if any_word else " ").join(terms)
    return f"{column} : ({expression})" if column else expression


def _substring_condition(words: list[str], *, any_word: bool) -> Q:
    condition = Q()
    for word in words:
        variants = Q()
        for variant in dict.fromkeys([word, word.capitalize(), word.upper()]):
            variants |= Q(text__icontains=variant)
        condition = (condition | variants) if any_word else (condition & variants)
    return condition


def message_text_matching(
    *, messages: QuerySet[Message], query: str, any_word: bool = False
) -> QuerySet[Message]:
    """`messages` whose text holds every word of `query` in any of its forms (`any_word`: at least one).

    A query without words matches nothing.
    """
    words = search_words(query)
    if not words:
        return messages.none()
    if connection.vendor == "postgresql":
        if any_word:
            return messages.filter(_TextMatches(F("text"), function="to_tsquery", query=" | ".join(words)))
        return messages.filter(_TextMatches(F("text"), function="plainto_tsquery", query=" ".join(words)))
    if text_index_available():
        # A constant statement; the query reaches it only as a bound parameter.
        match = RawSQL(FTS_ROWIDS, (_fts5_expression(words, any_word=any_word),))  # noqa: S611
        return messages.filter(pk__in=match)
    return messages.filter(_substring_condition(words, any_word=any_word))


def chat_ids_with_few_text_matches(*, query: str) -> list[int] | None:
    """PostgreSQL, several words held by few messages: the ids of the chats holding them all.

    The planner estimates several words as if they were independent: "брак упаковка" is expected in
    5,000 messages of a million and found in 800, so it walks the newest chats looking for 51 that
    hold both, six times longer than it thinks, instead of looking the 800 up in the index. Reading
    at most FEW_MATCHES + 1 matches through the index tells which it is, and gives the chats (the
    page then looks them up by id). None: one word (estimated well), many matches, or SQLite.
    """
    words = search_words(query)
    if connection.vendor != "postgresql" or len(words) < 2:
        return None
    with transaction.atomic(), connection.cursor() as cursor:
        # A sequential scan is what a wrong estimate would pick, and what this read must avoid.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(CHAT_IDS_MATCHING, [" ".join(words), FEW_MATCHES + 1])
        rows = cursor.fetchall()
        cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")
    if len(rows) > FEW_MATCHES:
        return None
    return sorted({chat_id for (chat_id,) in rows})


def answer_texts_matching(
    *, account_id: int, since: datetime, exclude_chat_id: int, query: str, limit: int
) -> list[str]:
    """The team's answers in the account's other chats since `since` that hold at least one word of
    `query` in any form: their texts, newest first, at most `limit`."""
    words = search_words(query)
    if not words:
        return []
    answers = (
        Message.objects.filter(
            chat__account_id=account_id, author=Message.Author.SELLER, created_at__gte=since
        )
        .exclude(chat_id=exclude_chat_id)
        .exclude(text="")
    )
    if connection.vendor == "postgresql":
        # The planner chooses between the index and walking recent answers from answer-only statistics.
        condition = _TextMatches(
            F("text"), function="to_tsquery", query=" | ".join(words), column=ANSWER_SEARCH_COLUMN
        )
        matching = answers.filter(condition)
    elif text_index_available():
        expression = _fts5_expression(words, any_word=True, column=ANSWER_COLUMN)
        with connection.cursor() as cursor:
            cursor.execute(ANSWER_ROWIDS_FIRST, [expression, ANSWERS_LOOKED_UP + 1])
            first = [row[0] for row in cursor.fetchall()]
            if len(first) > ANSWERS_LOOKED_UP:
                since_value = connection.ops.adapt_datetimefield_value(since)
                cursor.execute(ANSWERS_WALK, [since_value, exclude_chat_id, account_id, expression, limit])
                return [row[0] for row in cursor.fetchall()]
        matching = answers.filter(pk__in=first)
    else:
        matching = answers.filter(_substring_condition(words, any_word=True))
    return list(matching.order_by("-created_at", "-id").values_list("text", flat=True)[:limit])
