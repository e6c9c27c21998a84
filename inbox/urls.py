from django.urls import path

from inbox.views import actions, attachments, pages

app_name = "inbox"

urlpatterns = [
    path("", pages.inbox_index, name="index"),
    path("chats/<int:chat_id>/", pages.chat_detail, name="chat"),
    path("chats/<int:chat_id>/live/", pages.chat_live, name="chat_live"),
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
