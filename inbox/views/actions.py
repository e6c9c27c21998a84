"""POST views: mark read, reply, retry, resolve/reopen, snooze, assign, mark unread.

htmx requests get fragments back; plain form posts are redirected (post/redirect/get).
"""

import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assist.template_services import template_file_upload
from inbox.models import Chat, Message
from inbox.selectors import (
    ChatFilters,
    chat_filtered_for_user,
    chat_next_after,
    chat_page_for_user,
    chat_reply_block,
    message_get_for_chat,
)
from inbox.services import (
    chat_assign,
    chat_mark_read,
    chat_mark_unread,
    chat_set_status,
    chat_snooze,
    message_retry,
    message_send_once,
)
from inbox.snooze import PRESET_CUSTOM, PRESET_LABELS, snooze_until_for_preset, snooze_until_parse
from inbox.views.context import (
    CHAT_PAGE_SIZE,
    chat_context,
    list_context,
    reply_form_context,
    snooze_context,
)
from inbox.views.filters import filters_from_query, filters_query_string
from inbox.views.pages import chat_for_request

CHATS_CHANGED_EVENT = "chats-changed"


def _chat_url(*, chat: Chat, filters: ChatFilters) -> str:
    return reverse("inbox:chat", args=[chat.pk]) + filters_query_string(filters=filters)


def _after_action(request: HttpRequest, chat: Chat, *, fresh_reply_form: bool = False) -> HttpResponse:
    """htmx: the refreshed header + thread (and a clean reply form after sending); otherwise redirect."""
    filters = filters_from_query(query=request.GET)
    if not request.htmx:
        return redirect(_chat_url(chat=chat, filters=filters), permanent=False)
    context = {
        **chat_context(chat=chat),
        "filters": filters,
        "filter_query": filters_query_string(filters=filters),
        "fresh_reply_form": fresh_reply_form,
    }
    response = render(request, "inbox/_chat_live.html", context)
    response["HX-Trigger"] = CHATS_CHANGED_EVENT
    return response


def _error_message(error: ValidationError, field: str) -> str:
    messages = error.message_dict.get(field) if hasattr(error, "error_dict") else error.messages
    return " ".join(messages or error.messages)


@login_required
@require_POST
def chat_read(request: HttpRequest, chat_id: int) -> HttpResponse:
    """Mark the open chat read: the pane posts here when an agent opens it (htmx on load, or the
    "Mark read" button without JS). GETs and polls never do."""
    chat = chat_for_request(request=request, chat_id=chat_id)
    chat_mark_read(chat=chat, user=request.user)
    if not request.htmx:
        filters = filters_from_query(query=request.GET)
        return redirect(_chat_url(chat=chat, filters=filters), permanent=False)
    # 200 with nothing to swap (hx-swap="none"): the list refreshes on the event.
    response = HttpResponse(b"")
    response["HX-Trigger"] = CHATS_CHANGED_EVENT
    return response


