"""Attachment downloads through our server: the browser never sees marketplace tokens or URLs."""

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from inbox.models import Message
from inbox.selectors import message_get_for_chat
from inbox.views.pages import chat_for_request
from marketplaces.errors import AttachmentPendingError, AttachmentRejectedError, MarketplaceError

INLINE_CONTENT_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
UNSAFE_FILENAME_CHARACTERS = re.compile(r'[\x00-\x1f\x7f/\\"<>:|?*;]+')


def safe_filename(*, name: str) -> str:
    """A name that cannot escape the header or a download folder; never empty."""
    cleaned = UNSAFE_FILENAME_CHARACTERS.sub("_", name).strip(" ._")[:150]
    return cleaned or "attachment"


@login_required
@require_GET
def attachment_download(request: HttpRequest, chat_id: int, message_id: int, index: int) -> HttpResponse:
    from inbox.attachments import attachment_fetch

    chat = chat_for_request(request=request, chat_id=chat_id)
    try:
        message = message_get_for_chat(chat=chat, message_id=message_id)
    except Message.DoesNotExist:
        raise Http404("No such message") from None
    attachments = message.attachments if isinstance(message.attachments, list) else []
    if index >= len(attachments) or not isinstance(attachments[index], dict):
        raise Http404("No such attachment")
    item = attachments[index]
    try:
        download = attachment_fetch(message=message, index=index)
    except IndexError:
        raise Http404("No such attachment") from None
    except AttachmentPendingError:
        return _plain(_("The marketplace is still checking this file. Try again in a few minutes."), 409)
    except AttachmentRejectedError:
        return _plain(_("The marketplace rejected this file in moderation; it cannot be downloaded."), 410)
    except MarketplaceError as error:
        reason = _("The marketplace did not return the file: %(reason)s") % {"reason": error.message}
        return _plain(reason, 502)
    content_type = (download.content_type or item.get("content_type") or "").split(";")[0].strip().lower()
    inline = request.GET.get("inline") == "1" and content_type in INLINE_CONTENT_TYPES
    filename = safe_filename(name=item.get("name") or download.name or "")
    response = HttpResponse(download.content, content_type=content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(as_attachment=not inline, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _plain(text: str, status: int) -> HttpResponse:
    response = HttpResponse(text, content_type="text/plain; charset=utf-8", status=status)
    response["X-Content-Type-Options"] = "nosniff"
    return response
