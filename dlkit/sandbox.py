"""Run untrusted notebook code in a separate, limited Jupyter kernel.

The grader talks to the kernel only through the Jupyter protocol and never runs
student code itself. :class:`KernelSandbox` starts an ``ipykernel`` in its own
process group with:

* a working directory of its own and a scrubbed environment (no CI secrets),
  ``HOME`` pointing into that directory;
* when the grader runs as root (as CI containers do): the kernel runs as an
  unprivileged user (``nobody`` by default), so it cannot read files that only
  root can read (the hidden checks in the documented CI recipe), and in a network
  namespace of its own (no network at all), talking to the grader over Unix
  sockets;
* resource limits: no core files, a cap on process count and file size, and a
  resident-memory limit enforced by watching the kernel's process tree;
* per-execution time limits: a cell past its limit is interrupted, and a kernel
  that ignores the interrupt, dies or blows its memory limit is killed. Nothing
  it does can hang or crash the grader.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import queue
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

DEFAULT_MEMORY_MB = 4096
_POLL_SECONDS = 0.1


@dataclass
class Execution:
    """What happened to one piece of code sent to the kernel.

    ``status`` is ``"ok"``, ``"error"`` (the code raised), ``"timeout"`` (past its
    limit), ``"died"`` (the kernel exited) or ``"memory"`` (killed for memory).
    """

    status: str
    ename: str = ""
    evalue: str = ""
    seconds: float = 0.0

    @property
    def kernel_lost(self) -> bool:
        return self.status in ("died", "memory") or (
            self.status == "timeout" and self.ename == "unresponsive"
        )


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


_USABLE: dict[tuple[str, str], bool] = {}


def user_can_run(user: str, python: str) -> bool:
    """Whether ``user`` can start ``python`` and import ipykernel and dlkit (root only).

    False when, say, the virtual environment sits under a folder only root may enter.
    """
    key = (user, python)
    if key not in _USABLE:
        entry = pwd.getpwnam(user)
        probe = [
            "setpriv",
            f"--reuid={entry.pw_uid}",
            f"--regid={entry.pw_gid}",
            "--clear-groups",
            "--",
            python,
            "-c",
            "import ipykernel, dlkit",
        ]
        try:
            done = subprocess.run(probe, capture_output=True, timeout=120, cwd="/")
            _USABLE[key] = done.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _USABLE[key] = False
    return _USABLE[key]


class KernelSandbox:
    """One sandboxed kernel. Use as a context manager; it is always killed on exit.

    Args:
        workdir: the folder the kernel runs in (it may write there only).
        python: the interpreter that runs ``ipykernel`` (default: this one).
        user: run the kernel as this user (root only); ``None`` picks ``nobody``
            when running as root, and the current user otherwise.
        memory_mb: resident memory limit of the kernel's process tree.
        isolate_network: give the kernel no network (root only).
    """

    def __init__(
        self,
        workdir: Path,
        *,
        python: str | None = None,
        user: str | None = None,
        memory_mb: int = DEFAULT_MEMORY_MB,
        isolate_network: bool = True,
    ):
        self.workdir = Path(workdir)
        self.python = python or sys.executable
        self.memory_mb = memory_mb
        self.root = _is_root()
        self.fallback_reason = ""
        if user is not None and not self.root and user != pwd.getpwuid(os.getuid()).pw_name:
            raise ValueError(f"running the kernel as {user!r} needs root")
        if user is None and self.root:
            if shutil.which("setpriv") and user_can_run("nobody", self.python):
                user = "nobody"
            else:
                self.fallback_reason = f"user nobody cannot run {self.python}"
        self.user = user if self.root else None
        self.isolate_network = isolate_network and self.root and shutil.which("unshare") is not None
        self.process: subprocess.Popen | None = None
        self.client: BlockingKernelClient | None = None
        self.log_path = self.workdir / ".kernel.log"

    # -- life cycle -------------------------------------------------------------------

    @property
    def isolation(self) -> str:
        """A short description of the isolation in force, for reports."""
        if self.user:
            parts = [f"user {self.user}"]
        else:
            parts = [
                "same user as the grader"
                + (f" ({self.fallback_reason})" if self.fallback_reason else "")
            ]
        parts.append("no network" if self.isolate_network else "network not isolated")
        parts.append(f"memory limit {self.memory_mb} MB")
        return ", ".join(parts)

    def _environment(self) -> dict[str, str]:
        home = str(self.workdir)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": home,
            "TMPDIR": home,
            "IPYTHONDIR": str(self.workdir / ".ipython"),
            "JUPYTER_RUNTIME_DIR": str(self.workdir / ".jupyter"),
            "MPLCONFIGDIR": str(self.workdir / ".matplotlib"),
            "KERAS_HOME": str(self.workdir / ".keras"),
            "MPLBACKEND": "Agg",
            "KERAS_BACKEND": "tensorflow",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
            "DLKIT_SCALE": "fast",
        }
        return env

    def _command(self, connection_file: Path) -> list[str]:
        cmd = [self.python, "-m", "ipykernel_launcher", "-f", str(connection_file)]
        cmd += ["--HistoryManager.enabled=False", "--IPKernelApp.interrupt_mode=signal"]
        if self.user:
            entry = pwd.getpwnam(self.user)
            cmd = [
                "setpriv",
                f"--reuid={entry.pw_uid}",
                f"--regid={entry.pw_gid}",
                "--clear-groups",
                "--",
            ] + cmd
        if self.isolate_network:
            cmd = ["unshare", "--net", "--"] + cmd
        if shutil.which("prlimit"):
            limits = ["--core=0", f"--fsize={2 * 1024**3}"]
            if self.user:  # RLIMIT_NPROC counts every process of the user: only sane for nobody
                limits.append("--nproc=4096")
            cmd = ["prlimit", *limits, "--"] + cmd
        return cmd

    def start(self, timeout: float = 90.0) -> None:
        """Start the kernel and wait until it answers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        for sub in (".ipython", ".jupyter", ".matplotlib", ".keras"):
            (self.workdir / sub).mkdir(exist_ok=True)
        connection_file = self.workdir / f".kernel-{uuid.uuid4().hex[:8]}.json"
        if self.isolate_network:
            ip, transport = str(self.workdir / ".kernel-ipc"), "ipc"
        else:
            ip, transport = "127.0.0.1", "tcp"
        write_connection_file(
            str(connection_file), ip=ip, transport=transport, key=uuid.uuid4().hex.encode()
        )
        if self.user:
            entry = pwd.getpwnam(self.user)
            for path in [self.workdir, *self.workdir.rglob("*")]:
                os.chown(path, entry.pw_uid, entry.pw_gid)
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            self._command(connection_file),
            cwd=self.workdir,
            env=self._environment(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as a whole
        )
        log.close()
        self.client = BlockingKernelClient()
        self.client.load_connection_file(str(connection_file))
        self.client.start_channels()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the grading kernel exited at start-up: {self.log_tail()}")
            try:
                self.client.wait_for_ready(timeout=min(5.0, max(0.1, deadline - time.monotonic())))
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(
                        f"the grading kernel did not start within {timeout:.0f} s"
                    ) from None

    def log_tail(self, chars: int = 400) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _tree(self) -> list[psutil.Process]:
        if self.process is None:
            return []
        try:
            parent = psutil.Process(self.process.pid)
            return [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def memory_mb_used(self) -> float:
        total = 0
        for proc in self._tree():
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total / 1024**2

    def kill(self) -> None:
        """Kill the kernel, everything it started, and close the channels."""
        if self.process is not None:
            tree = self._tree()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            for proc in tree:
                with contextlib.suppress(psutil.Error):
                    proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        if self.client is not None:
            self.client.stop_channels()
            self.client = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def __enter__(self) -> KernelSandbox:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.kill()

    # -- running code -------------------------------------------------------------------

    def interrupt(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGINT)

    def execute(self, code: str, timeout: float) -> Execution:
        """Run ``code`` and wait at most ``timeout`` seconds for it to finish.

        On timeout the kernel is interrupted; if it is still busy 5 s later it is
        killed (``ename == "unresponsive"``), and the caller must restart it.
        """
        if not self.alive() or self.client is None:
            return Execution("died", "DeadKernel", "the kernel is not running")
        start = time.monotonic()
        msg_id = self.client.execute(code, silent=False, store_history=False, allow_stdin=False)
        result = Execution("ok")
        deadline = start + timeout
        interrupted_at = None
        while True:
            if not self.alive():
                return Execution("died", "DeadKernel", "the kernel died", time.monotonic() - start)
            if self.memory_mb_used() > self.memory_mb:
                self.kill()
                return Execution(
                    "memory",
                    "MemoryLimit",
                    f"used more than {self.memory_mb} MB",
                    time.monotonic() - start,
                )
            now = time.monotonic()
            if interrupted_at is None and now > deadline:
                self.interrupt()
                interrupted_at = now
            if interrupted_at is not None and now > interrupted_at + 5.0:
                self.kill()
                return Execution(
                    "timeout", "unresponsive", f"did not finish within {timeout:g} s", now - start
                )
            try:
                msg = self.client.get_iopub_msg(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "error":
                result = Execution(
                    "error", str(content.get("ename", "")), str(content.get("evalue", ""))[:300]
                )
            elif kind == "status" and content.get("execution_state") == "idle":
                result.seconds = time.monotonic() - start
                if interrupted_at is not None:
                    return Execution(
                        "timeout",
                        "interrupted",
                        f"did not finish within {timeout:g} s",
                        result.seconds,
                    )
                return result
