"""Background classification of buyer messages (DESIGN.md §16): newest first, in batches, history bounded.

Called every minute by the django-q schedule "classify-messages" (inbox/services/schedules.py), never on the
request path. Each run classifies every new buyer message (up to `max_fresh` of them) and at most
`history_per_run` older ones, so a backfill of years of history is worked through at a steady, bounded pace
instead of swamping the model or the LLM's quota.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from inbox.models import Chat, Message

from .llm import LLMClassifyError, llm_configured, texts_classify_by_llm
from .model import Classification, texts_classify

logger = logging.getLogger(__name__)

BATCH_SIZE = 20
# Older than this a message is history (a backfill), classified at most HISTORY_PER_RUN per run.
FRESH_AGE = timedelta(days=2)
HISTORY_PER_RUN = 200
MAX_FRESH_PER_RUN = 2_000
# A run stops starting batches after this long, well inside the every-minute schedule and django-q's task
# timeout, so a slow LLM never piles up overlapping runs; what is left waits for the next run.
TIME_BUDGET_SECONDS = 45.0
_EMPTY = Classification(topic="other", sentiment="neutral")


@dataclass
class ClassifyRun:
    fresh: int = 0
    history: int = 0
    by_llm: int = 0
    # Batches classified by the offline model because the LLM failed or answered badly in this run.
    fallbacks: int = 0
    # After one failure the LLM is not asked again this run: a 429 or a 401 would refuse every batch.
    llm_failed: bool = False

    @property
    def classified(self) -> int:
        return self.fresh + self.history


def _unclassified_queryset() -> QuerySet[Message]:
    return Message.objects.filter(
        direction=Message.Direction.IN, author=Message.Author.BUYER, topic__isnull=True
    ).order_by("-created_at", "-id")


def _unclassified(limit: int) -> list[tuple[int, int, str, datetime]]:
    return list(_unclassified_queryset().values_list("id", "chat_id", "text", "created_at")[:limit])


def _classify(texts: list[str], run: ClassifyRun) -> list[Classification]:
    """Texts with words go to the LLM when configured, else (or once it failed this run) to the offline
    model."""
    with_words = [index for index, text in enumerate(texts) if text.strip()]
    result = [_EMPTY] * len(texts)
    if not with_words:
        return result
    wanted = [texts[index] for index in with_words]
    answers: list[Classification] | None = None
    if llm_configured() and not run.llm_failed:
        try:
            answers = texts_classify_by_llm(texts=wanted)
            run.by_llm += len(answers)
        except LLMClassifyError as error:
            run.llm_failed = True
            logger.warning("LLM classification failed, using the offline model for this run: %s", error)
    if answers is None:
        if run.llm_failed:
            run.fallbacks += 1
        answers = texts_classify(texts=wanted)
    for index, answer in zip(with_words, answers, strict=True):
        result[index] = answer
    return result


def _store(rows: list[tuple[int, int, str, datetime]], answers: list[Classification]) -> None:
    groups: dict[Classification, list[int]] = {}
    for (message_id, _chat_id, _text, _created_at), answer in zip(rows, answers, strict=True):
        groups.setdefault(answer, []).append(message_id)
    for answer, ids in groups.items():
        # topic IS NULL: a concurrent run that got there first keeps its answer (idempotent).
        Message.objects.filter(pk__in=ids, topic__isnull=True).update(
            topic=answer.topic, sentiment=answer.sentiment
        )


def chats_refresh_classification(*, chat_ids: set[int]) -> None:
    """A chat carries the topic and tone of its latest classified buyer message that has words."""
    if not chat_ids:
        return
    latest = (
        Message.objects.filter(
            chat=OuterRef("pk"),
            direction=Message.Direction.IN,
            author=Message.Author.BUYER,
            topic__isnull=False,
        )
        .exclude(text="")
        .order_by("-created_at", "-id")
    )
    Chat.objects.filter(pk__in=chat_ids).update(
        topic=Subquery(latest.values("topic")[:1]), sentiment=Subquery(latest.values("sentiment")[:1])
    )


def messages_classify(
    *,
    batch: int = BATCH_SIZE,
    history_per_run: int = HISTORY_PER_RUN,
    max_fresh: int = MAX_FRESH_PER_RUN,
    fresh_age: timedelta = FRESH_AGE,
    time_budget_seconds: float = TIME_BUDGET_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> ClassifyRun:
    run = ClassifyRun()
    fresh_since = timezone.now() - fresh_age
    deadline = clock() + time_budget_seconds
    while clock() < deadline:
        rows = _unclassified(batch)
        # Newest first: the fresh rows are a prefix of the batch, the history rows its rest.
        fresh_rows = [row for row in rows if row[3] >= fresh_since]
        chosen = fresh_rows[: max(max_fresh - run.fresh, 0)]
        taken_fresh = len(chosen)
        if taken_fresh == len(fresh_rows):
            chosen += rows[taken_fresh:][: max(history_per_run - run.history, 0)]
        if not chosen:
            return run
        answers = _classify([row[2] for row in chosen], run)
        _store(chosen, answers)
        chats_refresh_classification(chat_ids={row[1] for row in chosen})
        run.fresh += taken_fresh
        run.history += len(chosen) - taken_fresh
    return run
