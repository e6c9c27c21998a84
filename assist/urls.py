"""Routes of the assist app under /api/chat/ (no trailing slashes, like the rest of the API)."""

from django.urls import path

from assist import apis, template_apis

app_name = "assist"

urlpatterns = [
    path("compliance/check", apis.ComplianceCheckApi.as_view(), name="compliance-check"),
    path("templates", template_apis.TemplateListApi.as_view(), name="templates"),
    path("templates/<int:template_id>", template_apis.TemplateDetailApi.as_view(), name="template"),
    path(
        "templates/<int:template_id>/render",
        template_apis.TemplateRenderApi.as_view(),
        name="template-render",
    ),
    path(
        "chats/<int:chat_id>/suggestions", template_apis.ChatSuggestionsApi.as_view(), name="chat-suggestions"
    ),
]
