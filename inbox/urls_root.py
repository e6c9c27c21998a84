"""The `inbox` URL namespace spans the web inbox (/inbox/) and the push receivers (/hooks/).

One namespace cannot be split across two includes, and admin and add_account reverse
"inbox:webhook-ozon" / "inbox:webhook-yandex-market", so both route lists are served from here.
"""

from django.urls import include, path

from inbox import urls as inbox_urls
from inbox import urls_webhooks

app_name = "inbox"

urlpatterns = [
    path("inbox/", include(inbox_urls.urlpatterns)),
    path("hooks/", include(urls_webhooks.urlpatterns)),
]
