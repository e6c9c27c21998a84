"""Files attached to replies: validated here once for the web inbox and the API, before anything is stored."""

import mimetypes
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Marketplace
from inbox.models import Chat
from marketplaces.registry import MARKETPLACE_SPECS
from marketplaces.spec import NO_FILES, FileLimits
from marketplaces.types import AttachmentKind, RemoteAttachment

MAX_NAME_LENGTH = 255
# Shown inline in the thread (the download view serves only these inline); other images are files.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
DEFAULT_CONTENT_TYPE = "application/octet-stream"
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")
CONTENT_TYPE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
# Marketplaces check what a file is by its first bytes, not by its name.
MAGIC_NUMBERS = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True)
class ReplyFile:
    """A validated file, ready to be stored with its reply."""

    name: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


def file_name_clean(*, name: str) -> str:
    """The last path segment, without control characters, at most 255 characters (extension kept)."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = CONTROL_CHARACTERS.sub("", base).strip()
    if len(base) <= MAX_NAME_LENGTH:
        return base
    suffix = PurePosixPath(base).suffix[:20]
    return base[: MAX_NAME_LENGTH - len(suffix)] + suffix


def file_extension(*, name: str) -> str:
    return PurePosixPath(name).suffix.lower() if "." in name.strip(".") else ""


def content_type_sniff(*, content: bytes) -> str:
    for magic, content_type in MAGIC_NUMBERS:
        if content.startswith(magic):
            return content_type
    return ""


def file_too_large_message(*, limits: FileLimits, name: str) -> str:
    return _("The file is larger than %(megabytes)s MB: %(name)s") % {
        "megabytes": limits.max_megabytes,
        "name": name,
    }


def file_type_message(*, marketplace: str, limits: FileLimits, name: str) -> str:
    return _("%(marketplace)s accepts only %(extensions)s files: %(name)s") % {
        "marketplace": Marketplace(marketplace).label,
        "extensions": ", ".join(limits.extensions),
        "name": name,
    }


def file_hint(*, limits: FileLimits) -> str:
    """A short line under the reply box: what may be attached here."""
    if limits.extensions:
        return _("Files %(extensions)s up to %(megabytes)s MB") % {
            "extensions": ", ".join(limits.extensions),
            "megabytes": limits.max_megabytes,
        }
    return _("Any file up to %(megabytes)s MB") % {"megabytes": limits.max_megabytes}


def reply_file_limits_for(*, chat: Chat) -> FileLimits:
    """What a reply in this chat may carry, from its marketplace's spec."""
    spec = MARKETPLACE_SPECS.get(chat.account.marketplace)
    return NO_FILES if spec is None else spec.file_limits_for(kind=chat.kind)


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": message})


def reply_files_validate(*, chat: Chat, uploads: Sequence[UploadedFile]) -> ReplyFile | None:
    """The reply's file, or ValidationError keyed "file" naming what is wrong in Russian (via gettext)."""
    if not uploads:
        return None
    marketplace = chat.account.marketplace
    limits = reply_file_limits_for(chat=chat)
    if not limits.supported:
        raise _refuse(_("Files cannot be sent to this chat."))
    if len(uploads) > limits.max_files:
        raise _refuse(
            ngettext(
                "Attach at most %(count)s file to one reply.",
                "Attach at most %(count)s files to one reply.",
                limits.max_files,
            )
            % {"count": limits.max_files}
        )
    upload = uploads[0]
    name = file_name_clean(name=upload.name or "")
    extension = file_extension(name=name)
    if not name or (limits.needs_extension and not extension):
        raise _refuse(_("The file name needs an extension, e.g. .pdf: %(name)s") % {"name": name})
    if limits.extensions and extension not in limits.extensions:
        raise _refuse(file_type_message(marketplace=marketplace, limits=limits, name=name))
    # The size Django counted while receiving the upload: refuse before reading it into memory.
    if upload.size is not None and upload.size > limits.max_bytes:
        raise _refuse(file_too_large_message(limits=limits, name=name))
    upload.seek(0)
    content = upload.read(limits.max_bytes + 1)
    if len(content) > limits.max_bytes:
        raise _refuse(file_too_large_message(limits=limits, name=name))
    if not content:
        raise _refuse(_("The file is empty: %(name)s") % {"name": name})
    sniffed = content_type_sniff(content=content)
    if limits.extensions:
        if sniffed != limits.extensions[extension]:
            raise _refuse(_("The file content does not match its extension: %(name)s") % {"name": name})
        content_type = sniffed
    else:
        content_type = sniffed or _declared_content_type(upload=upload, name=name)
    return ReplyFile(name=name, content_type=content_type, content=content)


def _declared_content_type(*, upload: UploadedFile, name: str) -> str:
    guessed = mimetypes.guess_type(name, strict=False)[0] or ""
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    for candidate in (guessed, declared):
        if candidate and len(candidate) <= 100 and CONTENT_TYPE_PATTERN.match(candidate):
            return candidate
    return DEFAULT_CONTENT_TYPE


def reply_file_attachments(*, file: ReplyFile) -> list[dict[str, Any]]:
    """The message's attachments metadata, in the shape the ingest code stores for marketplace files."""
    # Imported here: inbox.services imports the reply entry point, which imports this module.
    from inbox.services.aggregates import attachments_serialise

    # Imported here: inbox.services imports the reply entry point, which imports this module.

    kind = AttachmentKind.IMAGE if file.content_type in INLINE_IMAGE_TYPES else AttachmentKind.FILE
    return attachments_serialise(
        attachments=[
            RemoteAttachment(kind=kind, name=file.name, content_type=file.content_type, size=file.size)
        ]
    )
