"""The deploy files stop kefu the way it finishes its work: SIGTERM, and time enough to use it."""

from __future__ import annotations

import re

from bot.config import PROJECT_ROOT
from bot.telegram.run import SHUTDOWN_SECONDS

#: Updates in hand (SHUTDOWN_SECONDS) plus the outbox flush (10 s).
NEEDED = SHUTDOWN_SECONDS + 10


def test_docker_stops_with_sigterm_and_a_long_enough_grace() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert re.search(r"^STOPSIGNAL SIGTERM$", dockerfile, re.M)
    compose = (PROJECT_ROOT / "deploy" / "compose.yaml").read_text()
    grace = re.search(r"stop_grace_period: (\d+)s", compose)
    assert grace and int(grace.group(1)) >= NEEDED


def test_systemd_stops_with_sigterm_and_a_long_enough_timeout() -> None:
    unit = (PROJECT_ROOT / "deploy" / "kefu-webhook@.service").read_text()
    assert re.search(r"^KillSignal=SIGTERM$", unit, re.M)
    timeout = re.search(r"^TimeoutStopSec=(\d+)$", unit, re.M)
    assert timeout and int(timeout.group(1)) >= NEEDED
