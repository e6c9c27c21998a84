import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from assist.models import ReplyTemplate
from assist.template_services import TemplateInput, template_create
from assist.variables import template_render

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(agent):
    client = APIClient()
    client.force_authenticate(agent)
    return client


@pytest.fixture
def chat(make_account, make_chat, agent):
    agent.first_name = "Ольга"
    agent.save()
    account = make_account("ozon", name="Домашний уют", members=[agent])
    return make_chat(
        account,
        buyer_name="Анна",
        order_number="12345678-0001-1",
        product_title="Чайник",
        product_sku="987654",
    )


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ("покупатель", "Анна"),
        ("заказ", "12345678-0001-1"),
        ("товар", "Чайник"),
        ("артикул", "987654"),
        ("магазин", "Домашний уют"),
        ("сотрудник", "Ольга"),
        (" Покупатель ", "Анна"),
    ],
)
def test_each_variable_is_filled(chat, agent, variable, expected):
    rendered = template_render(text=f"Значение: {{{{{variable}}}}}.", chat=chat, user=agent)
    assert rendered.ok and rendered.text == f"Значение: {expected}."


def test_unknown_and_empty_variables_are_errors_not_blanks(chat, agent):
    chat.product_sku = ""
    rendered = template_render(text="Артикул {{артикул}}, трек {{трек}}", chat=chat, user=agent)
    assert not rendered.ok
    assert [problem.variable for problem in rendered.problems] == ["артикул", "трек"]
    assert "{{артикул}}" in rendered.text and "{{трек}}" in rendered.text


def test_templates_api_create_search_render_and_use(api, chat):
    created = api.post(
        "/api/chat/templates",
        {
            "title": "Возврат брака",
            "shortcut": "возврат",
            "text": "{{покупатель}}, оформите возврат заказа {{заказ}} в личном кабинете.",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    template_id = created.json()["id"]
    api.post("/api/chat/templates", {"title": "Доставка", "text": "Заказ в пути."}, format="json")
    found = api.get("/api/chat/templates", {"chat": chat.pk, "q": "возврата"}).json()
    assert [item["title"] for item in found] == ["Возврат брака"]
    rendered = api.post(f"/api/chat/templates/{template_id}/render", {"chat": chat.pk}, format="json")
    assert rendered.json() == {"text": "Анна, оформите возврат заказа 12345678-0001-1 в личном кабинете."}
    assert ReplyTemplate.objects.get(pk=template_id).usage_count == 1


def test_render_reports_missing_values(api, chat):
    chat.order_number = ""
    chat.save()
    template = api.post(
        "/api/chat/templates", {"title": "T", "text": "Заказ {{заказ}}"}, format="json"
    ).json()
    response = api.post(f"/api/chat/templates/{template['id']}/render", {"chat": chat.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["variables"][0]["variable"] == "заказ"


def test_unknown_variable_refused_when_saving(api):
    response = api.post("/api/chat/templates", {"title": "T", "text": "Привет {{имя}}"}, format="json")
    assert response.status_code == 400 and "text" in response.json()


def test_team_templates_need_an_admin_and_scope_limits_visibility(
    api, agent, chat, make_account, other_agent
):
    assert (
        api.post(
            "/api/chat/templates", {"title": "T", "text": "x y", "team": True}, format="json"
        ).status_code
        == 400
    )
    boss = User.objects.create_superuser("boss", password="boss-password-123")
    wb = make_account("wildberries", members=[other_agent])
    template_create(
        user=boss,
        data=TemplateInput(
            title="Для WB", text="a b", scope="marketplace", marketplace="wildberries", team=True
        ),
    )
    template_create(user=boss, data=TemplateInput(title="Для всех", text="a b", team=True))
    template_create(
        user=boss,
        data=TemplateInput(title="Для кабинета", text="a b", scope="account", account_id=wb.pk, team=True),
    )
    template_create(user=other_agent, data=TemplateInput(title="Чужой личный", text="a b"))
    titles = {item["title"] for item in api.get("/api/chat/templates").json()}
    assert titles == {"Для всех"}
    other = APIClient()
    other.force_authenticate(other_agent)
    assert {item["title"] for item in other.get("/api/chat/templates").json()} == {
        "Для всех",
        "Для WB",
        "Для кабинета",
        "Чужой личный",
    }


def test_only_the_author_changes_a_personal_template(api, other_agent, chat):
    mine = api.post("/api/chat/templates", {"title": "Мой", "text": "a b"}, format="json").json()
    assert (
        api.patch(f"/api/chat/templates/{mine['id']}", {"title": "Мой 2"}, format="json").json()["title"]
        == "Мой 2"
    )
    other = APIClient()
    other.force_authenticate(other_agent)
    assert other.patch(f"/api/chat/templates/{mine['id']}", {"title": "x"}, format="json").status_code == 404
    assert other.delete(f"/api/chat/templates/{mine['id']}").status_code == 404
    assert api.delete(f"/api/chat/templates/{mine['id']}").status_code == 204


def test_template_file_follows_the_marketplace_rules(api, chat, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    exe = SimpleUploadedFile("setup.exe", b"MZ....", content_type="application/octet-stream")
    refused = api.post("/api/chat/templates", {"title": "T", "text": "a b", "file": exe}, format="multipart")
    assert refused.status_code == 400 and "file" in refused.json()  # "all" scope: WB takes JPG/PNG/PDF only
    pdf = SimpleUploadedFile("инструкция.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    created = api.post("/api/chat/templates", {"title": "T", "text": "a b", "file": pdf}, format="multipart")
    assert created.status_code == 201 and created.json()["file"]["name"] == "инструкция.pdf"


def test_membership_on_render_and_chat_filter(api, make_account, make_chat, other_agent):
    foreign = make_chat(make_account("wildberries", members=[other_agent]))
    template = api.post("/api/chat/templates", {"title": "T", "text": "a b"}, format="json").json()
    assert (
        api.post(
            f"/api/chat/templates/{template['id']}/render", {"chat": foreign.pk}, format="json"
        ).status_code
        == 404
    )
    assert api.get("/api/chat/templates", {"chat": foreign.pk}).status_code == 404


def test_a_templates_file_travels_with_the_reply(api, chat, settings, tmp_path):
    from inbox.models import Message, OutgoingFile

    settings.MEDIA_ROOT = tmp_path
    pdf = SimpleUploadedFile("инструкция.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    template = api.post(
        "/api/chat/templates",
        {"title": "Инструкция", "text": "Инструкция во вложении", "file": pdf},
        format="multipart",
    ).json()
    sent = api.post(
        f"/api/chat/chats/{chat.pk}/send",
        {"text": "Инструкция во вложении", "template": template["id"]},
        format="json",
    )
    assert sent.status_code == 202, sent.content
    stored = OutgoingFile.objects.get(message__chat=chat)
    assert stored.name == "инструкция.pdf" and bytes(stored.content) == b"%PDF-1.4 test"
    assert Message.objects.filter(chat=chat, direction="out").count() == 2  # Ozon: the text, then the file


def test_a_foreign_template_file_is_refused(
    api, chat, other_agent, make_account, make_chat, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    from assist.template_services import TemplateInput, template_create

    theirs = template_create(
        user=other_agent,
        data=TemplateInput(title="Чужой", text="a b"),
        upload=SimpleUploadedFile("x.pdf", b"%PDF-1.4", content_type="application/pdf"),
    )
    refused = api.post(
        f"/api/chat/chats/{chat.pk}/send",
        {"text": "Здравствуйте, вот файл", "template": theirs.pk},
        format="json",
    )
    assert refused.status_code == 400 and "file" in refused.json()
