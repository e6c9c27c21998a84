"""Reply suggestions for one chat: the team's own past answers and templates (no LLM needed), and,
with LLM_* set, 1–3 drafts from an OpenAI-compatible endpoint. Every suggestion carries its compliance
result; a failing draft is returned flagged, never dropped or edited (DESIGN.md §16)."""

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F
from django.utils import timezone

from assist import prompts
from assist.compliance import CheckResult, compliance_check_for_chat
from assist.compliance.text import analyse
from assist.llm import LlmTimeoutError, chat_completion, llm_configured
from assist.models import LlmUsage
from assist.template_services import template_list_for_chat, template_search
from assist.variables import template_render
from inbox.models import Chat, Message
from inbox.text_search import answer_texts_matching
from marketplaces import errors

logger = logging.getLogger("assist.suggestions")

HISTORY_WINDOW = timedelta(days=180)
HISTORY_CANDIDATES = 400
MAXIMUM_COUNT = 3
WORD = re.compile(r"\w+", re.UNICODE)
# Words every answer shares; they say nothing about the topic.
COMMON = frozenset(
    {"здравствовать", "добрый", "день", "спасибо", "пожалуйста", "вы", "ваш", "мы", "наш", "заказ"}
)


@dataclass(frozen=True)
class Suggestion:
    text: str
    source: str
    compliance: CheckResult


@dataclass(frozen=True)
class Suggestions:
    llm_status: str
    suggestions: list[Suggestion] = field(default_factory=list)


def _lemmas(text: str) -> set[str]:
    return {analyse(word.lower())[1] for word in WORD.findall(text) if len(word) > 2} - COMMON


def last_buyer_text(*, chat: Chat) -> str:
    message = (
        Message.objects.filter(chat=chat, author=Message.Author.BUYER)
        .exclude(text="")
        .order_by("-created_at", "-id")
        .first()
    )
    return message.text if message else ""


def past_answers(*, chat: Chat, question: str, limit: int = 3) -> list[str]:
    """Recent answers of the same cabinet (so the same marketplace) that share the question's words.

    The text index finds the answers holding any of the question's words (in any form); the closest
    (most shared lemmas) come first, recent first among equally close ones.
    """
    wanted = _lemmas(question)
    if not wanted:
        return []
    words = " ".join(word for word in WORD.findall(question) if _lemmas(word) & wanted)
    candidates = answer_texts_matching(
        account_id=chat.account_id,
        since=timezone.now() - HISTORY_WINDOW,
        exclude_chat_id=chat.pk,
        query=words,
        limit=HISTORY_CANDIDATES,
    )
    scored = []
    seen: set[str] = set()
    for position, text in enumerate(candidates):
        key = " ".join(text.split()).lower()
        if key in seen:
            continue
        seen.add(key)
        overlap = len(wanted & _lemmas(text))
        if overlap:
            # Recent first among equally close answers.
            scored.append((overlap, -position, text))
    scored.sort(reverse=True)
    return [text for _overlap, _position, text in scored[:limit]]


def _template_texts(*, chat: Chat, user: AbstractBaseUser, question: str, limit: int = 2) -> list[str]:
    texts = []
    for template in template_search(templates=template_list_for_chat(user=user, chat=chat), query=question):
        rendered = template_render(text=template.text, chat=chat, user=user)
        if rendered.ok:
            texts.append(rendered.text)
        if len(texts) >= limit:
            break
    return texts


def _usage_record(*, chat: Chat, prompt_tokens: int, completion_tokens: int) -> None:
    today = timezone.localdate()
    row, _created = LlmUsage.objects.get_or_create(account_id=chat.account_id, day=today)
    LlmUsage.objects.filter(pk=row.pk).update(
        requests=F("requests") + 1,
        prompt_tokens=F("prompt_tokens") + prompt_tokens,
        completion_tokens=F("completion_tokens") + completion_tokens,
    )


def chat_suggestions(*, chat: Chat, user: AbstractBaseUser, count: int = MAXIMUM_COUNT) -> Suggestions:
    count = max(1, min(count, MAXIMUM_COUNT))
    question = last_buyer_text(chat=chat)
    history = past_answers(chat=chat, question=question)
    templates = _template_texts(chat=chat, user=user, question=question)
    found: list[Suggestion] = []
    status = "not_configured"
    if llm_configured():
        try:
            completion = chat_completion(
                messages=prompts.draft_messages(
                    chat=chat, user=user, templates=templates, history=history, count=count
                )
            )
        except LlmTimeoutError:
            status = "timeout"
        except errors.MarketplaceError as exc:
            logger.warning("LLM draft failed: %s", exc.message)
            status = "error"
        else:
            _usage_record(
                chat=chat,
                prompt_tokens=completion.prompt_tokens,
                completion_tokens=completion.completion_tokens,
            )
            drafts = [draft for text in completion.texts for draft in prompts.drafts_split(text)]
            # "error" (one of the API's fixed statuses) makes the page say the AI gave nothing; "ok"
            # with no AI draft showed no note at all.
            status = "ok" if drafts else "error"
            if not drafts:
                logger.warning(
                    "LLM gave no usable draft (%s)", ", ".join(completion.left_out) or "only separators"
                )
            for draft in drafts[:count]:
                found.append(
                    Suggestion(
                        text=draft, source="llm", compliance=compliance_check_for_chat(chat=chat, text=draft)
                    )
                )
    for text in history:
        found.append(
            Suggestion(
                text=text, source="history", compliance=compliance_check_for_chat(chat=chat, text=text)
            )
        )
    for text in templates:
        found.append(
            Suggestion(
                text=text, source="template", compliance=compliance_check_for_chat(chat=chat, text=text)
            )
        )
    return Suggestions(llm_status=status, suggestions=found)
