"""dlkit.sandbox: a kernel that cannot hang, crash or outlive the grader."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from dlkit.sandbox import KernelSandbox, user_can_run

ROOT = os.geteuid() == 0


@pytest.fixture(scope="module")
def sandbox():
    base = Path(tempfile.mkdtemp(prefix="dlkit-sandbox-test-"))
    base.chmod(0o711)
    box = KernelSandbox(base / "work", memory_mb=1500)
    box.start()
    yield box
    box.kill()


def test_runs_code_and_reports_errors(sandbox):
    assert sandbox.execute("value = 6 * 7", 10).status == "ok"
    result = sandbox.execute("1 / 0", 10)
    assert (result.status, result.ename) == ("error", "ZeroDivisionError")
    assert sandbox.execute("assert value == 42", 10).status == "ok"  # state survives errors


def test_infinite_loop_is_interrupted_in_time(sandbox):
    start = time.monotonic()
    result = sandbox.execute("while True:\n    pass", 1.5)
    assert result.status == "timeout" and time.monotonic() - start < 8
    assert sandbox.execute("value", 10).status == "ok"  # interrupted, kernel still usable


def test_sys_exit_does_not_end_the_kernel(sandbox):
    result = sandbox.execute("import sys; sys.exit(0)", 10)
    assert result.status == "error" and result.ename == "SystemExit"
    assert sandbox.alive()


def test_kernel_ignoring_interrupts_is_killed(sandbox):
    code = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    start = time.monotonic()
    result = sandbox.execute(code, 1.0)
    assert result.status == "timeout" and result.kernel_lost
    assert time.monotonic() - start < 15
    assert not sandbox.alive()
    sandbox.restart()
    assert sandbox.execute("1 + 1", 10).status == "ok"


def test_os_exit_and_segfault_are_reported_as_death(sandbox):
    result = sandbox.execute("import os; os._exit(3)", 10)
    assert result.status == "died" and result.kernel_lost
    sandbox.restart()
    result = sandbox.execute("import ctypes; ctypes.string_at(0)", 10)
    assert result.status == "died"
    sandbox.restart()


def test_memory_blow_up_is_stopped(sandbox):
    result = sandbox.execute("hog = bytearray(3 * 1024**3)", 60)
    assert result.status == "memory" and result.kernel_lost
    sandbox.restart()


def test_kill_leaves_no_process_behind(sandbox):
    sandbox.execute("import subprocess; child = subprocess.Popen(['sleep', '300'])", 10)
    tree = sandbox._tree()
    assert len(tree) >= 2
    sandbox.kill()
    time.sleep(0.5)
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in tree)
    sandbox.start()


def test_environment_is_scrubbed(monkeypatch):
    monkeypatch.setenv("DLKIT_SECRET_TOKEN", "ci-secret")  # e.g. a CI token in the grader's env
    base = Path(tempfile.mkdtemp(prefix="dlkit-sandbox-env-"))
    base.chmod(0o711)
    with KernelSandbox(base / "work") as box:
        code = (
            "import os\n"
            "assert 'DLKIT_SECRET_TOKEN' not in os.environ\n"
            "assert os.environ['HOME'] == os.getcwd()"
        )
        assert box.execute(code, 10).status == "ok"
        assert box.execute("assert os.environ['DLKIT_SECRET_TOKEN']", 10).status == "error"


@pytest.mark.skipif(not ROOT, reason="privilege separation needs root (CI runs as root)")
def test_as_root_the_kernel_is_unprivileged_and_offline(sandbox):
    if "user nobody" not in sandbox.isolation:
        pytest.skip(f"this checkout is not reachable by user nobody: {sandbox.isolation}")
    assert "no network" in sandbox.isolation
    assert sandbox.execute("import os; assert os.getuid() != 0", 10).status == "ok"
    secret = Path(tempfile.mkdtemp(prefix="dlkit-secret-")) / "hidden.py"  # 0700 parent
    secret.write_text("ANSWER = 42\n")
    result = sandbox.execute(f"open({str(secret)!r}).read()", 10)
    assert (result.status, result.ename) == ("error", "PermissionError")
    result = sandbox.execute(
        "import socket; socket.create_connection(('127.0.0.1', 22), timeout=2)", 10
    )
    assert result.status == "error"


@pytest.mark.skipif(not ROOT, reason="privilege separation needs root (CI runs as root)")
def test_falls_back_clearly_when_nobody_cannot_reach_the_interpreter(tmp_path):
    import sys

    hidden = Path(tempfile.mkdtemp(prefix="dlkit-private-"))  # 0700: nobody cannot enter
    python = hidden / "python"
    python.symlink_to(sys.executable)
    assert not user_can_run("nobody", str(python))
    box = KernelSandbox(tmp_path / "work", python=str(python))
    assert box.user is None
    assert "same user as the grader (user nobody cannot run" in box.isolation
