"""Fake Wildberries, Ozon and Yandex Market chat APIs for the demo, end-to-end tests and benchmarks.

Test equipment only: `run_sandbox` refuses to start unless settings.SANDBOX_ALLOWED (or --force).
Usage from Python::

    from sandbox import SandboxServer, WorldOptions
    with SandboxServer(options=WorldOptions(seed=7)) as sandbox:
        sandbox.urls  # {"OZON_API_URL": "http://127.0.0.1:PORT/ozon", ...}
        sandbox.world  # the truth to compare the product's database with
"""

from sandbox.generator import WorldOptions
from sandbox.server import SandboxServer

__all__ = ["SandboxServer", "WorldOptions"]
