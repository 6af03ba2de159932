#!/usr/bin/env python3
"""Set kefu up in ./.venv (first run, or when pyproject.toml changed) and run one of its jobs.

    python3 run.py demo      the terminal chat on the demo shop (stdin may be piped)
    python3 run.py test      the whole test suite (extra arguments go to pytest)
    python3 run.py ARGS...   any other `kefu` command

Needs only Python 3.11+; everything else comes from PyPI into .venv.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("KEFU_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_installed(extras: str) -> None:
    """(Re)install when pyproject.toml or the wanted extras changed since the last install."""
    stamp = VENV / ".kefu-installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"kefu: creating {VENV} (first run only) ...", file=sys.stderr, flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("kefu: installing dependencies into .venv ...", file=sys.stderr, flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "--editable", f"{ROOT}[{extras}]" if extras else str(ROOT)], check=True, cwd=ROOT)
    stamp.write_text(wanted)


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):
        print("kefu needs Python 3.11 or newer", file=sys.stderr)
        return 2
    args = argv or ["demo"]
    if args[0] == "test":
        ensure_installed("dev,ptb")
        command = [str(PYTHON), "-m", "pytest", *args[1:]]
    else:
        ensure_installed("dev,ptb")
        command = [str(BIN / "kefu"), *args]
    # The child inherits stdin, so `echo 你好 | python3 run.py demo` reaches the chat.
    return subprocess.call(command, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
