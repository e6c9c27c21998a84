"""Every route of the inbox app: the web inbox (/inbox/), the push receivers (/hooks/) and the REST API.

The web inbox and the push receivers share the `inbox` namespace (admin and add_account reverse
"inbox:webhook-ozon"); the REST API keeps its own `api` namespace under /api/chat/ (DESIGN.md §9: no
trailing slashes), so chatcenter/urls.py includes `api_urlpatterns` separately.
"""

from django.urls import include, path, re_path

from inbox import apis, webhooks
from inbox.views import actions, attachments, pages

app_name = "inbox"

inbox_urlpatterns = [
    path("", pages.inbox_index, name="index"),
    path("chats/<int:chat_id>/", pages.chat_detail, name="chat"),
    path("chats/<int:chat_id>/live/", pages.chat_live, name="chat_live"),
    path("chats/<int:chat_id>/read/", actions.chat_read, name="chat_read"),
    path("chats/<int:chat_id>/reply/", actions.chat_reply, name="chat_reply"),
    path("chats/<int:chat_id>/status/", actions.chat_status, name="chat_status"),
    path("chats/<int:chat_id>/snooze/", actions.chat_snooze_view, name="chat_snooze"),
    path("chats/<int:chat_id>/assignee/", actions.chat_assignee, name="chat_assignee"),
    path("chats/<int:chat_id>/unread/", actions.chat_unread, name="chat_unread"),
    path(
        "chats/<int:chat_id>/messages/<int:message_id>/retry/",
        actions.message_retry_view,
        name="message_retry",
    ),
    path(
        "chats/<int:chat_id>/messages/<int:message_id>/attachments/<int:index>/",
        attachments.attachment_download,
        name="attachment",
    ),
]

webhook_urlpatterns = [
    path("ozon/<str:secret>/", webhooks.ozon_push, name="webhook-ozon"),
    path("yandex-market/<str:secret>/", webhooks.yandex_market_push, name="webhook-yandex-market"),
    # Yandex Market posts either to the URL entered in the cabinet or to that URL + "notification".
    re_path(
        r"^yandex-market/(?P<secret>[^/]+)/notification/?$",
        webhooks.yandex_market_push,
        name="webhook-yandex-market-notification",
    ),
]

urlpatterns = [
    path("inbox/", include(inbox_urlpatterns)),
    path("hooks/", include(webhook_urlpatterns)),
]

api_urlpatterns = [
    path("accounts", apis.AccountListApi.as_view(), name="accounts"),
    path("chats", apis.ChatListApi.as_view(), name="chats"),
    path("chats/<int:chat_id>", apis.ChatDetailApi.as_view(), name="chat"),
    path("chats/<int:chat_id>/messages", apis.ChatMessagesApi.as_view(), name="chat-messages"),
    path("chats/<int:chat_id>/send", apis.ChatSendApi.as_view(), name="chat-send"),
    path("chats/<int:chat_id>/read", apis.ChatReadApi.as_view(), name="chat-read"),
]
