"""GET /api/chat/reports/response-times (DESIGN.md §9b, §13)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from service.forms import ReportForm
from service.reports import response_time_report


class ResponseTimesApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, required=True, description="First day (Europe/Moscow)."
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="Last day, inclusive."),
            OpenApiParameter(
                "group_by", OpenApiTypes.STR, required=True, enum=["day", "marketplace", "account", "agent"]
            ),
            OpenApiParameter("marketplace", OpenApiTypes.STR),
            OpenApiParameter("account", OpenApiTypes.INT),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        form = ReportForm.from_query(params=request.query_params)
        if not form.is_valid():
            return Response(form.api_errors(), status=400)
        return Response(response_time_report(user=request.user, query=form.report_query()))
