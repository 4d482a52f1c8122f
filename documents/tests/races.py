from __future__ import annotations

import threading
from collections.abc import Callable

import httpx


def race(count: int, call: Callable[[httpx.Client], httpx.Response], *, token: str | None = None) -> list[int]:
    """``count`` threads released together by a barrier, each making ``call`` once; their statuses."""
    statuses: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(count)

    def run() -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with httpx.Client(headers=headers, timeout=60) as client:
            start.wait()
            try:
                response = call(client)
            except httpx.HTTPError as exc:
                with lock:
                    failures.append(repr(exc))
                return
            with lock:
                statuses.append(response.status_code)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return sorted(statuses)
