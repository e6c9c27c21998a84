"""Attachments are fetched on demand with the account's credentials; the browser never sees them."""

from inbox.models import Message, OutgoingFile
from marketplaces import registry
from marketplaces.errors import AttachmentRejectedError
from marketplaces.types import Download


def attachment_fetch(*, message: Message, index: int) -> Download:
    """Download attachment `index` of `message` from its marketplace.

    Raises IndexError for a missing attachment, AttachmentPendingError while the marketplace is still
    moderating the file, AttachmentRejectedError when it never will serve it, other MarketplaceErrors.
    """
    attachments = message.attachments if isinstance(message.attachments, list) else []
    if index < 0 or index >= len(attachments) or not isinstance(attachments[index], dict):
        raise IndexError(f"message {message.pk} has no attachment {index}")
    item = attachments[index]
    if item.get("moderation") == "rejected":
        raise AttachmentRejectedError("Маркетплейс отклонил этот файл при модерации.")
    if message.direction == Message.Direction.OUT and index == 0:
        # Our own reply's file: we hold its bytes (before the echo there is no remote copy to fetch,
        # and Yandex Market or Ozon would not serve it through the API anyway).
        stored = OutgoingFile.objects.filter(message=message).first()
        if stored is not None:
            return Download(content=bytes(stored.content), content_type=stored.content_type, name=stored.name)
    connector = registry.get_connector(message.chat.account)
    return connector.download_attachment(
        remote_id=str(item.get("remote_id") or ""), url=str(item.get("url") or "")
    )
