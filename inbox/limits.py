"""Reply limits per marketplace: the one place the inbox, the API and validation read them from."""

from dataclasses import dataclass

from accounts.credentials import OZON, WILDBERRIES, YANDEX_MARKET

# WB buyer chat: 1000 characters per message (questions allow 5000, but our WB chats reply through the
# chat API, so the stricter limit applies). Ozon chat: 1000. Yandex Market chat: 4096.
REPLY_LENGTH_LIMITS: dict[str, int] = {
    WILDBERRIES: 1000,
    OZON: 1000,
    YANDEX_MARKET: 4096,
}
DEFAULT_REPLY_LENGTH_LIMIT = 1000

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class FileLimits:
    """What one reply may carry as a file. Empty `extensions` means the marketplace names no types."""

    supported: bool
    # Lower-case extensions with the dot, each mapped to the content type it must have.
    extensions: dict[str, str]
    max_bytes: int
    max_files: int
    # The marketplace takes the text and the file in one request (else the file is a message of its own).
    text_with_file: bool
    needs_extension: bool = False

    @property
    def accept(self) -> str:
        """The value of the file input's `accept` attribute ("" = any file)."""
        return ",".join([*self.extensions, *dict.fromkeys(self.extensions.values())])

    @property
    def max_megabytes(self) -> int:
        return self.max_bytes // MEGABYTE


NO_FILES = FileLimits(supported=False, extensions={}, max_bytes=0, max_files=0, text_with_file=False)

# wb-09-communications-2026-07.yaml, POST /api/v1/seller/message, multipart `file`: "JPEG, PDF или PNG,
# максимальный размер — 5 Мб каждый, суммарный — 30 Мб" (the 400 example says "Max size: 5MiB"); text
# and files travel in the same multipart request. The array has no count limit; a reply carries one.
WILDBERRIES_FILES = FileLimits(
    supported=True,
    extensions={".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf"},
    max_bytes=5 * MEGABYTE,
    max_files=1,
    text_with_file=True,
)
# ozon-chat-push-subset-2026-10-derived.json, POST /v1/chat/send/file (chatChatSendFileRequest): one file
# per request, `name` is "Название файла с расширением"; no type or size limit is documented. The 5 MB
# cap is ours (the file waits in our database until delivered), the same the other two marketplaces set.
OZON_FILES = FileLimits(
    supported=True,
    extensions={},
    max_bytes=5 * MEGABYTE,
    max_files=1,
    text_with_file=False,
    needs_extension=True,
)
# ym-partner-api-openapi-bundled-2026-07.yaml, POST /v2/businesses/{businessId}/chats/file/send
# (SendFileToChatRequest): one multipart `file`, "Максимальный размер файла — 5 Мбайт", no type limit;
# text goes through sendMessageToChat separately.
YANDEX_MARKET_FILES = FileLimits(
    supported=True,
    extensions={},
    max_bytes=5 * MEGABYTE,
    max_files=1,
    text_with_file=False,
)
FILE_LIMITS: dict[str, FileLimits] = {
    WILDBERRIES: WILDBERRIES_FILES,
    OZON: OZON_FILES,
    YANDEX_MARKET: YANDEX_MARKET_FILES,
}
# Kinds of chat whose reply endpoint takes no files: WB questions are answered with PATCH /api/v1/questions,
# whose body is text only (wb-09-communications-2026-07.yaml, tag "Вопросы").
KINDS_WITHOUT_FILES = frozenset({"question"})


def reply_length_limit(*, marketplace: str) -> int:
    return REPLY_LENGTH_LIMITS.get(marketplace, DEFAULT_REPLY_LENGTH_LIMIT)


def reply_file_limits(*, marketplace: str, chat_kind: str) -> FileLimits:
    if chat_kind in KINDS_WITHOUT_FILES:
        return NO_FILES
    return FILE_LIMITS.get(marketplace, NO_FILES)
