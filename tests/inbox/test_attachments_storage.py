"""Stored attachments: fetched once, served with caching headers, failed fetches retried with backoff."""

import ast
import hashlib
import os
import subprocess
import sys
from datetime import timedelta

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from inbox import attachments
from inbox.models import Message, StoredAttachment
from marketplaces.http import DEFAULT_MAX_ATTEMPTS

DOWNLOAD = "https://buyer-chat-api.wildberries.ru/api/v1/seller/download/{id}"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
PDF = b"%PDF-1.4\n% stored once\n"


@pytest.fixture
def wildberries_chat(make_account, make_chat, agent):
    return make_chat(make_account("wildberries", members=[agent]))


@pytest.fixture
def client_of_agent(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def photo_message(wildberries_chat):
    return Message.objects.create(
        chat=wildberries_chat,
        external_id="event-1",
        direction=Message.Direction.IN,
        author=Message.Author.BUYER,
        created_at=timezone.now(),
        attachments=[
            # Names as WB sends them in URLs: percent-encoded.
            {"kind": "image", "name": "%D1%84%D0%BE%D1%82%D0%BE.png", "remote_id": "img-1", "moderation": ""},
            {"kind": "file", "name": "Чек.pdf", "remote_id": "doc-1", "moderation": ""},
        ],
    )


def download_url(message: Message, index: int) -> str:
    return reverse("inbox:attachment", args=[message.chat_id, message.pk, index])


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@responses.activate
@pytest.mark.django_db
def test_a_file_is_fetched_once_and_served_with_caching_headers(client_of_agent, photo_message):
    responses.get(DOWNLOAD.format(id="img-1"), body=PNG, content_type="image/png")
    url = download_url(photo_message, 0)

    first = client_of_agent.get(url)
    second = client_of_agent.get(url)

    assert len(responses.calls) == 1
    etag = f'"{hashlib.sha256(PNG).hexdigest()}"'
    for response in (first, second):
        assert response.status_code == 200
        assert body(response) == PNG
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == "inline; filename*=utf-8''%D1%84%D0%BE%D1%82%D0%BE.png"
        assert response["Content-Length"] == str(len(PNG))
        assert response["ETag"] == etag
        assert response["Cache-Control"] == "private, max-age=31536000, immutable"
        assert response["X-Content-Type-Options"] == "nosniff"
    stored = StoredAttachment.objects.get(message=photo_message, index=0)
    assert (stored.state, stored.attempts, stored.size, stored.name) == ("stored", 1, len(PNG), "фото.png")
    with stored.file.open("rb") as handle:
        assert handle.read() == PNG

    revalidated = client_of_agent.get(url, headers={"If-None-Match": etag})
    assert revalidated.status_code == 304
    assert revalidated["ETag"] == etag
    assert len(responses.calls) == 1


@responses.activate
@pytest.mark.django_db
def test_a_file_that_is_not_an_image_is_an_attachment_download(client_of_agent, photo_message):
    responses.get(DOWNLOAD.format(id="doc-1"), body=PDF, content_type="application/pdf")
    response = client_of_agent.get(download_url(photo_message, 1))
    assert response.status_code == 200
    assert body(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%D0%A7%D0%B5%D0%BA.pdf"


@responses.activate
@pytest.mark.django_db
def test_a_failing_fetch_backs_off_instead_of_asking_on_every_refresh(client_of_agent, photo_message):
    responses.get(DOWNLOAD.format(id="img-1"), status=502, json={"title": "bad gateway"})
    url = download_url(photo_message, 0)

    failed = client_of_agent.get(url)
    assert failed.status_code == 502
    assert failed["Retry-After"] == "30"
    assert failed["Cache-Control"] == "no-store"
    calls_after_first = len(responses.calls)
    assert calls_after_first == DEFAULT_MAX_ATTEMPTS

    refreshed = client_of_agent.get(url)
    assert refreshed.status_code == 502
    assert int(refreshed["Retry-After"]) in (29, 30)
    assert len(responses.calls) == calls_after_first
    row = StoredAttachment.objects.get(message=photo_message, index=0)
    assert (row.state, row.attempts) == ("failed", 1)
    assert "502" in row.last_error

    # After the backoff the marketplace is asked again; the second failure doubles the wait.
    later = timezone.now() + timedelta(seconds=31)
    again = attachments.attachment_get(message=photo_message, index=0, now=later)
    assert (again.state, again.retry_after) == ("failed", 60)
    assert len(responses.calls) == 2 * DEFAULT_MAX_ATTEMPTS

    responses.replace(responses.GET, DOWNLOAD.format(id="img-1"), body=PNG, content_type="image/png")
    stored = attachments.attachment_get(message=photo_message, index=0, now=later + timedelta(seconds=61))
    assert (stored.state, stored.size) == ("stored", len(PNG))
    row.refresh_from_db()
    assert (row.state, row.attempts, row.next_try_at, row.last_error) == ("stored", 3, None, "")


@responses.activate
@pytest.mark.django_db
def test_wildberries_moderation_is_a_state_asked_again_only_after_retry_seconds(
    client_of_agent, photo_message
):
    responses.get(
        DOWNLOAD.format(id="img-1"), status=202, json={"moderationState": "pending", "retrySeconds": 120}
    )
    url = download_url(photo_message, 0)

    response = client_of_agent.get(url)
    assert response.status_code == 202
    assert response["Retry-After"] == "120"
    assert (
        response.content.decode() == "Маркетплейс ещё проверяет этот файл. Попробуйте через несколько минут."
    )
    assert client_of_agent.get(url).status_code == 202
    assert len(responses.calls) == 1
    photo_message.refresh_from_db()
    # The thread shows the placeholder instead of a broken image.
    assert photo_message.attachments[0]["moderation"] == "pending"
    pane = client_of_agent.get(reverse("inbox:chat", args=[photo_message.chat_id])).content.decode()
    assert f"{url}?inline=1" not in pane

    responses.replace(responses.GET, DOWNLOAD.format(id="img-1"), body=PNG, content_type="image/png")
    later = timezone.now() + timedelta(seconds=121)
    assert attachments.attachment_get(message=photo_message, index=0, now=later).state == "stored"
    assert len(responses.calls) == 2
    photo_message.refresh_from_db()
    assert photo_message.attachments[0]["moderation"] == ""


@responses.activate
@pytest.mark.django_db
def test_wildberries_rejection_is_final(client_of_agent, photo_message):
    responses.get(
        DOWNLOAD.format(id="doc-1"),
        status=451,
        json={"status": 451, "title": "Unavailable for Legal Reasons", "detail": "moderation error"},
        content_type="application/problem+json",
    )
    url = download_url(photo_message, 1)

    response = client_of_agent.get(url)
    assert response.status_code == 451
    assert response.content.decode() == "Маркетплейс отклонил этот файл на модерации, скачать его нельзя."
    later = timezone.now() + timedelta(days=1)
    assert attachments.attachment_get(message=photo_message, index=1, now=later).state == "rejected"
    assert client_of_agent.get(url).status_code == 451
    assert len(responses.calls) == 1
    assert StoredAttachment.objects.get(message=photo_message, index=1).state == "rejected"
    photo_message.refresh_from_db()
    assert photo_message.attachments[1]["moderation"] == "rejected"


@pytest.mark.django_db
def test_a_fetch_in_progress_is_not_started_twice(photo_message, monkeypatch):
    now = timezone.now()
    StoredAttachment.objects.create(
        message=photo_message, index=0, next_try_at=now + timedelta(seconds=attachments.FETCH_CLAIM_SECONDS)
    )
    monkeypatch.setattr(attachments, "attachment_fetch", lambda **kwargs: pytest.fail("must not fetch"))
    content = attachments.attachment_get(message=photo_message, index=0, now=now)
    assert (content.state, content.retry_after) == ("pending", attachments.FETCH_CLAIM_SECONDS)


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (20, 3600)]
)
def test_backoff_doubles_up_to_an_hour(attempts, seconds):
    assert attachments.attachment_backoff_seconds(attempts=attempts) == seconds


