"""REST API (/api/chat/...). Same membership rule as the web inbox: another account's chat is a 404."""

from dataclasses import asdict

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status as http_status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from accounts.models import Marketplace
from accounts.selectors import account_list_for_user
from accounts.services import account_create
from assist.classify.labels import SENTIMENTS, TOPICS
from assist.template_services import template_file_upload
from inbox.models import Chat
from inbox.replies.create import ComplianceRefusedError
from inbox.selectors import (
    SORT_ACTIVITY,
    SORT_NEGATIVE,
    SORT_WAITING,
    STATUS_ALL,
    ChatFilters,
    chat_get_for_user,
    chat_page_for_user,
    chat_reply_block,
    message_page_for_chat,
)
from inbox.serializers import (
    AccountSerializer,
    ChatPageSerializer,
    ChatSerializer,
    ChatUpdateSerializer,
    MessagePageSerializer,
    MessageSerializer,
    SendFileSerializer,
    SendSerializer,
)
from inbox.services import chat_assign, chat_mark_read, chat_set_status, message_send_once
from marketplaces.errors import MarketplaceError

DEFAULT_LIMIT = 50
CREATE_ACCOUNT_PERMISSION = "accounts.add_marketplaceaccount"

PAGE_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="Opaque; take it from `next`."),
    OpenApiParameter("limit", OpenApiTypes.INT, description="1–200, default 50."),
]


def _django_errors(error: DjangoValidationError) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError(error.message_dict)
    return ValidationError({"non_field_errors": error.messages})


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "")
    return int(raw) if raw.isdigit() else DEFAULT_LIMIT


def _next_url(request: Request, cursor: str) -> str | None:
    return replace_query_param(request.build_absolute_uri(), "cursor", cursor) if cursor else None


def _chat(request: Request, chat_id: int) -> Chat:
    try:
        return chat_get_for_user(user=request.user, chat_id=chat_id)
    except Chat.DoesNotExist:
        raise Http404("No such chat") from None


class AccountListApi(APIView):
    @extend_schema(operation_id="chat_accounts_list", responses=AccountSerializer(many=True))
    def get(self, request: Request) -> Response:
        accounts = account_list_for_user(user=request.user)
        return Response(AccountSerializer(accounts, many=True).data)

    @extend_schema(request=AccountSerializer, responses={201: AccountSerializer})
    def post(self, request: Request) -> Response:
        if not request.user.has_perm(CREATE_ACCOUNT_PERMISSION):
            raise PermissionDenied()
        serializer = AccountSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            account = account_create(
                marketplace=data["marketplace"],
                name=data["name"],
                credentials=data["credentials"],
                members=[request.user],
                check=data["check"],
                actor=request.user,
            )
        except DjangoValidationError as error:
            raise _django_errors(error) from None
        except MarketplaceError as error:
            return Response({"detail": error.message}, status=http_status.HTTP_400_BAD_REQUEST)
        account = account_list_for_user(user=request.user).get(pk=account.pk)
        return Response(AccountSerializer(account).data, status=http_status.HTTP_201_CREATED)


class ChatListApi(APIView):
    @extend_schema(
        operation_id="chat_chats_list",
        parameters=[
            OpenApiParameter("marketplace", OpenApiTypes.STR, enum=Marketplace.values),
            OpenApiParameter("account", OpenApiTypes.INT),
            OpenApiParameter("status", OpenApiTypes.STR, enum=[*Chat.Status.values, STATUS_ALL]),
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only chats with unread messages."),
            OpenApiParameter("awaiting", OpenApiTypes.BOOL, description="Only chats awaiting a reply."),
            OpenApiParameter("q", OpenApiTypes.STR, description="Message text, buyer, order number, SKU."),
            OpenApiParameter("topic", OpenApiTypes.STR, enum=list(TOPICS)),
            OpenApiParameter("sentiment", OpenApiTypes.STR, enum=list(SENTIMENTS)),
            OpenApiParameter("sort", OpenApiTypes.STR, enum=[SORT_ACTIVITY, SORT_WAITING, SORT_NEGATIVE]),
            *PAGE_PARAMETERS,
        ],
        responses=ChatPageSerializer,
    )
    def get(self, request: Request) -> Response:
        parameters = request.query_params
        status = parameters.get("status", STATUS_ALL)
        account = parameters.get("account", "")
        topic, sentiment, sort = (parameters.get(name, "") for name in ("topic", "sentiment", "sort"))
        filters = ChatFilters(
            marketplace=parameters.get("marketplace", ""),
            account_id=int(account) if account.isdigit() else None,
            status=status if status in (*Chat.Status.values, STATUS_ALL) else STATUS_ALL,
            unread_only=parameters.get("unread", "").lower() in ("1", "true"),
            awaiting_only=parameters.get("awaiting", "").lower() in ("1", "true"),
            query=parameters.get("q", "").strip()[:200],
            topic=topic if topic in TOPICS else "",
            sentiment=sentiment if sentiment in SENTIMENTS else "",
            sort=sort if sort in (SORT_WAITING, SORT_NEGATIVE) else SORT_ACTIVITY,
        )
        page = chat_page_for_user(
            user=request.user, filters=filters, cursor=parameters.get("cursor", ""), limit=_limit(request)
        )
        return Response(
            {
                "next": _next_url(request, page.next_cursor),
                "results": ChatSerializer(page.items, many=True).data,
            }
        )


