"""The one HTTP client for marketplace APIs: timeouts, retries, rate limits, error mapping, safe logging.

This is the only module (outside tests) that imports `requests`.
"""

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import requests
from django.utils.translation import gettext as _
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from marketplaces import errors
from marketplaces.ratelimit import BucketSpec, RateLimiter

logger = logging.getLogger("marketplaces.http")

DEFAULT_TIMEOUT = (5.0, 30.0)
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_BACKOFF_BASE = 0.5
DEFAULT_BACKOFF_CAP = 8.0
# A chat API answer is small; anything beyond this is not what the spec describes.
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
# Waits up to this long are spent sleeping; longer ones go back to the scheduler as RateLimitedError.
SHORT_WAIT_SECONDS = 2.0
# No ordinary word holds a secret this long, so it is masked even where it continues a word.
LONG_SECRET_LENGTH = 16


@dataclass(frozen=True)
class Response:
    """What a connector sees of an HTTP answer: never a `requests` object."""

    status: int
    headers: Mapping[str, str]
    content: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def content_type(self) -> str:
        return self.header("content-type").split(";")[0].strip().lower()

    def json(self) -> Any:
        """Parse the body. Python's json keeps big integers exact (Ozon ids exceed 2^53)."""
        try:
            return json.loads(self.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise errors.UnexpectedResponseError(
                _("The marketplace returned damaged or incomplete JSON"), status=self.status
            ) from exc


def body_json_or_none(response: Response) -> Any:
    try:
        return response.json()
    except errors.UnexpectedResponseError:
        return None


@dataclass(frozen=True)
class Dialect:
    """How one marketplace phrases its errors and rate limits."""

    label: str
    # Extract the marketplace's own error text from an error response ("" when there is none).
    error_text: Callable[[Response], str]
    # Seconds to wait according to the rate-limit headers of a rate-limited response.
    retry_after: Callable[[Response, float], float | None]
    rate_limit_statuses: frozenset[int] = frozenset({429})
    # Decide whether a 403 means bad credentials (AuthError) or a missing scope/subscription.
    forbidden: Callable[[Response, str], errors.MarketplaceError] | None = None
    # Extra classification hook: return an error to raise for this response, or None for the default.
    classify: Callable[[Response, str], errors.MarketplaceError | None] | None = None


@dataclass
class HttpClient:
    """One client per connector instance (one marketplace account).

    The base URL (a Telegram token sits in it), the headers and the secrets stay out of the repr, and no
    local variable holds a whole URL: a debug page or an error report shows both.
    """

    base_url: str = field(repr=False)
    dialect: Dialect
    account_key: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Credential values that must never appear in a message, even when a marketplace echoes them.
    secrets: Sequence[str] = field(default=(), repr=False)
    limiter: RateLimiter | None = None
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff_base: float = DEFAULT_BACKOFF_BASE
    backoff_cap: float = DEFAULT_BACKOFF_CAP
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[float, float], float] = random.uniform
    session: Any = None
    requests_made: int = 0

    def __post_init__(self) -> None:
        if self.session is None:
            self.session = requests.Session()
        self.base_url = self.base_url.rstrip("/")

    def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        limits: Iterable[BucketSpec] = (),
        concurrency: tuple[str, int] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        files: Sequence[tuple[str, tuple[str | None, Any] | tuple[str | None, Any, str]]] | None = None,
        ok_statuses: Iterable[int] = (200,),
        max_response_bytes: int | None = None,
        base_url: str | None = None,
        action: str = "",
    ) -> Response:
        """Send a request and return a response whose status is in `ok_statuses`, or raise errors.*.

        `idempotent=False` (sending a message or a file): once the request may have reached the
        marketplace, nothing is retried; a lost answer raises DeliveryUnknownError.
        """
        limits = tuple(limits)
        ok = frozenset(ok_statuses)
        action = action or _("the request")
        attempt = 0
        while True:
            attempt += 1
            self._acquire(limits)
            try:
                response = self._send(
                    method,
                    base_url,
                    path,
                    params=params,
                    json_body=json_body,
                    files=files,
                    concurrency=concurrency,
                    max_response_bytes=max_response_bytes or self.max_response_bytes,
                )
            except _NetworkFailure as failure:
                retryable = failure.never_left or idempotent
                if retryable and attempt < self.max_attempts:
                    self._backoff(attempt)
                    continue
                if not failure.never_left and not idempotent:
                    raise errors.DeliveryUnknownError(
                        _(
                            "%(marketplace)s: the request was sent but no answer came (%(reason)s); "
                            "it is unknown whether it was carried out"
                        )
                        % {"marketplace": self.dialect.label, "reason": failure.reason}
                    ) from None
                raise errors.TransientError(f"{self.dialect.label}: {failure.reason}") from None

            if response.status in ok:
                return response
            error = self._error_for(response, idempotent=idempotent, action=action)
            if isinstance(error, errors.RateLimitedError):
                self._block(limits, error.retry_after)
                # A rate-limited request was refused, so even a send is safe to repeat after a short wait.
                if error.retry_after <= SHORT_WAIT_SECONDS and attempt < self.max_attempts:
                    self.sleep(error.retry_after)
                    continue
                raise error
            retry_transient = (
                isinstance(error, errors.TransientError)
                and not isinstance(error, errors.DeliveryUnknownError)
                and idempotent
                and attempt < self.max_attempts
            )
            if retry_transient:
                self._backoff(attempt)
                continue
            raise error

    def _acquire(self, limits: tuple[BucketSpec, ...]) -> None:
        if self.limiter is None:
            return
        for spec in limits:
            self.limiter.acquire(key=self.account_key, spec=spec)

    def _block(self, limits: tuple[BucketSpec, ...], seconds: float) -> None:
        if self.limiter is None:
            return
        for spec in limits:
            self.limiter.block(key=self.account_key, spec=spec, seconds=seconds)

    def _backoff(self, attempt: int) -> None:
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        self.sleep(self.jitter(0.0, ceiling))

    def _slot(self, concurrency: tuple[str, int] | None) -> AbstractContextManager[None]:
        if concurrency is None or self.limiter is None:
            return nullcontext()
        name, slots = concurrency
        # A slot outlives its request only if the process dies; expire it after the longest possible call.
        ttl = sum(self.timeout) + 5.0
        return self.limiter.concurrency_slot(key=f"{self.account_key}:{name}", slots=slots, ttl=ttl)

    def _send(
        self,
        method: str,
        base_url: str | None,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        json_body: Any,
        files: Any,
        concurrency: tuple[str, int] | None,
        max_response_bytes: int,
    ) -> Response:
        started = self.clock()
        with self._slot(concurrency):
            self.requests_made += 1
            try:
                raw = self.session.request(
                    method,
                    (base_url or self.base_url).rstrip("/") + path,
                    params=params,
                    json=json_body,
                    files=files,
                    headers=dict(self.headers),
                    timeout=self.timeout,
                    stream=True,
                    allow_redirects=False,
                )
            except requests.exceptions.RequestException as exc:
                self._log(method, path, "network error", started)
                raise _NetworkFailure.from_exception(exc) from None
            try:
                content = _read_limited(raw, max_response_bytes)
            except _TooLarge:
                self._log(method, path, raw.status_code, started)
                raise errors.UnexpectedResponseError(
                    _("%(marketplace)s: the answer is larger than %(megabytes)s MB — not an API answer")
                    % {"marketplace": self.dialect.label, "megabytes": max_response_bytes // (1024 * 1024)},
                    status=raw.status_code,
                ) from None
            except requests.exceptions.RequestException:
                self._log(method, path, "read error", started)
                raise _NetworkFailure(
                    reason=_("the connection broke while reading the answer"), never_left=False
                ) from None
            finally:
                raw.close()
        self._log(method, path, raw.status_code, started)
        headers = {name.lower(): value for name, value in raw.headers.items()}
        return Response(status=raw.status_code, headers=headers, content=content)

    def _log(self, method: str, path: str, status: int | str, started: float) -> None:
        elapsed_ms = int((self.clock() - started) * 1000)
        logger.info("%s %s %s -> %s in %d ms", self.dialect.label, method, path, status, elapsed_ms)

    def _error_for(self, response: Response, *, idempotent: bool, action: str) -> errors.MarketplaceError:
        label = self.dialect.label
        status = response.status
        text = self.scrub(self.dialect.error_text(response))
        if self.dialect.classify is not None:
            custom = self.dialect.classify(response, text)
            if custom is not None:
                return custom
        detail = f": {text}" if text else ""
        if status in self.dialect.rate_limit_statuses:
            retry_after = self.dialect.retry_after(response, self.clock())
            seconds = max(retry_after if retry_after is not None else 60.0, 0.0)
            return errors.RateLimitedError(
                _("%(marketplace)s limited the request rate%(detail)s; retry in %(seconds)s s")
                % {"marketplace": label, "detail": detail, "seconds": f"{seconds:.0f}"},
                retry_after=seconds,
                status=status,
            )
        if status == 401:
            return errors.AuthError(
                _("%(marketplace)s did not accept the access key%(detail)s")
                % {"marketplace": label, "detail": detail},
                status=status,
            )
        if status == 403:
            if self.dialect.forbidden is not None:
                return self.dialect.forbidden(response, text)
            return errors.CapabilityError(
                _("%(marketplace)s denied access%(detail)s") % {"marketplace": label, "detail": detail},
                status=status,
            )
        if status >= 500:
            if not idempotent:
                return errors.DeliveryUnknownError(
                    _(
                        "%(marketplace)s answered the send with error %(status)s%(detail)s; "
                        "it is unknown whether it was carried out"
                    )
                    % {"marketplace": label, "status": status, "detail": detail},
                    status=status,
                )
            return errors.TransientError(
                _("%(marketplace)s is temporarily unavailable (HTTP %(status)s)%(detail)s")
                % {"marketplace": label, "status": status, "detail": detail},
                status=status,
            )
        if 400 <= status < 500:
            return errors.RequestRejectedError(
                _("%(marketplace)s rejected %(action)s%(detail)s")
                % {"marketplace": label, "action": action, "detail": detail or f" (HTTP {status})"},
                status=status,
            )
        return errors.UnexpectedResponseError(
            _("%(marketplace)s: unexpected answer HTTP %(status)s")
            % {"marketplace": label, "status": status},
            status=status,
        )

    def scrub(self, text: str) -> str:
        """Mask every occurrence of a secret value. A short secret inside a longer word is not that secret
        (masking substrings turned "check the key" into "chec*** the ***ey" for a one-letter key); a long
        one is masked wherever it stands (a Telegram token follows "bot" in "/bot<token>/sendMessage")."""
        secrets = sorted({secret for secret in self.secrets if secret}, key=len, reverse=True)
        if secrets:
            text = re.sub("|".join(_whole_value_pattern(secret) for secret in secrets), "***", text)
        return text.strip()


def _whole_value_pattern(secret: str) -> str:
    if len(secret) >= LONG_SECRET_LENGTH:
        return re.escape(secret)
    # A secret edge that is a word character must not continue a word; other edges need no boundary.
    start = r"(?<!\w)" if re.match(r"\w", secret[0]) else ""
    end = r"(?!\w)" if re.match(r"\w", secret[-1]) else ""
    return f"{start}{re.escape(secret)}{end}"


class _TooLarge(Exception):
    pass


@dataclass
class _NetworkFailure(Exception):
    reason: str
    # True when the request certainly never reached the marketplace (DNS, refused, connect timeout).
    never_left: bool

    @classmethod
    def from_exception(cls, exc: requests.exceptions.RequestException) -> "_NetworkFailure":
        if isinstance(exc, requests.exceptions.ConnectTimeout) or _caused_by_connect_failure(exc):
            return cls(reason=_("could not connect to the server"), never_left=True)
        if isinstance(exc, requests.exceptions.ReadTimeout | requests.exceptions.Timeout):
            return cls(reason=_("the server did not answer in time"), never_left=False)
        if isinstance(exc, requests.exceptions.ConnectionError):
            return cls(reason=_("the connection was interrupted"), never_left=False)
        return cls(reason=_("network error"), never_left=False)


def _caused_by_connect_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NewConnectionError | ConnectTimeoutError):
            return True
        if isinstance(current, BaseException):
            stack.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
            stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return False


def _read_limited(raw: Any, limit: int) -> bytes:
    declared = raw.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    total = 0
    for chunk in raw.iter_content(chunk_size=65536):
        total += len(chunk)
        if total > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def seconds_header(response: Response, name: str) -> float | None:
    value = response.header(name).strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None
