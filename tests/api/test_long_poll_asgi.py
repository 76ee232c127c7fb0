"""Long polls under a real ASGI server (uvicorn): waiting workers hold no thread, so
the console still answers at once, and a poll answers as soon as its job appears."""

from __future__ import annotations

import concurrent.futures
import time

import httpx

from .conftest import start, token_for

WAITERS = 20


def test_twenty_waiting_long_polls_do_not_block_a_console_page(api_server, walt, processes):
    headers = {"Authorization": f"Token {token_for(walt)}"}
    body = {"type": "api.nobody", "worker": "w", "timeoutMs": 5000}

    def long_poll(_n: int) -> tuple[int, float]:
        started = time.monotonic()
        response = httpx.post(f"{api_server.url}/api/v1/jobs/activate", json=body, headers=headers, timeout=30)
        return response.status_code, time.monotonic() - started

    with concurrent.futures.ThreadPoolExecutor(WAITERS) as pool:
        polls = [pool.submit(long_poll, n) for n in range(WAITERS)]
        time.sleep(1.0)  # every poll is now waiting on the server
        started = time.monotonic()
        page = httpx.get(f"{api_server.url}/accounts/login/", timeout=10)
        console_seconds = time.monotonic() - started
        assert page.status_code == 200 and b"password" in page.content.lower()
        assert not any(p.done() for p in polls), "the long polls should still be waiting"
        results = [p.result() for p in polls]
    assert console_seconds < 1.0, f"the login page took {console_seconds:.2f}s while {WAITERS} polls waited"
    assert all(status == 200 for status, _ in results), results
    assert all(4.5 < seconds < 10 for _, seconds in results), results


def test_a_waiting_poll_on_the_live_server_answers_when_a_job_is_created(api_server, walt, processes):
    headers = {"Authorization": f"Token {token_for(walt)}"}
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        poll = pool.submit(
            httpx.post,
            f"{api_server.url}/api/v1/jobs/activate",
            json={"type": "api.work", "worker": "w", "timeoutMs": 20_000},
            headers=headers,
            timeout=30,
        )
        time.sleep(0.5)
        start("api-one", "LIVE")
        response = poll.result()
        elapsed = time.monotonic() - started
    assert [j["businessKey"] for j in response.json()["jobs"]] == ["LIVE"]
    assert elapsed < 3, elapsed
