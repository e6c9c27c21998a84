"""Files of WB buyer chats: fetched with the account's token, answered 202 while still in moderation."""

from django.utils.translation import gettext as _

from marketplaces import errors
from marketplaces.http import HttpClient, body_json_or_none
from marketplaces.ratelimit import BucketSpec
from marketplaces.types import Download
from marketplaces.wildberries.parse import name_from_url

# wb-09-communications-2026-07.yaml, "Чат с покупателями" → GET /api/v1/seller/download/{id}.
DOWNLOAD_PATH = "/api/v1/seller/download/{id}"
MAX_DOWNLOAD_BYTES = 32 * 1024 * 1024


def attachment_download(*, http: HttpClient, limit: BucketSpec, remote_id: str, url: str) -> Download:
    if not remote_id:
        raise errors.RequestRejectedError(_("The Wildberries attachment has no downloadID"))
    response = http.request(
        "GET",
        DOWNLOAD_PATH.format(id=remote_id),
        idempotent=True,
        limits=(limit,),
        ok_statuses=(200, 202),
        max_response_bytes=MAX_DOWNLOAD_BYTES,
    )
    if response.status == 202:
        body = body_json_or_none(response)
        seconds = body.get("retrySeconds") if isinstance(body, dict) else None
        raise errors.AttachmentPendingError(
            _("The file is still in Wildberries moderation"),
            retry_after=float(seconds) if isinstance(seconds, int | float) else 30.0,
        )
    return Download(
        content=response.content,
        content_type=response.content_type or "application/octet-stream",
        name=name_from_url(url),
    )
