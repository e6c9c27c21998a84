from django.urls import path

from access import views

app_name = "access"

urlpatterns = [
    path("two-factor/", views.two_factor, name="two-factor"),
    path("two-factor/verify/", views.two_factor_verify, name="two-factor-verify"),
    path("api-tokens/", views.api_tokens, name="api-tokens"),
    path("api-tokens/<int:token_id>/revoke/", views.api_token_revoke_view, name="api-token-revoke"),
]
