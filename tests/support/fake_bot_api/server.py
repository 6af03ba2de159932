"""The HTTP server, the call record, fault injection, and the two ways updates reach a bot
(getUpdates long polling, POSTs to its webhook)."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from .chats import ApiError, bad
from .methods import SEND_METHODS, WRITE_METHODS, Methods

DEFAULT_BOT_ID = 7_000_000_001
#: Long polling waits at most this long, whatever ``timeout`` the client asks for (keeps tests fast).
LONG_POLL_CAP = 1.0
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: scripted failure",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_JSON_KEYS_AS_TEXT = frozenset({"text", "caption", "name", "secret_token", "url", "callback_query_id"})
_INT_KEYS = frozenset({"offset", "limit", "timeout", "icon_color"})
_UNSET: Any = object()


class Call(tuple):  # type: ignore[type-arg]
    """One received API call; unpacks as ``(method, params)``. Also ``token``, ``seq`` (its index in
    ``calls``), ``via`` ("http" or "webhook-reply"), ``status`` (None while in flight), ``response`` (the
    JSON body), ``ok``."""

    token: str
    seq: int
    via: str
    status: int | None
    response: dict[str, Any] | None

    def __new__(cls, method: str, params: dict[str, Any], *, token: str, seq: int, via: str) -> Call:
        self = super().__new__(cls, (method, params))
        self.token, self.seq, self.via, self.status, self.response = token, seq, via, None, None
        return self

    @property
    def method(self) -> str:
        return str(self[0])

    @property
    def params(self) -> dict[str, Any]:
        return self[1]  # type: ignore[no-any-return]

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def result(self) -> Any:
        return (self.response or {}).get("result")

    def __repr__(self) -> str:
        return f"Call({self.method!r}, {self.params!r}, status={self.status})"


@dataclass
class _Script:
    method: str  # lower-case name or "*"
    times: int
    status: int = 0
    description: str = ""
    parameters: dict[str, Any] | None = None
    seconds: float = 0.0

    def matches(self, method: str) -> bool:
        return self.times > 0 and self.method in ("*", method.lower())


@dataclass
class _RateLimit:
    max_calls: int
    per_seconds: float
    per_chat: bool
    retry_after: int | None
    hits: dict[Any, deque[float]] = field(default_factory=dict)


class FakeBotAPI(Methods):
    """See the package docstring. ``await start()`` / ``await stop()``, or ``async with FakeBotAPI() as fake``."""

    def __init__(self, *, bot_id: int = DEFAULT_BOT_ID, long_poll_cap: float = LONG_POLL_CAP) -> None:
        self.bot_id = bot_id
        self.username = "kefu_test_bot"
        self.first_name = "Kefu Test Bot"
        self.port = 0
        self.long_poll_cap = long_poll_cap
        self.clock: Callable[[], float] = time.monotonic
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        handlers = {
            **self.handlers(),
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
        }
        # Telegram matches method names case-insensitively; calls are recorded under the canonical name.
        self._routes = {name.lower(): (name, handler) for name, handler in handlers.items()}
        self._reset_state()

    def _reset_state(self) -> None:
        self._reset_chats()
        self.calls: list[Call] = []
        self._scripts_fail: list[_Script] = []
        self._scripts_delay: list[_Script] = []
        self._rate_limits: list[_RateLimit] = []
        self._queue: list[dict[str, Any]] = []
        self._pollers: dict[str, asyncio.Future[None]] = {}
        self._update_signal = asyncio.Event()
        self._call_signal = asyncio.Event()
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] = {"url": "", "secret_token": None}

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> FakeBotAPI:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", r"/bot{token}/{method}", self._handle_api)
        self._closing = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._closing.set()
        self._wake_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL: the API is at ``{url}/bot{token}/{method}``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        """A well-formed token whose numeric part is ``bot_id`` (aiogram derives ``bot.id`` from it)."""
        return f"{self.bot_id}:AAFakeKefuTestTokenForTheFakeBotApi00"

    def aiogram_bot(self, **kwargs: Any) -> Any:
        """A real ``aiogram.Bot`` talking to this fake. Close it: ``await bot.session.close()``."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        return Bot(self.token, session=AiohttpSession(api=TelegramAPIServer.from_base(self.url)), **kwargs)

    def ptb_bot(self, **kwargs: Any) -> Any:
        """A real ``telegram.Bot`` (python-telegram-bot) talking to this fake."""
        import telegram

        return telegram.Bot(self.token, base_url=f"{self.url}/bot", **kwargs)

    # -- fault injection ---------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` ("*" = any) answer this error instead of being handled.
        429 answers carry ``parameters.retry_after`` (default 1) and "Too Many Requests: retry after N"."""
        parameters = None
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        if retry_after is not None:
            parameters = {"retry_after": retry_after}
        description = description or _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        self._scripts_fail.append(_Script(method.lower(), times, status, description, parameters))

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` wait ``seconds`` before being handled. The call is still
        carried out after the wait, even when the client gave up meanwhile (as a request that timed out
        on the client may well have reached Telegram)."""
        self._scripts_delay.append(_Script(method.lower(), times, seconds=seconds))

    def limit_rate(
        self, max_calls: int, per_seconds: float, *, per_chat: bool = False, retry_after: int | None = None
    ) -> None:
        """Answer 429 once more than ``max_calls`` sends/edits/topic creations happen within ``per_seconds``,
        in one window for all chats or, with ``per_chat``, one per chat. ``retry_after`` defaults to the
        seconds until the window frees a slot."""
        self._rate_limits.append(_RateLimit(max_calls, per_seconds, per_chat, retry_after))

    # -- the call record ---------------------------------------------------------------------------------

    def mark(self) -> int:
        """The current number of calls; pass it as ``since`` to look only at later calls."""
        return len(self.calls)

    def clear_calls(self) -> None:
        self.calls.clear()

    def _select(
        self,
        method: str | Iterable[str] | None,
        *,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        ok: bool | None = None,
        since: int = 0,
        completed: bool = False,
    ) -> list[Call]:
        names: set[str] | None = None
        if isinstance(method, str) and method != "*":
            names = {method.lower()}
        elif method is not None and not isinstance(method, str):
            names = {m.lower() for m in method}
        return [
            call
            for call in self.calls[since:]
            if (names is None or call.method.lower() in names)
            and not (completed and call.status is None)
            and (ok is None or call.ok == ok)
            and (predicate is None or predicate(call.params))
        ]

    def calls_of(self, method: str, *, ok: bool | None = None, since: int = 0) -> list[dict[str, Any]]:
        """Params of the calls of ``method`` (case-insensitive), in order; ``ok`` filters by outcome."""
        return [call.params for call in self._select(method, ok=ok, since=since)]

    def find_calls(self, method: str | None = None, *, ok: bool | None = None, since: int = 0) -> list[Call]:
        """Like calls_of but the Call records (status, response...)."""
        return self._select(method, ok=ok, since=since)

    def sent_messages(
        self, chat_id: int | None = None, thread_id: int | None = None, *, since: int = 0
    ) -> list[dict[str, Any]]:
        """Params of the successful sendMessage and copyMessage calls, optionally to one chat / topic."""
        return [
            call.params
            for call in self._select(SEND_METHODS, ok=True, since=since)
            if (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
            and (thread_id is None or call.params.get("message_thread_id") == thread_id)
        ]

    async def wait_for(
        self,
        method: str | Iterable[str] = "*",
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - asyncio.wait_for inside
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        *,
        ok: bool | None = None,
        since: int = 0,
    ) -> list[dict[str, Any]]:
        """Wait until ``count`` answered calls of ``method`` (matching ``predicate`` on params, ``ok`` on
        outcome, at index >= ``since``) are recorded; returns their params. AssertionError after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            signal = self._call_signal
            matches = self._select(method, predicate=predicate, ok=ok, since=since, completed=True)
            if len(matches) >= count:
                return [call.params for call in matches]
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n  ".join(repr(c) for c in self.calls[since:][-15:])
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {count} {method} call(s), got {len(matches)}; "
                    f"last calls:\n  {recent}"
                )
            try:
                await asyncio.wait_for(signal.wait(), remaining)
            except TimeoutError:
                pass

    async def wait_in_flight(self, method: str, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``count`` calls of ``method`` have arrived and are not answered yet (a held long poll,
        a delayed call). TimeoutError after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while True:
                signal = self._call_signal
                if len([c for c in self._select(method) if c.status is None]) >= count:
                    return
                await signal.wait()

    # -- updates: the getUpdates queue and webhook delivery ------------------------------------------------

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._queue)

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (update_id assigned when absent); returns it."""
        if "update_id" not in update:
            update["update_id"] = self.next_update_id()
        else:
            self._update_ids = itertools.count(max(update["update_id"] + 1, self.next_update_id()))
        self._queue.append(update)
        self._queue.sort(key=lambda u: u["update_id"])
        self._fire(updates=True)
        return update

    def push_updates(self, updates: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self.push_update(update) for update in updates]

    async def post_webhook(
        self,
        url: str | None,
        update: dict[str, Any],
        secret: str | None = _UNSET,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - an HTTP client timeout
    ) -> int:
        """POST ``update`` to a bot's webhook as Telegram does; returns the HTTP status.

        ``url`` None = the one set with setWebhook; ``secret`` defaults to its secret_token (None sends no
        X-Telegram-Bot-Api-Secret-Token header). A method call in the response body (aiogram's webhook
        reply) is carried out as Telegram does and recorded with ``via="webhook-reply"``."""
        update.setdefault("update_id", self.next_update_id())
        target = url or self.webhook.get("url")
        if not target:
            raise ValueError("no webhook URL given and none set with setWebhook")
        secret = self.webhook.get("secret_token") if secret is _UNSET else secret
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.post(target, data=json.dumps(update), headers=headers) as response,
        ):
            status = response.status
            reply = await _read_webhook_reply(response) if status == 200 else {}
        if reply.get("method"):
            method = str(reply.pop("method"))
            await self._process(method, self.token, _decode_form(reply), via="webhook-reply")
        return status

    async def _get_updates(self, params: dict[str, Any], token: str) -> Any:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        loop = asyncio.get_running_loop()
        previous = self._pollers.get(token)
        if previous is not None and not previous.done():
            previous.set_result(None)  # the older poller answers 409, as in Telegram
            self._fire(updates=True)
        mine: asyncio.Future[None] = loop.create_future()
        self._pollers[token] = mine
        try:
            offset = params.get("offset")
            if isinstance(offset, int) and offset > 0:
                self._queue = [u for u in self._queue if u["update_id"] >= offset]
            limit = min(max(int(params.get("limit") or 100), 1), 100)
            deadline = loop.time() + min(max(0.0, float(params.get("timeout") or 0)), self.long_poll_cap)
            while True:
                if mine.done() and self._pollers.get(token) is not mine:
                    raise ApiError(409, _DEFAULT_DESCRIPTIONS[409])
                signal = self._update_signal
                batch = self._queue[:limit]
                remaining = deadline - loop.time()
                if batch or remaining <= 0 or self._closing.is_set() or mine.done():
                    return copy.deepcopy(batch)
                try:
                    await asyncio.wait_for(signal.wait(), remaining)
                except TimeoutError:
                    pass
        finally:
            if self._pollers.get(token) is mine:
                del self._pollers[token]

    async def _set_webhook(self, params: dict[str, Any], token: str) -> Any:
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad("secret token contains unallowed characters")
        url = str(params.get("url") or "")
        if url and self._pollers:
            self._wake_all()
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self.webhook = {"url": url, "secret_token": secret if url else None}
        return True

    async def _delete_webhook(self, params: dict[str, Any], token: str) -> Any:
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self.webhook = {"url": "", "secret_token": None}
        return True

    # -- HTTP --------------------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                params.update(body if isinstance(body, dict) else {})
            else:  # aiogram and PTB send forms: nested objects as JSON strings
                params.update(
                    _decode_form({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
                )
        status, body = await self._process(
            request.match_info["method"], request.match_info["token"], params, via="http"
        )
        return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def _process(
        self, method: str, token: str, params: dict[str, Any], *, via: str
    ) -> tuple[int, dict[str, Any]]:
        method, handler = self._routes.get(method.lower(), (method, None))
        call = Call(method, params, token=token, seq=len(self.calls), via=via)
        self.calls.append(call)
        self._fire()  # arrived (wait_in_flight); answered is signalled again below
        try:
            delay = _take(self._scripts_delay, method)
            if delay is not None:
                try:
                    await asyncio.wait_for(self._closing.wait(), delay.seconds)
                except TimeoutError:
                    pass
            failure = _take(self._scripts_fail, method)
            if failure is not None:
                raise ApiError(failure.status, failure.description, failure.parameters)
            if not re.fullmatch(r"\d+:[\w-]+", token):
                raise ApiError(401, "Unauthorized")
            if handler is None:
                raise ApiError(404, f"Not Found: the fake Bot API does not model {method}")
            self._check_rate(method, params)
            status, body = 200, {"ok": True, "result": await handler(params, token)}
        except ApiError as error:
            status, body = error.status, error.body()
        call.status, call.response = status, body
        self._fire()
        return status, body

    def _check_rate(self, method: str, params: dict[str, Any]) -> None:
        if method not in WRITE_METHODS or not self._rate_limits:
            return
        chat_id = params.get("chat_id")
        now = self.clock()
        for limit in self._rate_limits:
            window = limit.hits.setdefault(str(chat_id) if limit.per_chat else "*", deque())
            while window and window[0] <= now - limit.per_seconds:
                window.popleft()
            if len(window) >= limit.max_calls:
                retry = limit.retry_after or max(1, math.ceil(window[0] + limit.per_seconds - now))
                raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        for limit in self._rate_limits:
            limit.hits[str(chat_id) if limit.per_chat else "*"].append(now)

    def _fire(self, *, updates: bool = False) -> None:
        """Wake whoever waits on calls (or on updates): set the event and start a fresh one."""
        if updates:
            self._update_signal.set()
            self._update_signal = asyncio.Event()
        else:
            self._call_signal.set()
            self._call_signal = asyncio.Event()

    def _wake_all(self) -> None:
        for poller in self._pollers.values():
            if not poller.done():
                poller.set_result(None)
        self._fire(updates=True)
        self._fire()


def _take(scripts: list[_Script], method: str) -> _Script | None:
    for script in scripts:
        if script.matches(method):
            script.times -= 1
            if script.times <= 0:
                scripts.remove(script)
            return script
    return None


def _decode_form(fields: dict[str, Any]) -> dict[str, Any]:
    """Form values are strings: numbers, booleans and JSON objects are decoded, free text is not."""
    decoded: dict[str, Any] = {}
    for key, value in fields.items():
        if not isinstance(value, str) or key in _JSON_KEYS_AS_TEXT:
            decoded[key] = value
        elif value in ("true", "false"):
            decoded[key] = value == "true"
        elif (key.endswith("_id") or key in _INT_KEYS) and re.fullmatch(r"-?\d+", value):
            decoded[key] = int(value)
        elif value[:1] in ("{", "["):
            try:
                decoded[key] = json.loads(value)
            except ValueError:
                decoded[key] = value
        else:
            decoded[key] = value
    return decoded


async def _read_webhook_reply(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """The method call a bot may put in its webhook answer (aiogram sends it as multipart/form-data)."""
    if response.content_type.startswith("multipart/"):
        fields: dict[str, Any] = {}
        async for part in aiohttp.MultipartReader(response.headers, response.content):
            if isinstance(part, aiohttp.BodyPartReader) and part.name is not None and not part.filename:
                fields[part.name] = await part.text()
        return fields
    if response.content_type == "application/json":
        body = await response.json()
        return body if isinstance(body, dict) else {}
    return {}
