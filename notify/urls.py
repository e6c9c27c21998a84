from django.urls import path

from notify import apis, views

app_name = "notify"

urlpatterns = [
    path("hooks/telegram/", views.telegram_webhook, name="telegram-webhook"),
    path("profile/", views.profile, name="profile"),
    path("profile/telegram/link/", views.telegram_link_start, name="telegram-link"),
    path("profile/telegram/unlink/", views.telegram_unlink_view, name="telegram-unlink"),
]

api_urlpatterns = [
    path("me/telegram-link", apis.TelegramLinkApi.as_view(), name="api-telegram-link"),
    path("me/notifications", apis.NotificationSettingsApi.as_view(), name="api-notifications"),
]
