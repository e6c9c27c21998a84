"""Routes of the assist app under /api/chat/ (no trailing slashes, like the rest of the API)."""

from django.urls import path

from assist import apis

app_name = "assist"

urlpatterns = [
    path("compliance/check", apis.ComplianceCheckApi.as_view(), name="compliance-check"),
]
