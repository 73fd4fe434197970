"""builder.fsutil's folder lock, between real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

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
    named: list[str] = []

    def take() -> None:
        with FolderLock(target, waiting=told.append):
            named.append((tmp_path / ".site.lock").read_text())
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
    assert named == [str(os.getpid())]  # the new holder's id, while it holds it
    assert (tmp_path / ".site.lock").read_text() == ""  # and none once let go of


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


def test_readers_share_the_lock_and_a_writer_waits_for_them(tmp_path: Path) -> None:
    target = tmp_path / "data"
    told: list[int | None] = []
    with FolderLock(target, shared=True), FolderLock(target, waiting=told.append, shared=True):
        assert told == []  # two readers at once
        acquired = threading.Event()

        def write() -> None:
            with FolderLock(target, waiting=told.append):
                acquired.set()

        writer = threading.Thread(target=write)
        writer.start()
        assert not acquired.wait(0.5)
        assert told == [None]  # readers name no holder
    writer.join(10)
    assert acquired.is_set()


def test_where_no_lock_file_can_be_made_a_reader_goes_on_and_a_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "data"
    (tmp_path / ".data.lock").mkdir()  # stands for a read-only place (root may write where the mode says not)
    ran = False
    with FolderLock(target, shared=True):
        ran = True
    assert ran
    with pytest.raises(IsADirectoryError), FolderLock(target):
        pass
