"""Per-account rule switches: the service, the admin page, and their effect on the chat check."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from assist.compliance import compliance_check_for_chat
from assist.models import AccountComplianceSettings, ComplianceSettingsChange
from assist.services import compliance_settings_update

pytestmark = pytest.mark.django_db


def test_update_records_who_and_replaces_the_set(agent, make_account) -> None:
    account = make_account("ozon")
    compliance_settings_update(
        account=account, disabled_rules={"too_short", "contact_phone"}, changed_by=agent
    )
    compliance_settings_update(account=account, disabled_rules={"profanity"}, changed_by=None)
    settings = AccountComplianceSettings.objects.get(account=account)
    assert settings.disabled_rules == ["profanity"]
    assert settings.changed_by is None
    history = list(
        ComplianceSettingsChange.objects.filter(account=account).values_list("disabled_rules", "changed_by")
    )
    assert history == [(["profanity"], None), (["contact_phone", "too_short"], agent.pk)]


def test_unknown_rule_is_refused_and_nothing_is_written(agent, make_account) -> None:
    account = make_account("ozon")
    with pytest.raises(ValueError, match="no_such_rule"):
        compliance_settings_update(account=account, disabled_rules={"no_such_rule"}, changed_by=agent)
    assert not AccountComplianceSettings.objects.exists()
    assert not ComplianceSettingsChange.objects.exists()


def test_chat_check_uses_the_chat_kind_marketplace_and_switches(agent, make_account, make_chat) -> None:
    account = make_account("wildberries")
    chat = make_chat(account, kind="question")
    assert [v.rule for v in compliance_check_for_chat(chat=chat, text="Спасибо").violations] == ["too_short"]
    compliance_settings_update(account=account, disabled_rules={"too_short"}, changed_by=agent)
    assert compliance_check_for_chat(chat=chat, text="Спасибо").violations == ()
    other = make_chat(make_account("wildberries", name="second"))
    assert [v.rule for v in compliance_check_for_chat(chat=other, text="Спасибо").violations] == ["too_short"]


def test_admin_saves_switches_with_the_admin_as_author(make_account) -> None:
    admin = User.objects.create_superuser("boss", password="boss-password-123")
    account = make_account("ozon")
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/admin/assist/accountcompliancesettings/add/",
        {"account": account.pk, "disabled_rules": ["contact_link", "marketplace_disparagement"]},
    )
    assert response.status_code == 302
    settings = AccountComplianceSettings.objects.get(account=account)
    assert settings.disabled_rules == ["contact_link", "marketplace_disparagement"]
    assert settings.changed_by == admin
    assert ComplianceSettingsChange.objects.get(account=account).changed_by == admin
    page = client.get(f"/admin/assist/accountcompliancesettings/{account.pk}/change/")
    assert page.status_code == 200
    assert "Ссылки на сторонние сайты" in page.content.decode()
    assert client.get("/admin/assist/compliancesettingschange/").status_code == 200
