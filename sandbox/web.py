"""A minimal request/response layer on top of http.server, shared by the three fake APIs."""

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message as EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
PROBLEM_CONTENT_TYPE = "application/problem+json; charset=utf-8"


@dataclass(slots=True)
class UploadedFile:
    field_name: str
    file_name: str
    content_type: str
    content: bytes


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    path_params: dict[str, str] = field(default_factory=dict)
    # The authenticated cabinet, set by the marketplace app before the handler runs.
    cabinet: Any = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # (host, port) of the client's socket: the control API's in-flight list names it.
    client: tuple[str, int] = ("", 0)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def query_value(self, name: str, *aliases: str) -> str | None:
        for key in (name, *aliases):
            values = self.query.get(key)
            if values:
                return values[0]
        return None

    def json(self) -> Any:
        """The JSON body; raises ValueError for an empty or malformed body."""
        if not self.body.strip():
            raise ValueError("empty body")
        return json.loads(self.body)

    def multipart(self) -> tuple[dict[str, str], list[UploadedFile]]:
        """Form fields and files of a multipart/form-data body (ValueError when it is not one)."""
        content_type = self.header("content-type") or ""
        if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
            raise ValueError("not multipart/form-data")
        envelope = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + self.body
        parsed: EmailMessage = BytesParser(policy=HTTP).parsebytes(envelope)
        if not parsed.is_multipart():
            raise ValueError("malformed multipart body")
        fields: dict[str, str] = {}
        files: list[UploadedFile] = []
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            payload = part.get_payload(decode=True) or b""
            file_name = part.get_filename()
            if file_name is not None:
                files.append(UploadedFile(str(name), file_name, part.get_content_type(), payload))
            else:
                charset = part.get_content_charset() or "utf-8"
                fields[str(name)] = payload.decode(charset, errors="replace")
        return fields, files


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    # Set by the fault layer: keep the connection silent for this long, then drop it.
    hang_seconds: float = 0.0


def json_response(
    status: int, payload: Any, *, content_type: str = JSON_CONTENT_TYPE, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, content_type, dict(headers or {}))


Handler = Callable[[Request], Response]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    operation: str


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, path: str, handler: Handler, operation: str = "") -> None:
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"
        self.routes.append(Route(method, re.compile(regex), handler, operation or path))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, path params, path exists with another method)."""
        path_known = False
        for route in self.routes:
            found = route.pattern.match(path)
            if found:
                if route.method == method:
                    return route, found.groupdict(), True
                path_known = True
        return None, {}, path_known


def parse_query(raw: str) -> dict[str, list[str]]:
    return parse_qs(raw, keep_blank_values=True)
