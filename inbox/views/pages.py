from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import account_list_for_user
from inbox.selectors import chat_queryset_for_user


@login_required
def inbox_index(request: HttpRequest) -> HttpResponse:
    chats = (
        chat_queryset_for_user(user=request.user)
        .select_related("account")
        .order_by("-last_message_at", "-id")
    )
    return render(
        request,
        "inbox/index.html",
        {"chats": chats[:50], "accounts": account_list_for_user(user=request.user)},
    )
