"""Updates kept while the database is down survive a restart when no Redis is configured."""

from __future__ import annotations

from pathlib import Path

from bot.telegram.pending_updates import PendingUpdates


async def test_kept_updates_are_read_back_after_a_restart(tmp_path: Path) -> None:
    spool = tmp_path / "pending.jsonl"
    first = PendingUpdates(spool=spool)
    await first.push({"update_id": 1, "message": {"text": "有格瓦斯吗"}})
    await first.push({"update_id": 2})
    # the process dies here; a new one starts
    second = PendingUpdates(spool=spool)
    assert await second.size() == 2
    assert (await second.pop()) == {"update_id": 1, "message": {"text": "有格瓦斯吗"}}
    await second.push_front({"update_id": 1})  # a replay that failed goes back in front
    third = PendingUpdates(spool=spool)
    assert [await third.pop(), await third.pop()] == [{"update_id": 1}, {"update_id": 2}]
    assert await third.pop() is None
    assert not spool.exists()  # drained: nothing left behind


async def test_memory_only_without_a_spool() -> None:
    pending = PendingUpdates()
    await pending.push({"update_id": 3})
    assert await PendingUpdates().size() == 0
    assert await pending.pop() == {"update_id": 3}
