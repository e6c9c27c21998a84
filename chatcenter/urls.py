from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from inbox.urls import api_urlpatterns
from notify import urls as notify_urls

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="inbox:index", permanent=False)),
    # Pages without a <link rel="icon"> (admin, API docs) make browsers ask for /favicon.ico.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("access.urls")),
    path("admin/", admin.site.urls),
    # /inbox/ and the push receivers under /hooks/ share the inbox namespace.
    path("", include("inbox.urls")),
    # REST API and its OpenAPI description (assets served locally by drf-spectacular-sidecar).
    path("api/chat/", include((api_urlpatterns, "api"))),
    path("api/chat/", include("assist.urls")),
    path("api/chat/", include((notify_urls.api_urlpatterns, "notify-api"))),
    path("", include("notify.urls")),
    path("api/chat/reports/", include("service.api_urls")),
    path("reports/", include("service.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]
