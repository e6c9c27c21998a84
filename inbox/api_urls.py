"""Routes of the REST API under /api/chat/ (paths fixed by the product brief: no trailing slashes)."""

from django.urls import path

from inbox import apis

app_name = "api"

urlpatterns = [
    path("accounts", apis.AccountListApi.as_view(), name="accounts"),
    path("chats", apis.ChatListApi.as_view(), name="chats"),
    path("chats/<int:chat_id>", apis.ChatDetailApi.as_view(), name="chat"),
    path("chats/<int:chat_id>/messages", apis.ChatMessagesApi.as_view(), name="chat-messages"),
    path("chats/<int:chat_id>/send", apis.ChatSendApi.as_view(), name="chat-send"),
    path("chats/<int:chat_id>/read", apis.ChatReadApi.as_view(), name="chat-read"),
]
