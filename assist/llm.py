"""An OpenAI-compatible chat-completions endpoint (LLM_API_URL), through the product's one HTTP client.

One POST {LLM_API_URL}/chat/completions with {"model", "messages", "temperature"} (no "n": the prompt asks
for the variants in one answer); the answer's `choices[].message.content` of the choices that finished
("stop"; a provider may still send several) and `usage.{prompt_tokens, completion_tokens}` are read. The
official `openai` client would bring its own HTTP stack, retries and timeouts; ours already has the
timeouts, error mapping and secret scrubbing, and the whole budget (LLM_TIMEOUT_SECONDS, retries included)
is easier to hold in one place.
"""

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from marketplaces import errors
from marketplaces.http import Dialect, HttpClient, Response, body_json_or_none, seconds_header


class LlmTimeoutError(errors.TransientError):
    """The LLM did not answer within LLM_TIMEOUT_SECONDS."""


def _error_text(response: Response) -> str:
    body = body_json_or_none(response)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or "")[:300]
    return ""


def _retry_after(response: Response, now: float) -> float | None:
    return seconds_header(response, "retry-after")


DIALECT = Dialect(label="LLM", error_text=_error_text, retry_after=_retry_after)
# "length" is a draft cut off at the token limit, "content_filter" one with content left out: neither is
# a reply to offer. Some OpenAI-compatible providers send no finish_reason at all.
FINISHED = ("stop", None)


@dataclass(frozen=True)
class Completion:
    texts: tuple[str, ...]
    # Why each choice without a usable text was left out ("finish_reason length", "refusal", "no text"):
    # the reason only, never the model's words.
    left_out: tuple[str, ...]
    prompt_tokens: int
    completion_tokens: int


def llm_configured() -> bool:
    return bool(settings.LLM_API_URL and settings.LLM_MODEL)


def chat_completion(*, messages: list[dict[str, str]], timeout: float | None = None) -> Completion:
    """Ask for one answer; LlmTimeoutError when the budget runs out, MarketplaceError otherwise."""
    budget = float(timeout if timeout is not None else settings.LLM_TIMEOUT_SECONDS)
    deadline = time.monotonic() + budget
    headers = {"Content-Type": "application/json"}
    if settings.LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.LLM_API_KEY}"
    body: dict[str, Any] = {"model": settings.LLM_MODEL, "messages": messages, "temperature": 0.4}
    attempt = 0
    while True:
        attempt += 1
        remaining = deadline - time.monotonic()
        if remaining <= 0.2:
            raise LlmTimeoutError("LLM: no answer within the time budget")
        client = HttpClient(
            base_url=settings.LLM_API_URL,
            dialect=DIALECT,
            account_key="llm",
            headers=headers,
            secrets=(settings.LLM_API_KEY,) if settings.LLM_API_KEY else (),
            timeout=(min(5.0, remaining), remaining),
            max_attempts=1,
        )
        try:
            response = client.request(
                "POST", "/chat/completions", idempotent=True, json_body=body, action="draft"
            )
        except errors.RateLimitedError as exc:
            if attempt >= 2 or exc.retry_after >= deadline - time.monotonic():
                raise
            time.sleep(exc.retry_after)
            continue
        except errors.TransientError as exc:
            if time.monotonic() >= deadline - 0.2:
                raise LlmTimeoutError("LLM: no answer within the time budget") from exc
            if attempt >= 2:
                raise
            continue
        return _completion(response)


def _completion(response: Response) -> Completion:
    payload = body_json_or_none(response)
    choices = payload.get("choices") if isinstance(payload, dict) else None
    if not isinstance(choices, list) or not choices:
        raise errors.UnexpectedResponseError("LLM: the answer has no choices")
    texts = []
    left_out = []
    for choice in choices:
        if not isinstance(choice, dict):
            left_out.append("not a choice")
            continue
        finish_reason = choice.get("finish_reason")
        if finish_reason not in FINISHED:
            left_out.append(f"finish_reason {str(finish_reason)[:40]}")
            continue
        message = choice.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str) and content.strip():
            texts.append(content.strip())
        else:
            left_out.append("refusal" if isinstance(message, dict) and message.get("refusal") else "no text")
    usage = payload.get("usage") if isinstance(payload.get("usage"), dict) else {}
    return Completion(
        texts=tuple(texts),
        left_out=tuple(left_out),
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
    )
