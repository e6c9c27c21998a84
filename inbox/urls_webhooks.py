"""Push receiver routes, served under /hooks/ in the `inbox` namespace (see inbox/urls_root.py)."""

from django.urls import path, re_path

from inbox import webhooks

urlpatterns = [
    path("ozon/<str:secret>/", webhooks.ozon_push, name="webhook-ozon"),
    path("yandex-market/<str:secret>/", webhooks.yandex_market_push, name="webhook-yandex-market"),
    # Yandex Market posts either to the URL entered in the cabinet or to that URL + "notification".
    re_path(
        r"^yandex-market/(?P<secret>[^/]+)/notification/?$",
        webhooks.yandex_market_push,
        name="webhook-yandex-market-notification",
    ),
]
