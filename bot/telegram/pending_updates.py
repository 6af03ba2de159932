"""Updates kept while the database cannot be reached, oldest first, until the replay loop
(bot/telegram/replay.py) feeds them through the dispatcher again."""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)


class PendingUpdates:
    """Raw updates waiting for the database; in Redis when several processes share the work, else
    in memory mirrored to a spool file (one JSON update a line) that a restart reads back. An update
    that has been replayed without success carries its count: `{"update": ..., "replays": n}`."""

    KEY = "kefu:pending-updates"

    def __init__(self, redis: Redis | None = None, spool: Path | None = None) -> None:
        self.redis = redis
        self.spool = spool if redis is None else None
        self.memory: deque[str] = deque()
        if self.spool is not None and self.spool.exists():
            lines = self.spool.read_text(encoding="utf-8").splitlines()
            self.memory.extend(line for line in lines if line.strip())
            if self.memory:
                log.warning("updates kept before a restart found", extra={"count": len(self.memory)})

    async def push(self, update: dict[str, Any]) -> None:
        await self._put(json.dumps(update, ensure_ascii=False), front=False)

    async def push_front(self, update: dict[str, Any], replays: int = 0) -> None:
        item = {"update": update, "replays": replays} if replays else update
        await self._put(json.dumps(item, ensure_ascii=False), front=True)

    async def _put(self, data: str, *, front: bool) -> None:
        if self.redis is not None:
            await (self.redis.lpush if front else self.redis.rpush)(self.KEY, data)
        elif front:
            self.memory.appendleft(data)
            self._rewrite()
        else:
            self.memory.append(data)
            if self.spool is not None:  # appended, not rewritten: the common case stays cheap
                with self.spool.open("a", encoding="utf-8") as f:
                    f.write(data + "\n")
                    f.flush()
                    os.fsync(f.fileno())

    async def pop(self) -> dict[str, Any] | None:
        item = await self.pop_counted()
        return item[0] if item is not None else None

    async def pop_counted(self) -> tuple[dict[str, Any], int] | None:
        """The oldest kept update and how many replays of it have failed so far."""
        if self.redis is not None:
            data = cast("bytes | str | None", await self.redis.lpop(self.KEY))  # one item: no count given
        else:
            data = self.memory.popleft() if self.memory else None
            if data is not None:
                self._rewrite()
        if not data:
            return None
        item = json.loads(data)
        if "update_id" not in item and isinstance(item.get("update"), dict):
            return item["update"], int(item.get("replays", 0))
        return item, 0

    def _rewrite(self) -> None:
        """The spool as the queue now is (written aside, then swapped in: never half-written)."""
        if self.spool is None:
            return
        if not self.memory:
            self.spool.unlink(missing_ok=True)
            return
        aside = self.spool.with_name(self.spool.name + ".tmp")
        with aside.open("w", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in self.memory)
            f.flush()
            os.fsync(f.fileno())
        os.replace(aside, self.spool)

    async def size(self) -> int:
        return int(await self.redis.llen(self.KEY)) if self.redis is not None else len(self.memory)
