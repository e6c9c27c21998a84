"""Templates and suggestions in the REST API (DESIGN.md §9b): /api/chat/templates…, …/suggestions."""

from dataclasses import asdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assist.models import ReplyTemplate
from assist.suggestions import MAXIMUM_COUNT, chat_suggestions
from assist.template_services import (
    TemplateInput,
    template_create,
    template_delete,
    template_list_for_chat,
    template_list_for_user,
    template_search,
    template_update,
    template_used,
)
from assist.variables import template_render
from inbox.models import Chat
from inbox.selectors import chat_get_for_user


class TemplateSerializer(serializers.ModelSerializer):
    personal = serializers.SerializerMethodField()
    file = serializers.SerializerMethodField()

    class Meta:
        model = ReplyTemplate
        fields = [
            "id",
            "title",
            "shortcut",
            "text",
            "folder",
            "scope",
            "marketplace",
            "account",
            "personal",
            "file",
            "usage_count",
            "updated_at",
        ]

    def get_personal(self, template: ReplyTemplate) -> bool:
        return template.owner_id is not None

    def get_file(self, template: ReplyTemplate) -> dict | None:
        if not template.file:
            return None
        return {"name": template.file_name, "content_type": template.file_content_type}


class TemplateWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(trim_whitespace=False)
    shortcut = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    folder = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    scope = serializers.ChoiceField(choices=ReplyTemplate.Scope.choices, default=ReplyTemplate.Scope.ALL)
    marketplace = serializers.CharField(required=False, allow_blank=True, default="")
    account = serializers.IntegerField(required=False, allow_null=True, default=None)
    team = serializers.BooleanField(required=False, default=False)
    file = serializers.FileField(required=False, allow_null=True, default=None)


def _chat_for(request: Request, chat_id: object) -> Chat:
    try:
        return chat_get_for_user(user=request.user, chat_id=int(str(chat_id)))
    except (Chat.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _errors(exc: ValidationError) -> dict:
    return exc.message_dict if hasattr(exc, "message_dict") else {"detail": exc.messages}


class TemplateListApi(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses={200: TemplateSerializer(many=True)}, tags=["templates"])
    def get(self, request: Request) -> Response:
        chat_id = request.query_params.get("chat")
        if chat_id:
            templates = template_list_for_chat(user=request.user, chat=_chat_for(request, chat_id))
        else:
            templates = template_list_for_user(user=request.user)
        query = request.query_params.get("q", "")
        found = template_search(templates=templates, query=query) if query else list(templates)
        return Response(TemplateSerializer(found, many=True).data)

    @extend_schema(request=TemplateWriteSerializer, responses={201: TemplateSerializer}, tags=["templates"])
    def post(self, request: Request) -> Response:
        serializer = TemplateWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        upload = data.pop("file", None)
        try:
            template = template_create(
                user=request.user,
                data=TemplateInput(
                    title=data["title"],
                    text=data["text"],
                    shortcut=data["shortcut"],
                    folder=data["folder"],
                    scope=data["scope"],
                    marketplace=data["marketplace"],
                    account_id=data["account"],
                    team=data["team"],
                ),
                upload=upload,
            )
        except ValidationError as exc:
            return Response(_errors(exc), status=400)
        return Response(TemplateSerializer(template).data, status=status.HTTP_201_CREATED)


class TemplateDetailApi(APIView):
    def _template(self, request: Request, template_id: int) -> ReplyTemplate:
        template = template_list_for_user(user=request.user).filter(pk=template_id).first()
        if template is None:
            raise NotFound()
        return template

    @extend_schema(request=TemplateWriteSerializer, responses={200: TemplateSerializer}, tags=["templates"])
    def patch(self, request: Request, template_id: int) -> Response:
        template = self._template(request, template_id)
        allowed = {"title", "text", "shortcut", "folder", "scope", "marketplace", "account"}
        unknown = sorted(set(request.data) - allowed)
        if unknown:
            return Response({name: [_("This field cannot be changed.")] for name in unknown}, status=400)
        try:
            template = template_update(user=request.user, template=template, changes=dict(request.data))
        except ValidationError as exc:
            return Response(_errors(exc), status=400)
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=403)
        return Response(TemplateSerializer(template).data)

    @extend_schema(responses={204: None}, tags=["templates"])
    def delete(self, request: Request, template_id: int) -> Response:
        try:
            template_delete(user=request.user, template=self._template(request, template_id))
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=403)
        return Response(status=204)


class TemplateRenderApi(APIView):
    @extend_schema(
        request=inline_serializer("TemplateRenderRequest", {"chat": serializers.IntegerField()}),
        responses={200: inline_serializer("TemplateRenderResponse", {"text": serializers.CharField()})},
        tags=["templates"],
    )
    def post(self, request: Request, template_id: int) -> Response:
        chat = _chat_for(request, request.data.get("chat"))
        template = template_list_for_chat(user=request.user, chat=chat).filter(pk=template_id).first()
        if template is None:
            raise NotFound()
        rendered = template_render(text=template.text, chat=chat, user=request.user)
        if not rendered.ok:
            return Response(
                {"variables": [asdict(problem) for problem in rendered.problems], "text": rendered.text},
                status=400,
            )
        with transaction.atomic():
            template_used(template=template)
        return Response({"text": rendered.text})


class ChatSuggestionsApi(APIView):
    @extend_schema(
        request=inline_serializer(
            "SuggestionsRequest",
            {"count": serializers.IntegerField(required=False, min_value=1, max_value=3)},
        ),
        responses={200: dict},
        tags=["assist"],
    )
    def post(self, request: Request, chat_id: int) -> Response:
        chat = _chat_for(request, chat_id)
        count = request.data.get("count", MAXIMUM_COUNT) if isinstance(request.data, dict) else MAXIMUM_COUNT
        try:
            count = int(count)
        except (TypeError, ValueError):
            return Response({"count": [_("A number from 1 to 3.")]}, status=400)
        if not 1 <= count <= MAXIMUM_COUNT:
            return Response({"count": [_("A number from 1 to 3.")]}, status=400)
        result = chat_suggestions(chat=chat, user=request.user, count=count)
        return Response(
            {
                "llm_status": result.llm_status,
                "suggestions": [
                    {
                        "text": suggestion.text,
                        "source": suggestion.source,
                        "compliance": {
                            "allowed": suggestion.compliance.allowed,
                            "violations": [
                                asdict(violation) for violation in suggestion.compliance.violations
                            ],
                        },
                    }
                    for suggestion in result.suggestions
                ],
            }
        )
