"""REST API of the assist app (/api/chat/...). Another account's chat is a 404, as everywhere."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assist.compliance import compliance_check, compliance_check_for_chat
from assist.serializers import ComplianceCheckRequestSerializer, ComplianceCheckResponseSerializer
from inbox.models import Chat
from inbox.selectors import chat_get_for_user


class ComplianceCheckApi(APIView):
    @extend_schema(
        operation_id="compliance_check",
        summary="Check a reply against the marketplace's rules before sending",
        description=(
            "With `chat`, the chat's marketplace, kind and its account's switched-off rules apply "
            "(`chat` wins over `marketplace`); with `marketplace` alone every rule applies. "
            "`start`/`end` are Unicode code-point offsets into `text` as given."
        ),
        request=ComplianceCheckRequestSerializer,
        responses={200: ComplianceCheckResponseSerializer},
        examples=[
            OpenApiExample(
                "A phone number",
                request_only=True,
                value={"text": "Звоните 8 916 123-45-67", "marketplace": "ozon"},
            ),
            OpenApiExample(
                "Blocked",
                response_only=True,
                value={
                    "allowed": False,
                    "violations": [
                        {
                            "rule": "contact_phone",
                            "severity": "block",
                            "message": "Номера телефонов нельзя отправлять покупателям",
                            "start": 8,
                            "end": 23,
                        }
                    ],
                },
            ),
        ],
        tags=["compliance"],
    )
    def post(self, request: Request) -> Response:
        serializer = ComplianceCheckRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "chat" in data:
            try:
                chat = chat_get_for_user(user=request.user, chat_id=data["chat"])
            except Chat.DoesNotExist as error:
                raise NotFound() from error
            result = compliance_check_for_chat(chat=chat, text=data["text"])
        else:
            result = compliance_check(text=data["text"], marketplace=data["marketplace"])
        return Response({"allowed": result.allowed, "violations": result.violations_json()})