@pytest.mark.parametrize(
    ("bucket", "backend"),
    [
        ("", "django.core.files.storage.filesystem.FileSystemStorage"),
        ("chat-files", "storages.backends.s3.S3Storage"),
    ],
)
def test_storage_backend_is_chosen_by_the_environment(bucket, backend):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatcenter.settings",
        "DJANGO_SECRET_KEY": "x" * 50,
        "FERNET_KEYS": "test-fernet-key-one",
        "ATTACHMENTS_S3_BUCKET": bucket,
        "ATTACHMENTS_S3_ENDPOINT_URL": "https://storage.example.test",
    }
    script = (
        "import django; django.setup()\n"
        "from django.core.files.storage import default_storage\n"
        "default_storage._setup()\n"
        "cls = type(default_storage._wrapped)\n"
        "print(f'{cls.__module__}.{cls.__qualname__}')\n"
        "print(getattr(default_storage._wrapped, 'bucket_name', ''))\n"
        "print(getattr(default_storage._wrapped, 'endpoint_url', ''))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    expected_endpoint = "https://storage.example.test" if bucket else ""
    assert result.stdout.splitlines() == [backend, bucket, expected_endpoint]


@responses.activate
@pytest.mark.django_db
def test_a_file_in_moderation_is_checked_again_in_the_background(photo_message):
    from django_q.models import Schedule

    responses.get(
        DOWNLOAD.format(id="img-1"), status=202, json={"moderationState": "pending", "retrySeconds": 30}
    )
    assert attachments.attachment_get(message=photo_message, index=0).state == "moderation"
    row = StoredAttachment.objects.get(message=photo_message, index=0)
    schedule = Schedule.objects.get(name=f"attachment-recheck-{row.pk}")
    assert (schedule.func, schedule.schedule_type, schedule.next_run) == (
        "inbox.attachments.attachment_recheck_task",
        Schedule.ONCE,
        row.next_try_at,
    )
    assert ast.literal_eval(schedule.kwargs) == {"stored_attachment_id": row.pk}

    # Still in moderation at the first check: the next check is planned after a longer wait.
    StoredAttachment.objects.filter(pk=row.pk).update(next_try_at=timezone.now() - timedelta(seconds=1))
    assert attachments.attachment_recheck_task(row.pk) == "moderation"
    row.refresh_from_db()
    assert row.attempts == 2
    schedule.refresh_from_db()
    assert schedule.next_run == row.next_try_at
    assert Schedule.objects.filter(name__startswith="attachment-recheck-").count() == 1

    responses.replace(responses.GET, DOWNLOAD.format(id="img-1"), body=PNG, content_type="image/png")
    StoredAttachment.objects.filter(pk=row.pk).update(next_try_at=timezone.now() - timedelta(seconds=1))
    assert attachments.attachment_recheck_task(row.pk) == "stored"
    photo_message.refresh_from_db()
    assert photo_message.attachments[0]["moderation"] == ""
    assert len(responses.calls) == 3
