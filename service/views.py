"""/reports/: response-time charts and tables, with CSV exports (thin: the figures come from reports.py)."""

from dataclasses import replace
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import account_list_for_user
from audit.models import AuditEvent
from audit.services import audit_record
from chatcenter.csv_export import csv_lines
from marketplaces.registry import marketplace_specs
from service.forms import ReportForm, default_period
from service.ozon_rating_view import ozon_rating_sections
from service.reports import ReportQuery, response_time_reports, turn_rows_for_user
from service.turns import REPORT_TIME_ZONE

EXPORTS = ("agents", "accounts", "turns")


def _user_names(*, ids: set[int]) -> dict[int, str]:
    users = get_user_model().objects.filter(pk__in=ids)
    return {user.pk: user.get_full_name() or user.get_username() for user in users}


def _table_rows(*, groups: list[dict], names: dict) -> list[dict]:
    return [
        {**group, "name": names.get(group["key"], _("Typed in the cabinet / unanswered"))} for group in groups
    ]


@login_required
def reports_page(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    date_from, date_to = default_period(today=today)
    params = {"from": date_from.isoformat(), "to": date_to.isoformat(), **request.GET.dict()}
    form = ReportForm.from_query(params=params, default_group_by="day")
    accounts = list(account_list_for_user(user=request.user))
    context: dict = {
        "form": form,
        "accounts": accounts,
        "marketplaces": marketplace_specs(),
        "params": params,
    }
    if not form.is_valid():
        return render(request, "service/reports.html", context, status=400)
    query = form.report_query()
    export = request.GET.get("export", "")
    if export in EXPORTS:
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.EXPORTED,
            request=request,
            details={"what": f"report {export}", "from": str(query.date_from), "to": str(query.date_to)},
        )
    if export == "turns":
        return _turns_csv(request=request, query=query)
    figures = response_time_reports(user=request.user, query=query, group_bys=("agent", "account", "day"))
    agents = figures.reports["agent"]["groups"]
    by_account = figures.reports["account"]["groups"]
    agent_names = _user_names(ids={group["key"] for group in agents if group["key"] is not None})
    account_names = {account.pk: account.name for account in accounts}
    agent_rows = _table_rows(groups=agents, names=agent_names)
    account_rows = _table_rows(groups=by_account, names=account_names)
    if export in ("agents", "accounts"):
        return _table_csv(rows=agent_rows if export == "agents" else account_rows, name=export, query=query)
    days = figures.reports["day"]["groups"]
    volume = figures.volume
    chart = {
        "days": [group["key"] for group in days],
        "median": [group["response"]["median_seconds"] for group in days],
        "p90": [group["response"]["p90_seconds"] for group in days],
        "within24h": [group["answered_within_24h_ratio"] for group in days],
        "slaMet": [group["sla_met_ratio"] for group in days],
        "volume": [
            {
                "label": str(spec.label),
                "values": [volume.get(spec.name, {}).get(day["key"], 0) for day in days],
            }
            for spec in marketplace_specs()
            if not query.marketplace or query.marketplace == spec.name
        ],
        "labels": {
            "median": _("Median response, min"),
            "p90": _("90th percentile, min"),
            "medianHours": _("Median response, h"),
            "p90Hours": _("90th percentile, h"),
            "hours": _("hours"),
            "within24h": _("Answered within 24 h, %"),
            "slaMet": _("SLA met, %"),
            "minutes": _("minutes"),
            "percent": _("%"),
            "turns": _("Buyer turns"),
        },
    }
    # Ozon rates the whole account: with an agent chosen, that agent's figure would compare different things.
    ozon_comparison = (
        by_account if query.agent_id is None else _whole_account_rows(request=request, query=query)
    )
    query_string = request.GET.urlencode()
    context.update(
        {
            "chart": chart,
            "agent_rows": agent_rows,
            "account_rows": account_rows,
            "query_string": query_string,
            "query": query,
            "ozon_ratings": ozon_rating_sections(accounts=accounts, account_rows=ozon_comparison),
        }
    )
    return render(request, "service/reports.html", context)


def _whole_account_rows(*, request: HttpRequest, query: ReportQuery) -> list[dict]:
    whole = replace(query, agent_id=None)
    figures = response_time_reports(user=request.user, query=whole, group_bys=("account",))
    return figures.reports["account"]["groups"]


CSV_HEADER = [
    "key",
    "name",
    "turns",
    "answered",
    "unanswered",
    "first_response_count",
    "first_response_median_seconds",
    "first_response_p90_seconds",
    "response_count",
    "response_median_seconds",
    "response_p90_seconds",
    "response_mean_seconds",
    "answered_within_24h_ratio",
    "sla_met_ratio",
]


def _table_csv_row(row: dict) -> list:
    return [
        row["key"],
        row["name"],
        row["turns"],
        row["answered"],
        row["unanswered"],
        row["first_response"]["count"],
        row["first_response"]["median_seconds"],
        row["first_response"]["p90_seconds"],
        row["response"]["count"],
        row["response"]["median_seconds"],
        row["response"]["p90_seconds"],
        row["response"]["mean_seconds"],
        row["answered_within_24h_ratio"],
        row["sla_met_ratio"],
    ]


def _table_csv(*, rows: list[dict], name: str, query: ReportQuery) -> HttpResponse:
    lines = csv_lines(header=CSV_HEADER, rows=(_table_csv_row(row) for row in rows))
    response = HttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{query.date_from}-{query.date_to}.csv"'
    return response


TURN_CSV_HEADER = [
    "chat",
    "account",
    "marketplace",
    "turn",
    "started_at",
    "day",
    "answered_at",
    "response_seconds",
    "agent",
    "sla_deadline",
]


# What spreadsheet programs read as a date and time; in the zone of the `day` column beside them.
SPREADSHEET_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _turn_csv_row(row: tuple) -> list:
    return [
        timezone.localtime(value, REPORT_TIME_ZONE).strftime(SPREADSHEET_TIME_FORMAT)
        if isinstance(value, datetime)
        else value
        for value in row
    ]


def _turns_csv(*, request: HttpRequest, query: ReportQuery) -> StreamingHttpResponse:
    rows = (_turn_csv_row(row) for row in turn_rows_for_user(user=request.user, query=query))
    lines = csv_lines(header=TURN_CSV_HEADER, rows=rows)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="turns-{query.date_from}-{query.date_to}.csv"'
    return response
