"""Real `kefu webhook` / `kefu run` subprocesses for tests, and Telegram's side of the webhook: POSTs
and re-sends."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.storage.runtime import Database

SECRET = "crash-test-secret"
WEBHOOK_PATH = "/telegram/webhook"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WebhookProcess:
    def __init__(self, process: asyncio.subprocess.Process, port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    @classmethod
    async def start(
        cls, database: Database, api_url: str, token: str, workdir: Path, **env: str
    ) -> WebhookProcess:
        """`kefu webhook` on a free port, once it answers /healthz."""
        port = free_port()
        hook = await cls._spawn("webhook", port, database, api_url, token, workdir, env)
        await hook.wait_healthy()
        return hook

    @classmethod
    async def start_polling(
        cls, database: Database, api_url: str, token: str, workdir: Path, **env: str
    ) -> WebhookProcess:
        """`kefu run` (long polling the fake's getUpdates)."""
        return await cls._spawn("run", 0, database, api_url, token, workdir, env)

    @classmethod
    async def _spawn(
        cls,
        command: str,
        port: int,
        database: Database,
        api_url: str,
        token: str,
        workdir: Path,
        env: dict[str, str],
    ) -> WebhookProcess:
        log = workdir / f"{command}-{port or free_port()}.log"
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KEFU_")},
            "KEFU_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
            "KEFU_TELEGRAM_TOKEN": token,
            "KEFU_TELEGRAM_API_URL": api_url,
            "KEFU_WEBHOOK_SECRET": SECRET,
            "KEFU_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            "KEFU_PENDING_SPOOL": str(workdir / "pending.jsonl"),
            **env,
        }
        with log.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", command, env=environment, cwd=workdir,
                stdout=out, stderr=out,
            )  # fmt: skip
        return cls(process, port, log)

    async def wait_healthy(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while True:
                if self.process.returncode is not None:
                    raise AssertionError(f"kefu webhook exited early:\n{self.tail()}")
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"kefu webhook not healthy after {timeout} s:\n{self.tail()}")
                await asyncio.sleep(0.1)

    async def wait_refusing(self, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        """Until the port takes no new connection (a stopping webhook closed it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                return
            writer.close()
            await asyncio.sleep(0.05)
        raise AssertionError(f"kefu webhook still takes connections after {timeout} s")

    async def wait_logged(self, message: str, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while message not in self.tail(100_000):
            if time.monotonic() > deadline:
                raise AssertionError(f"{message!r} not logged within {timeout} s:\n{self.tail()}")
            await asyncio.sleep(0.05)

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    async def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self, signum: int = signal.SIGTERM, timeout: float = 40.0) -> int:  # noqa: ASYNC109
        if self.process.returncode is None:
            self.process.send_signal(signum)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"kefu webhook did not stop within {timeout} s:\n{self.tail()}") from None


async def post(session: aiohttp.ClientSession, url: str, update: dict[str, Any]) -> int | str:
    """One POST as Telegram makes it: the HTTP status, or the name of the connection error."""
    try:
        async with session.post(
            url,
            data=json.dumps(update, ensure_ascii=False),
            headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
        ) as response:
            await response.read()
            return response.status
    except (aiohttp.ClientError, TimeoutError) as error:
        return type(error).__name__


async def resend_until_acknowledged(
    url: str, updates: list[dict[str, Any]], attempts: int = 5
) -> list[dict[str, Any]]:
    """Telegram's re-send: each update again until it gets a 2xx; returns those that never did."""
    left = list(updates)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for attempt in range(attempts):
            statuses = await asyncio.gather(*(post(session, url, u) for u in left))
            left = [u for u, status in zip(left, statuses, strict=True) if status != 200]
            if not left:
                break
            await asyncio.sleep(0.5 * (attempt + 1))
    return left
