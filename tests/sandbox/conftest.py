from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox import SandboxServer, WorldOptions
from sandbox.world import Cabinet

pytestmark = pytest.mark.e2e


class SandboxClient:
    """Real HTTP against the running sandbox, with each marketplace's auth headers."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.http = requests.Session()

    def cabinet(self, marketplace: str, index: int = 0) -> Cabinet:
        cabinet = self.sandbox.world.cabinet_find(marketplace=marketplace, reference=index)
        assert cabinet is not None
        return cabinet

    def wildberries(
        self,
        method: str,
        path: str,
        *,
        host: str = "chat",
        cabinet: Cabinet | None = None,
        token: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        variable = "WILDBERRIES_CHAT_API_URL" if host == "chat" else "WILDBERRIES_FEEDBACKS_API_URL"
        cabinet = cabinet or self.cabinet("wildberries")
        headers = {"Authorization": token if token is not None else cabinet.credentials["token"]}
        headers.update(kwargs.pop("headers", {}))
        return self.http.request(
            method, self.sandbox.urls[variable] + path, headers=headers, timeout=10, **kwargs
        )

    def ozon(
        self, path: str, body: Any, *, cabinet: Cabinet | None = None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        cabinet = cabinet or self.cabinet("ozon")
        sent = {"Client-Id": cabinet.credentials["client_id"], "Api-Key": cabinet.credentials["api_key"]}
        sent.update(headers or {})
        return self.http.post(self.sandbox.urls["OZON_API_URL"] + path, json=body, headers=sent, timeout=10)

    def yandex_market(
        self,
        method: str,
        path: str,
        *,
        cabinet: Cabinet | None = None,
        business_id: str | None = None,
        api_key: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        cabinet = cabinet or self.cabinet("yandex_market")
        business = business_id or cabinet.credentials["business_id"]
        headers = {"Api-Key": api_key if api_key is not None else cabinet.credentials["api_key"]}
        url = f"{self.sandbox.urls['YANDEX_MARKET_API_URL']}/v2/businesses/{business}{path}"
        return self.http.request(method, url, headers=headers, timeout=10, **kwargs)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, self.sandbox.control_url + path, json=body, timeout=10)
        assert response.status_code < 300, response.text
        return response.json()


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(options=WorldOptions(seed=11, chats=14, questions=10), events_page_size=25).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[SandboxClient]:
    client = SandboxClient(sandbox)
    yield client
    client.http.close()
