"""builder.fsutil's folder lock, between real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from builder.fsutil import FolderLock

ROOT = Path(__file__).resolve().parent.parent

# A process that takes the lock, says so, and holds it until its standard input closes.
HOLDER = """
import sys
from pathlib import Path
from builder.fsutil import FolderLock
with FolderLock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


def _holder(target: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(target)], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_a_second_process_waits_until_the_holder_lets_go(tmp_path: Path) -> None:
    target = tmp_path / "site"
    holder = _holder(target)
    told: list[int | None] = []
    acquired = threading.Event()

    def take() -> None:
        with FolderLock(target, waiting=told.append):
            acquired.set()

    taker = threading.Thread(target=take)
    taker.start()
    try:
        assert not acquired.wait(0.5)  # still held by the other process
        assert told == [holder.pid]  # told once who holds it
    finally:
        holder.communicate("")  # closes its standard input: it lets go and ends
    taker.join(10)
    assert acquired.is_set() and not taker.is_alive()
    assert (tmp_path / ".site.lock").read_text() == str(os.getpid())  # the new holder's id


def test_a_killed_holder_leaves_no_lock_behind(tmp_path: Path) -> None:
    target = tmp_path / "site"
    holder = _holder(target)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    told: list[int | None] = []
    with FolderLock(target, waiting=told.append):
        pass
    assert told == []  # taken at once
    assert holder.stdin is not None
    holder.stdin.close()
    assert holder.stdout is not None
    holder.stdout.close()


def test_the_lock_is_beside_the_folder_not_in_it(tmp_path: Path) -> None:
    target = tmp_path / "out" / "site"
    with FolderLock(target):
        assert (tmp_path / "out" / ".site.lock").is_file()
        assert not target.exists()  # the lock makes its parent, never the folder itself
