"""The product's routes plus a bare reply form wired to static/assist/compliance.js (browser test only)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import path
from django.utils.html import escape

from chatcenter.urls import urlpatterns as product_urlpatterns

PAGE = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Compliance demo</title>
<link rel="stylesheet" href="/static/assist/compliance.css"></head>
<body>
<form method="post" action="/assist-demo/sent/" id="reply">
<input type="hidden" name="csrfmiddlewaretoken" value="{token}">
<textarea name="text" rows="4" cols="60" data-compliance-url="/api/chat/compliance/check"
 data-compliance-marketplace="wildberries"></textarea>
<button type="submit">Отправить</button>
</form>
<script src="/static/assist/compliance.js"></script>
</body></html>"""


def demo(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE.format(token=escape(get_token(request))))


def sent(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"text": request.POST.get("text"), "override_warnings": request.POST.get("override_warnings")}
    )


urlpatterns = [
    *product_urlpatterns,
    path("assist-demo/", demo),
    path("assist-demo/sent/", sent),
]
