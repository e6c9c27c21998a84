import codecs
import csv
import io

import pytest
from django.contrib.auth.models import User
from django.test import Client

from audit.models import AuditEvent
from audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_append_only_for_the_application(agent):
    event = audit_record(
        actor=agent, action=AuditEvent.Action.CHAT_ASSIGNED, target_type="inbox.chat", target_id="7"
    )
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="login")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().actor_name == "agent"


def test_admin_reads_filters_and_exports_but_cannot_change():
    boss = User.objects.create_superuser("boss", password="boss-password-123")
    audit_record(
        actor=boss,
        action=AuditEvent.Action.CREDENTIALS_CHANGED,
        target_type="accounts.marketplaceaccount",
        target_id="3",
    )
    client = Client()
    client.force_login(boss)
    listing = client.get("/admin/audit/auditevent/?action__exact=credentials_changed")
    assert listing.status_code == 200
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    event = AuditEvent.objects.filter(action="credentials_changed").get()
    export = client.post("/admin/audit/auditevent/", {"action": "export_csv", "_selected_action": [event.pk]})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert "credentials_changed" in export.content.decode()
    assert AuditEvent.objects.filter(action="exported", actor=boss).exists()


def test_export_writes_formula_like_values_as_text():
    boss = User.objects.create_superuser("boss", password="boss-password-123")
    audit_record(
        actor=None,
        actor_name="=cmd|' /C calc'!A0",
        action=AuditEvent.Action.CREDENTIALS_CHANGED,
        target_type="accounts.marketplaceaccount",
        target_id="-3+1",
    )
    client = Client()
    client.force_login(boss)
    event = AuditEvent.objects.get(action="credentials_changed")
    export = client.post("/admin/audit/auditevent/", {"action": "export_csv", "_selected_action": [event.pk]})
    assert export.content.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8").removeprefix("\ufeff"))))
    assert rows[0][0] == "created_at"
    assert rows[1][1] == "'=cmd|' /C calc'!A0"
    assert rows[1][5] == "'-3+1"
