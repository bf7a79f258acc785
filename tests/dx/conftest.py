"""A real `barberbot run` in a subprocess for the module, and `barberbot chat` processes per test.

Every subprocess gets a full environment (tests/dx/procs.py) and runs in a temp
directory, so the developer's environment and `.env` play no part.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.dx.procs import (
    ALWAYS_OPEN_SHOP,
    API_KEY,
    AUTH_TOKEN,
    CUSTOMER,
    INTERVAL,
    Chat,
    Server,
    barberbot_command,
    base_env,
)
from tests.live import free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`barberbot run` on a free port with embedded storage, a short interval and the console sender."""
    home = tmp_path_factory.mktemp("barberbot-run")
    (home / "shop.toml").write_text(ALWAYS_OPEN_SHOP)
    port = free_port()
    env = base_env(home, SHOP_FILE=str(home / "shop.toml"), REMINDER_INTERVAL_SECONDS=str(INTERVAL),
                   RECONCILE_INTERVAL_SECONDS="5", API_KEY=API_KEY, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                   SEND_RATE_PER_SECOND="0", LOG_LEVEL="INFO")
    proc = subprocess.Popen([*barberbot_command(), "run", "--port", str(port)], cwd=home, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(proc.stdout or []), daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            time.sleep(0.2)
            pytest.fail("barberbot run exited early:\n" + "".join(log))
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("barberbot run was not ready in 60 s:\n" + "".join(log))
        time.sleep(0.2)
    try:
        yield Server(proc, url, home, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def chat(server: Server) -> Iterator[Callable[..., Chat]]:
    opened: list[Chat] = []

    def open_chat(phone: str = CUSTOMER, **kwargs: float) -> Chat:
        c = Chat(server, phone, **kwargs)
        opened.append(c)
        return c

    yield open_chat
    for c in opened:
        if c.proc.poll() is None:
            c.proc.kill()
            c.proc.wait()


