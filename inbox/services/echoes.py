"""Is a marketplace echo the copy of one of our replies? Rules for replies that carry a file."""

import unicodedata
from typing import Any
from urllib.parse import unquote

from marketplaces.types import AttachmentKind, RemoteAttachment, RemoteMessage


def file_name_normalise(*, name: str) -> str:
    # Names derived from a URL arrive percent-encoded (WB images, Ozon links).
    return unicodedata.normalize("NFC", unquote(name)).strip().casefold()


def _is_nameless_image(attachment: RemoteAttachment) -> bool:
    """An image the marketplace describes by its URL only (WB `images`, Ozon bare links): no file name."""
    return attachment.kind == AttachmentKind.IMAGE and not attachment.content_type and attachment.size is None


def reply_echo_matches(
    *, text: str, attachments: list[dict[str, Any]], remote: RemoteMessage, texts_equal: bool
) -> bool:
    """`texts_equal`: the normalised texts of our reply and the echo are the same.

    A text reply matches on its text alone. A reply with a file needs the file's name among the echo's
    attachments (and its text, if it has one: Ozon renders a file as a Markdown link in the echo's
    text, so an empty text is not compared). An image the marketplace keeps without its name matches an
    image reply only when the texts are equal as well.
    """
    names = [
        str(item.get("name") or "") for item in attachments if isinstance(item, dict) and item.get("name")
    ]
    if not names:
        return texts_equal
    if text.strip() and not texts_equal:
        return False
    echoed = {file_name_normalise(name=item.name) for item in remote.attachments if item.name}
    if all(file_name_normalise(name=name) in echoed for name in names):
        return True
    ours_are_images = all(
        isinstance(item, dict) and item.get("kind") == AttachmentKind.IMAGE for item in attachments
    )
    nameless = [item for item in remote.attachments if _is_nameless_image(item)]
    return texts_equal and ours_are_images and len(nameless) >= len(names)


def echo_attachments_merge(
    *, ours: list[dict[str, Any]], echoed: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The attachments a matched reply keeps: ours (name, type, size as we sent them) with the
    marketplace's references (remote id, URL, moderation), which the echo may describe more poorly."""
    if not ours:
        return echoed
    remaining = list(echoed)
    merged = []
    for item in ours:
        wanted = file_name_normalise(name=str(item.get("name") or ""))
        found = next(
            (
                other
                for other in remaining
                if file_name_normalise(name=str(other.get("name") or "")) == wanted
            ),
            None,
        )
        if found is None:
            found = next((other for other in remaining if other.get("kind") == item.get("kind")), None)
        if found is None:
            merged.append(item)
            continue
        remaining.remove(found)
        merged.append(
            {
                **item,
                "remote_id": found.get("remote_id", ""),
                "url": found.get("url", ""),
                "moderation": found.get("moderation", ""),
            }
        )
    return merged + remaining