class ChatDetailApi(APIView):
    @extend_schema(responses=ChatSerializer)
    def get(self, request: Request, chat_id: int) -> Response:
        return Response(ChatSerializer(_chat(request, chat_id)).data)

    @extend_schema(request=ChatUpdateSerializer, responses=ChatSerializer)
    def patch(self, request: Request, chat_id: int) -> Response:
        chat = _chat(request, chat_id)
        serializer = ChatUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            # All or nothing: a refused snooze time must not leave the assignee changed.
            with transaction.atomic():
                if "assignee" in data:
                    assignee = None
                    if data["assignee"] is not None:
                        assignee = get_user_model().objects.filter(pk=data["assignee"]).first()
                        if assignee is None:
                            raise ValidationError({"assignee": ["No such user."]})
                    chat_assign(chat=chat, user=request.user, assignee=assignee)
                if "status" in data:
                    chat_set_status(
                        chat=chat,
                        user=request.user,
                        status=data["status"],
                        snoozed_until=data.get("snoozed_until"),
                    )
        except DjangoValidationError as error:
            raise _django_errors(error) from None
        return Response(ChatSerializer(chat).data)


class ChatMessagesApi(APIView):
    @extend_schema(
        operation_id="chat_chats_messages_list", parameters=PAGE_PARAMETERS, responses=MessagePageSerializer
    )
    def get(self, request: Request, chat_id: int) -> Response:
        chat = _chat(request, chat_id)
        page = message_page_for_chat(
            chat=chat, cursor=request.query_params.get("cursor", ""), limit=_limit(request)
        )
        return Response(
            {
                "next": _next_url(request, page.next_cursor),
                "results": MessageSerializer(page.items, many=True).data,
            }
        )


class ChatSendApi(APIView):
    @extend_schema(
        description="Queue a reply: JSON with `text`, or multipart/form-data with `file` (and an optional "
        '`text`). 400 with field messages when the text or the file is refused; 400 `{"compliance": '
        "[violations]}` when the pre-send check finds anything (warnings pass with `override_warnings`); "
        "nothing is stored then.",
        request={"application/json": SendSerializer, "multipart/form-data": SendFileSerializer},
        responses={202: MessageSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.UUID,
                location=OpenApiParameter.HEADER,
                description="Same as `idempotency_key` in the body.",
            )
        ],
    )
    def post(self, request: Request, chat_id: int) -> Response:
        chat = _chat(request, chat_id)
        body = request.data if hasattr(request.data, "get") else {}
        data = {
            name: body[name]
            for name in ("text", "idempotency_key", "override_warnings", "template")
            if name in body
        }
        if "idempotency_key" not in data and request.headers.get("Idempotency-Key"):
            data["idempotency_key"] = request.headers["Idempotency-Key"]
        serializer = SendSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        blocked = chat_reply_block(chat=chat)
        if blocked is not None:
            raise ValidationError({"text": [blocked]})
        try:
            files = request.FILES.getlist("file")
            template = serializer.validated_data.get("template")
            if not files and template:
                attached = template_file_upload(user=request.user, chat=chat, template_id=str(template))
                files = [attached] if attached is not None else []
            message, _created = message_send_once(
                chat=chat,
                user=request.user,
                text=serializer.validated_data["text"],
                idempotency_key=serializer.validated_data.get("idempotency_key"),
                files=files,
                override_warnings=serializer.validated_data["override_warnings"],
            )
        except ComplianceRefusedError as refusal:
            # DESIGN.md §9b: the check's own findings, so the client can mark the spans.
            return Response(
                {"compliance": [asdict(violation) for violation in refusal.violations]},
                status=http_status.HTTP_400_BAD_REQUEST,
            )
        except DjangoValidationError as error:
            raise _django_errors(error) from None
        return Response(MessageSerializer(message).data, status=http_status.HTTP_202_ACCEPTED)


class ChatReadApi(APIView):
    @extend_schema(request=None, responses=ChatSerializer)
    def post(self, request: Request, chat_id: int) -> Response:
        chat = _chat(request, chat_id)
        chat_mark_read(chat=chat, user=request.user)
        return Response(ChatSerializer(chat).data)
