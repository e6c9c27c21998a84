"""GET views of the two-pane inbox: the whole page, and the fragments htmx swaps or polls.

Reads only: opening a chat does not mark it read; the pane posts to `inbox:chat_read` for that.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from inbox.live import list_version
from inbox.models import Chat
from inbox.selectors import ChatFilters, chat_get_for_user, thread_signature
from inbox.views.context import chat_context, list_context
from inbox.views.filters import filters_from_query, filters_query_string

LIST_REGION = "chat-list-region"
LOAD_MORE = "load-more"
CHAT_PANE = "chat-pane"
LIST_CHANGED_EVENT = "inbox-list-changed"


def chat_for_request(*, request: HttpRequest, chat_id: int) -> Chat:
    try:
        return chat_get_for_user(user=request.user, chat_id=chat_id)
    except Chat.DoesNotExist:
        raise Http404("No such chat") from None


def _list_fragment(request: HttpRequest) -> HttpResponse | None:
    """The left pane alone when htmx asks for it; 204 when a poll finds nothing new."""
    target = request.htmx.target if request.htmx else None
    if target not in (LIST_REGION, LOAD_MORE):
        return None
    filters = filters_from_query(query=request.GET)
    cursor = request.GET.get("cursor", "")
    version = list_version(user=request.user, filters=filters, cursor=cursor)
    if target == LIST_REGION and request.GET.get("signature") == version:
        return HttpResponse(status=204)
    context = list_context(request=request, filters=filters, cursor=cursor, version=version)
    if target == LOAD_MORE:
        return render(request, "inbox/_chat_rows.html", context)
    response = render(request, "inbox/_chat_list.html", context)
    # Whatever changed a chat row shows in the list first: the open chat's poll waits for this event (with
    # a slow timer behind it) instead of asking every few seconds on its own.
    response["HX-Trigger"] = LIST_CHANGED_EVENT
    return response


@login_required
@require_GET
def inbox_index(request: HttpRequest) -> HttpResponse:
    fragment = _list_fragment(request)
    if fragment is not None:
        return fragment
    if request.htmx and request.htmx.target == CHAT_PANE:
        return render(request, "inbox/_chat_pane_empty.html", {})
    filters = filters_from_query(query=request.GET)
    context = list_context(request=request, filters=filters, cursor=request.GET.get("cursor", ""))
    return render(request, "inbox/index.html", {**context, "chat": None})


@login_required
@require_GET
def chat_detail(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = chat_for_request(request=request, chat_id=chat_id)
    filters = filters_from_query(query=request.GET)
    context = chat_context(chat=chat, before=request.GET.get("before", ""))
    if request.htmx and request.htmx.target == CHAT_PANE:
        context.update({"filters": filters, **_filter_query(filters)})
        return render(request, "inbox/_chat_pane.html", context)
    context.update(list_context(request=request, filters=filters, cursor=request.GET.get("cursor", "")))
    return render(request, "inbox/index.html", {**context, "open_chat_id": chat.pk})


@login_required
@require_GET
def chat_live(request: HttpRequest, chat_id: int) -> HttpResponse:
    """Header and thread of the open chat, polled; 204 while nothing changed."""
    chat = chat_for_request(request=request, chat_id=chat_id)
    signature = thread_signature(chat=chat)
    if request.GET.get("signature") == signature:
        return HttpResponse(status=204)
    filters = filters_from_query(query=request.GET)
    context = chat_context(chat=chat, signature=signature)
    return render(request, "inbox/_chat_live.html", {**context, "filters": filters, **_filter_query(filters)})


def _filter_query(filters: ChatFilters) -> dict[str, str]:
    return {"filter_query": filters_query_string(filters=filters)}
