"""Attachment downloads through our server: the browser never sees marketplace tokens or URLs."""

import re

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import content_disposition_header, parse_etags
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from inbox import attachments
from inbox.models import Message, StoredAttachment
from inbox.selectors import message_get_for_chat
from inbox.views.pages import chat_for_request

INLINE_CONTENT_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
UNSAFE_FILENAME_CHARACTERS = re.compile(r'[\x00-\x1f\x7f/\\"<>:|?*;]+')
# A stored file never changes (a new file is a new attachment), so the browser may keep it for a year;
# private: it is a buyer's file behind our login, no shared cache may keep it.
STORED_CACHE_CONTROL = "private, max-age=31536000, immutable"
State = StoredAttachment.State


def safe_filename(*, name: str) -> str:
    """A name that cannot escape the header or a download folder; never empty."""
    cleaned = UNSAFE_FILENAME_CHARACTERS.sub("_", name).strip(" ._")[:150]
    return cleaned or "attachment"


@login_required
@require_GET
def attachment_download(request: HttpRequest, chat_id: int, message_id: int, index: int) -> HttpResponse:
    chat = chat_for_request(request=request, chat_id=chat_id)
    try:
        message = message_get_for_chat(chat=chat, message_id=message_id)
    except Message.DoesNotExist:
        raise Http404("No such message") from None
    try:
        content = attachments.attachment_get(message=message, index=index)
    except IndexError:
        raise Http404("No such attachment") from None
    if content.state != State.STORED or content.opener is None:
        return _state_response(content=content)
    if content.etag and content.etag in parse_etags(request.headers.get("If-None-Match", "")):
        not_modified = HttpResponseNotModified()
        not_modified["ETag"] = content.etag
        not_modified["Cache-Control"] = STORED_CACHE_CONTROL
        return not_modified
    inline = content.content_type in INLINE_CONTENT_TYPES
    response = _body_response(content=content)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=not inline, filename=safe_filename(name=content.name)
    )
    response["Content-Length"] = str(content.size)
    response["ETag"] = content.etag
    response["Cache-Control"] = STORED_CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _body_response(*, content: attachments.AttachmentContent) -> HttpResponse:
    if content.in_memory is not None:
        return HttpResponse(content.in_memory, content_type=content.content_type)
    # Streamed from storage (disk or S3) without holding the whole file in memory.
    return FileResponse(content.opener(), content_type=content.content_type)


def _state_response(*, content: attachments.AttachmentContent) -> HttpResponse:
    """WB moderation (202) and rejection (451) are answered as what they are; a failed fetch says when
    we will ask the marketplace again."""
    if content.state == State.MODERATION:
        text, status = _("The marketplace is still checking this file. Try again in a few minutes."), 202
    elif content.state == State.REJECTED:
        text, status = _("The marketplace rejected this file in moderation; it cannot be downloaded."), 451
    elif content.state == State.FAILED:
        text = _("The marketplace did not return the file: %(reason)s") % {"reason": content.reason}
        status = 502
    else:
        text, status = _("The file is being fetched from the marketplace. Try again in a moment."), 503
    response = HttpResponse(text, content_type="text/plain; charset=utf-8", status=status)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    if content.retry_after:
        response["Retry-After"] = str(content.retry_after)
    return response