@login_required
@require_POST
def chat_reply(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = chat_for_request(request=request, chat_id=chat_id)
    # A form sends each line break as CRLF; the reply box, the live check and the limits count one character.
    text = request.POST.get("text", "").replace("\r\n", "\n")
    blocked = chat_reply_block(chat=chat)
    if blocked is not None:
        return _reply_refused(request, chat, text=text, error=ValidationError({"text": [blocked]}))
    try:
        idempotency_key = uuid.UUID(request.POST.get("idempotency_key", ""))
    except ValueError:
        idempotency_key = None
    try:
        files = request.FILES.getlist("file")
        if not files and request.POST.get("template"):
            # A template with a file was inserted: its file travels with the reply, checked like an upload.
            attached = template_file_upload(
                user=request.user, chat=chat, template_id=request.POST["template"]
            )
            files = [attached] if attached is not None else []
        message_send_once(
            chat=chat,
            user=request.user,
            text=text,
            idempotency_key=idempotency_key,
            files=files,
            override_warnings=request.POST.get("override_warnings", "") in ("true", "1", "on"),
        )
    except ValidationError as error:
        return _reply_refused(request, chat, text=text, error=error)
    return _after_action(request, chat, fresh_reply_form=True)


def _reply_refused(request: HttpRequest, chat: Chat, *, text: str, error: ValidationError) -> HttpResponse:
    filters = filters_from_query(query=request.GET)
    message = _error_message(error, "text")
    if request.htmx:
        context = {
            "chat": chat,
            "filter_query": filters_query_string(filters=filters),
            **reply_form_context(chat=chat, text=text, error=message),
        }
        response = render(request, "inbox/_reply_form.html", context, status=422)
        response["HX-Retarget"] = "#reply-form"
        response["HX-Reswap"] = "outerHTML"
        return response
    context = {
        **chat_context(chat=chat),
        **list_context(request=request, filters=filters),
        **reply_form_context(chat=chat, text=text, error=message),
    }
    return render(request, "inbox/index.html", context, status=400)


@login_required
@require_POST
def message_retry_view(request: HttpRequest, chat_id: int, message_id: int) -> HttpResponse:
    chat = chat_for_request(request=request, chat_id=chat_id)
    try:
        message = message_get_for_chat(chat=chat, message_id=message_id)
    except Message.DoesNotExist:
        return HttpResponse(status=404)
    try:
        message_retry(message=message, user=request.user)
    except ValidationError:
        # The marketplace takes no reply in the chat any more: the reply box, swapped too, says why.
        return _after_action(request, chat, fresh_reply_form=True)
    return _after_action(request, chat)


@login_required
@require_POST
def chat_status(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = chat_for_request(request=request, chat_id=chat_id)
    filters = filters_from_query(query=request.GET)
    listed = [
        listed_chat.pk
        for listed_chat in chat_page_for_user(user=request.user, filters=filters, limit=CHAT_PAGE_SIZE).items
    ]
    try:
        chat_set_status(chat=chat, user=request.user, status=request.POST.get("status", ""))
    except ValidationError:
        return HttpResponse(status=400)
    still_listed = chat_filtered_for_user(user=request.user, filters=filters).filter(pk=chat.pk).exists()
    if chat.pk in listed and not still_listed:
        return _open_next(request, chat=chat, listed=listed, filters=filters)
    return _after_action(request, chat)


def _open_next(request: HttpRequest, *, chat: Chat, listed: list[int], filters: ChatFilters) -> HttpResponse:
    """The chat left the agent's list (resolved): open the one that took its place, or the empty pane."""
    following = chat_next_after(chat=chat, listed=listed, user=request.user)
    if following is None:
        target_url = reverse("inbox:index") + filters_query_string(filters=filters)
    else:
        target_url = _chat_url(chat=following, filters=filters)
    if not request.htmx:
        return redirect(target_url, permanent=False)
    if following is None:
        response = render(request, "inbox/_chat_pane_empty.html", {})
    else:
        context = {
            **chat_context(chat=following),
            "filters": filters,
            "filter_query": filters_query_string(filters=filters),
        }
        response = render(request, "inbox/_chat_pane.html", context)
    response["HX-Retarget"] = "#chat-pane"
    response["HX-Reswap"] = "innerHTML"
    response["HX-Push-Url"] = target_url
    response["HX-Trigger"] = CHATS_CHANGED_EVENT
    return response


@login_required
@require_POST
def chat_snooze_view(request: HttpRequest, chat_id: int) -> HttpResponse:
    """A preset button ("preset": hour | tomorrow | monday) or a custom time ("preset": custom, "until")."""
    chat = chat_for_request(request=request, chat_id=chat_id)
    preset = request.POST.get("preset", PRESET_CUSTOM)
    typed = request.POST.get("until", "")
    if preset in PRESET_LABELS:
        until = snooze_until_for_preset(preset=preset)
    elif preset == PRESET_CUSTOM:
        until = snooze_until_parse(value=typed)
    else:
        return HttpResponse(status=400)
    try:
        chat_snooze(chat=chat, user=request.user, until=until)
    except ValidationError as error:
        return _snooze_refused(request, chat, typed=typed, error=error)
    return _after_action(request, chat)


def _snooze_refused(request: HttpRequest, chat: Chat, *, typed: str, error: ValidationError) -> HttpResponse:
    """The header again with the menu open and the reason; htmx swaps it like a success (422)."""
    filters = filters_from_query(query=request.GET)
    refusal = snooze_context(value=typed, error=_error_message(error, "snoozed_until"))
    if request.htmx:
        context = {
            **chat_context(chat=chat),
            **refusal,
            "filters": filters,
            "filter_query": filters_query_string(filters=filters),
        }
        return render(request, "inbox/_chat_live.html", context, status=422)
    context = {**chat_context(chat=chat), **list_context(request=request, filters=filters), **refusal}
    return render(request, "inbox/index.html", {**context, "open_chat_id": chat.pk}, status=400)


@login_required
@require_POST
def chat_assignee(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = chat_for_request(request=request, chat_id=chat_id)
    raw = request.POST.get("assignee", "")
    assignee = None
    if raw == "me":
        assignee = request.user
    elif raw.isdigit():
        assignee = get_user_model().objects.filter(pk=int(raw)).first()
        if assignee is None:
            return HttpResponse(status=400)
    try:
        chat_assign(chat=chat, user=request.user, assignee=assignee)
    except ValidationError:
        return HttpResponse(status=400)
    return _after_action(request, chat)


@login_required
@require_POST
def chat_unread(request: HttpRequest, chat_id: int) -> HttpResponse:
    """Flag unread and close the chat, so the open thread does not mark it read again at once."""
    chat = chat_for_request(request=request, chat_id=chat_id)
    chat_mark_unread(chat=chat, user=request.user)
    filters = filters_from_query(query=request.GET)
    list_url = reverse("inbox:index") + filters_query_string(filters=filters)
    if not request.htmx:
        return redirect(list_url)
    response = render(request, "inbox/_chat_pane_empty.html", {})
    response["HX-Retarget"] = "#chat-pane"
    response["HX-Reswap"] = "innerHTML"
    response["HX-Push-Url"] = list_url
    response["HX-Trigger"] = CHATS_CHANGED_EVENT
    return response
