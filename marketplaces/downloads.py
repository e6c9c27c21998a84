"""Files the marketplace hands out as direct links (Ozon's Markdown links, Yandex Market's payload URLs).

The link comes from message data a buyer can influence, so it is fetched only from the marketplace's
own file hosts (its spec's `file_hosts`, subdomains included, HTTPS only) or from the host of the API
base URL the operator configured (staging, the sandbox) — never from an arbitrary address — and never
with the account's credentials: the request carries no headers of ours.
"""

from urllib.parse import unquote, urlsplit

from django.utils.translation import gettext as _

from marketplaces import errors
from marketplaces.http import Dialect, HttpClient, Response
from marketplaces.types import Download

MAX_DOWNLOAD_BYTES = 25 * 1024 * 1024


def _no_error_text(response: Response) -> str:
    return ""


def _no_retry_after(response: Response, now: float) -> float | None:
    return None


def _host_allowed(*, host: str, scheme: str, file_hosts: tuple[str, ...], api_url: str) -> bool:
    api = urlsplit(api_url)
    if api.hostname and host == api.hostname.lower():
        return True
    if scheme != "https":
        return False
    return any(host == allowed or host.endswith(f".{allowed}") for allowed in file_hosts)


def file_download(
    *, url: str, file_hosts: tuple[str, ...], api_url: str, label: str, name: str = ""
) -> Download:
    """Fetch one attachment by its direct link; CapabilityError for a link we will not follow."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise errors.CapabilityError(_("The attachment has no link to download it from."))
    if not _host_allowed(host=host, scheme=parts.scheme, file_hosts=file_hosts, api_url=api_url):
        raise errors.CapabilityError(
            _("The attachment's link does not lead to the marketplace's own file server.")
        )
    api = urlsplit(api_url)
    same_origin = api.hostname and host == api.hostname.lower() and parts.port == api.port
    base = f"{parts.scheme}://{parts.netloc}"
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    client = HttpClient(
        base_url=base,
        dialect=Dialect(label=label, error_text=_no_error_text, retry_after=_no_retry_after),
        account_key=f"download:{host}" if not same_origin else f"download:{api.netloc}",
        timeout=(5.0, 30.0),
    )
    response = client.request(
        "GET", path, idempotent=True, max_response_bytes=MAX_DOWNLOAD_BYTES, action=_("file download")
    )
    file_name = name or unquote(parts.path.rsplit("/", 1)[-1])
    return Download(
        content=response.content,
        content_type=response.content_type or "application/octet-stream",
        name=file_name,
    )
