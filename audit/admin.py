"""Admins read, filter and export the audit log; nobody edits or deletes it."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.services import audit_record
from chatcenter.csv_export import csv_lines


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_name", "action", "summary", "target_type", "target_id", "ip_address")
    list_filter = ("action", "created_at", "target_type")
    search_fields = ("actor_name", "summary", "target_id", "ip_address")
    date_hierarchy = "created_at"
    actions = ["export_csv"]
    list_per_page = 100

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Export the selected events as CSV"))
    def export_csv(self, request: HttpRequest, queryset: object) -> HttpResponse:
        rows = [
            [
                event.created_at.isoformat(),
                event.actor_name,
                event.action,
                event.summary,
                event.target_type,
                event.target_id,
                event.ip_address,
                event.details,
            ]
            for event in queryset
        ]
        header = ["created_at", "actor", "action", "object", "object_type", "object_id", "ip", "details"]
        response = HttpResponse(csv_lines(header=header, rows=rows), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.EXPORTED,
            request=request,
            details={"what": "audit log", "rows": len(rows)},
        )
        return response
