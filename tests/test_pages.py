import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_root_redirects_to_inbox_and_inbox_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:index")
    response = client.get(reverse("inbox:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_login_page_is_russian_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'lang="ru"' in response.content.decode()


@pytest.mark.django_db
def test_logged_in_agent_gets_the_inbox_shell(client, agent):
    client.force_login(agent)
    response = client.get(reverse("inbox:index"))
    assert response.status_code == 200
