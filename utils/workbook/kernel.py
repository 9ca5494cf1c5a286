"""Run one rebuilt submission in a fresh kernel, within limits, and score each check cell.

``run_cells(cells, kernel_name, limits)``
    runs the cells that ``submission.rebuild`` made in a fresh kernel (see ``Limits``) and
    scores each check cell from the kernel's ``execute_reply``.

Everything here talks to the kernel through ``jupyter_client`` directly, so that the
grader decides when to interrupt and when to kill, and reads nothing the kernel wrote
to disk. Each kernel starts through ``launcher.py`` (limits, a throw-away user). See
``docs/grading.md`` for the design and its limits.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import tamper
from .submission import Cell

OUTCOMES = ("passed", "failed", "not-attempted", "error", "timeout", "skipped", "tampered")
STATUSES = ("ok", "unreadable", "unknown-notebook", "timeout", "kernel-died")

MESSAGE_CAP = 2000  # characters of a check's message kept (CSV and feedback)
STREAM_CAP = 4000  # characters of a check cell's stdout kept (to find its "✓" line)
ZMQ_MESSAGE_CAP = 32 * 2**20  # a larger message from the kernel is dropped by zmq, unread
INTERRUPT_GRACE_S = 5.0  # after an interrupt, how long a cell has to stop before the kill
IDLE_WAIT_S = 1.0  # after a check's reply, how long to wait for the rest of its output
STARTUP_CAP_S = 60.0  # the kernel must answer kernel_info within this (and the overall limit)
NPROC_LIMIT = 1024  # processes + threads of a kernel's own user (only with a dropped user)

WRAPPER = str(Path(__file__).with_name("launcher.py"))
# --------------------------------------------------------------------------- running

@dataclass
class Limits:
    cell_timeout: float = 120.0  # seconds a cell may run before it is interrupted
    timeout: float = 600.0  # seconds for the whole submission, kernel start included
    memory_mb: int = 4096  # address-space limit of the kernel (RLIMIT_AS); 0: none
    threads: int = 0  # OMP/MKL/OpenBLAS threads of the kernel; 0: leave as it is
    drop: bool = False  # as root: run the kernel as a fresh unprivileged user
    read_all: bool = False  # with drop: keep CAP_DAC_READ_SEARCH (a Python under /root)
    all_cells: bool = False  # also run the cells after the last check (for measurements)
    guard: bool = True  # tamper detection (tamper.py) around every check cell


@dataclass
class CheckResult:
    check: str
    points: float
    max_points: float
    outcome: str
    message: str


@dataclass
class RunResult:
    status: str  # "ok", "timeout" or "kernel-died"
    checks: list = field(default_factory=list)
    note: str = ""  # what stopped the run early, if anything


def cap(text: str, limit: int = MESSAGE_CAP) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 12].rstrip() + " … (cut)"


def _check_outcome(reply: dict, stdout: str) -> tuple[str, str]:
    """(outcome, message) of a check cell from its execute_reply content."""
    status = reply.get("status")
    if status == "ok":
        lines = [ln.strip() for ln in stdout.splitlines() if ln.strip()]
        tick = next((ln for ln in reversed(lines) if ln.startswith("✓")), lines[-1] if lines else "")
        # (the last "✓" line seen, else the last line kept of a check that printed no verdict)
        return "passed", cap(tick, 500)
    ename, evalue = str(reply.get("ename", "")), str(reply.get("evalue", ""))
    if status != "error":
        return "error", f"the kernel answered {status!r}"
    if ename == "NotImplementedError":
        return "not-attempted", cap(evalue or "this exercise still raises NotImplementedError: it is not attempted yet")
    if ename in ("AssertionError", "CheckFailure"):
        return "failed", cap(evalue or "the check's assertion failed (it gave no message)")
    return "error", cap(f"{ename}: {evalue}" if evalue else ename)


def _death_reason(km) -> str:
    proc = getattr(getattr(km, "provisioner", None), "process", None)
    code = proc.poll() if proc is not None else None
    if code is None:
        return "it stopped responding"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == signal.SIGKILL:
            return "it was killed by SIGKILL (most often: it ran out of memory)"
        if -code == signal.SIGSEGV:
            return "it crashed with a segmentation fault (SIGSEGV)"
        return f"it was killed by {name}"
    return f"it exited with code {code} (os._exit, sys.exit in compiled code, or a crash)"


def _kill_user(uid: int):
    """SIGKILL every process left running as the kernel's throw-away user."""
    subprocess.run([sys.executable, "-I", "-S", WRAPPER, "--uid", str(uid), "--kill-all"],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)


def fresh_uid() -> int:
    """A user id no one uses, for one kernel (no passwd entry needed)."""
    import secrets

    return 1_500_000_000 + secrets.randbelow(2**24)


def probe_drop(read_all: bool) -> bool:
    """Whether a kernel run as a throw-away user can start Python and import utils here."""
    uid = fresh_uid()
    cmd = [sys.executable, "-I", "-S", WRAPPER, "--uid", str(uid)] + (["--read-all"] if read_all else [])
    cmd += ["--", sys.executable, "-c", "import utils"]
    try:
        ok = subprocess.run(cmd, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    try:
        _kill_user(uid)
    except (OSError, subprocess.SubprocessError):
        pass
    return ok


def _kernel_env(work: Path, limits: Limits) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("JPY_SESSION_NAME", "JPY_PARENT_PID")}
    env["TMPDIR"] = str(work)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    if limits.threads:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env.setdefault(name, str(limits.threads))
    if limits.drop:  # a home of its own, so nothing of root's is needed or touched
        env.update(HOME=str(work), USER="student", LOGNAME="student", XDG_CACHE_HOME=str(work / ".cache"),
                   XDG_CONFIG_HOME=str(work / ".config"), MPLCONFIGDIR=str(work / ".config" / "matplotlib"))
        env.pop("IPYTHONDIR", None)
    return env


def _seed_matplotlib_cache(target: Path):
    """Copy the grader's matplotlib font list, so a fresh home does not rebuild it."""
    source = os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")
    target.mkdir(parents=True, exist_ok=True)
    try:
        for f in Path(source).glob("fontlist-*.json"):
            shutil.copyfile(f, target / f.name)
    except OSError:
        pass


def _make_manager(kernel_name: str, connection_file: str, prefix: list, ipc_prefix: str = ""):
    from jupyter_client import KernelManager

    class GradingKernelManager(KernelManager):
        """Starts the kernel through launcher.py (limits, user), same pid and group."""

        def format_kernel_cmd(self, extra_arguments=None):
            return prefix + super().format_kernel_cmd(extra_arguments)

    if ipc_prefix:  # unix sockets the kernel's user creates: other users cannot connect to them
        return GradingKernelManager(kernel_name=kernel_name, connection_file=connection_file,
                                    transport="ipc", ip=ipc_prefix)
    return GradingKernelManager(kernel_name=kernel_name, connection_file=connection_file)


class _Kernel:
    """One kernel, its client, and the loop that runs a cell under the time limits."""

    def __init__(self, km, kc, limits: Limits, deadline: float):
        import zmq

        self.km, self.kc, self.limits, self.deadline = km, kc, limits, deadline
        self.poller = zmq.Poller()
        self.shell = kc.shell_channel.socket
        self.iopub = kc.iopub_channel.socket
        self.poller.register(self.shell, zmq.POLLIN)
        self.poller.register(self.iopub, zmq.POLLIN)
        self.timeouts = 0

    def _drain_iopub(self, msg_id, sink):
        from queue import Empty

        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=0)
            except Empty:
                return
            except Exception:  # noqa: BLE001 - a malformed message is skipped
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg.get("msg_type"), msg.get("content", {})
            if kind == "stream" and content.get("name") == "stdout":
                # keep the start and the end (a check prints its verdict last), STREAM_CAP in all
                text = str(content.get("text", ""))
                if "✓" in text:  # the check's verdict line, wherever it is in a long output
                    ticks = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("✓")]
                    if ticks:
                        sink["tick"] = ticks[-1][:500]
                room = STREAM_CAP // 2 - len(sink["stdout"])
                if room > 0:
                    sink["stdout"] += text[:room]
                    text = text[room:]
                if text:
                    sink["tail"] = (sink["tail"] + text[-(STREAM_CAP // 2):])[-(STREAM_CAP // 2):]
            elif kind == "status" and content.get("execution_state") == "idle":
                sink["idle"] = True

    def execute(self, cell: Cell, want_output: bool, user_expressions=None, source=None):
        """Run one cell. Returns (event, payload):

        ("reply", content)       the cell finished; payload is the execute_reply content
        ("timeout", content)     it ran past the cell limit, was interrupted and stopped
        ("killed", reason)       it did not stop (or the overall limit came): kernel killed
        ("died", reason)         the kernel died during the cell
        """
        from queue import Empty

        import zmq

        if source is None:
            msg_id = self.kc.execute(cell.source, silent=False, store_history=True, allow_stdin=False,
                                     stop_on_error=False, user_expressions=user_expressions)
        else:  # the grader's own request (tamper.py): silent, not in the history
            msg_id = self.kc.execute(source, silent=True, store_history=False, allow_stdin=False,
                                     stop_on_error=False, user_expressions=user_expressions)
        now = time.monotonic()
        cell_deadline = min(now + self.limits.cell_timeout, self.deadline)
        interrupted = False
        sink = {"stdout": "", "tail": "", "tick": "", "idle": False}
        reply = None
        while reply is None:
            now = time.monotonic()
            if now >= cell_deadline:
                if interrupted or now >= self.deadline:
                    if now >= self.deadline:
                        return "killed", (f"the submission used up its time limit of {self.limits.timeout:g} s "
                                          f"during {cell.describe()}")
                    return "killed", (f"{cell.describe()} ran past the cell time limit of "
                                      f"{self.limits.cell_timeout:g} s and did not stop when interrupted")
                try:
                    self.km.interrupt_kernel()
                except Exception:  # noqa: BLE001 - it died meanwhile: the next poll says so
                    pass
                interrupted = True
                cell_deadline = min(now + INTERRUPT_GRACE_S, self.deadline)
                continue
            events = dict(self.poller.poll(timeout=max(1, int(min(cell_deadline - now, 0.5) * 1000))))
            if self.iopub in events:
                self._drain_iopub(msg_id, sink)
            if self.shell in events:
                while True:
                    try:
                        msg = self.kc.get_shell_msg(timeout=0)
                    except Empty:
                        break
                    except Exception:  # noqa: BLE001
                        continue
                    if msg.get("parent_header", {}).get("msg_id") == msg_id and msg.get("msg_type") == "execute_reply":
                        reply = msg.get("content", {})
                        break
            if reply is None and not self.km.is_alive():
                return "died", _death_reason(self.km)
        if want_output:
            until = min(time.monotonic() + IDLE_WAIT_S, self.deadline)
            while not sink["idle"] and time.monotonic() < until:
                if self.poller.poll(timeout=50):
                    self._drain_iopub(msg_id, sink)
        else:
            self._drain_iopub(msg_id, sink)
        reply = dict(reply, _stdout=sink["stdout"] + "\n" + sink["tail"] + "\n" + sink["tick"])
        if interrupted:
            self.timeouts += 1
            return "timeout", reply
        return "reply", reply


def run_cells(cells: list, kernel_name: str, limits: Limits) -> RunResult:
    """Run `cells` (from ``rebuild``) in a fresh kernel; score every graded cell."""
    import zmq

    start = time.monotonic()
    deadline = start + limits.timeout
    results: dict = {}
    graded = [c for c in cells if c.kind in ("check", "manual")]
    for c in graded:
        if c.kind == "manual":
            results[c.grade_id] = CheckResult(c.grade_id, 0, c.points, "skipped",
                                              "graded by hand by your instructor, not by workbook grade")
    checks = [c for c in graded if c.kind == "check"]
    last = max((i for i, c in enumerate(cells) if c.kind == "check"), default=-1)
    if limits.all_cells:
        last = len(cells) - 1
    # Cells after the last check cannot change a score: they are not run.
    to_run = [c for c in cells[: last + 1] if c.cell_type == "code" and c.run and c.source.strip()]

    status, note = "ok", ""
    uid = fresh_uid() if limits.drop else None
    # Unix socket paths must stay short (< 108 bytes): a long TMPDIR is not used for them.
    short = limits.drop and len(tempfile.gettempdir()) > 40 and os.path.isdir("/tmp")
    root = Path(tempfile.mkdtemp(prefix="workbook-grade-", dir="/tmp" if short else None))
    km = kc = ctx = None
    aborting = False
    try:
        os.chmod(root, 0o711)  # others may pass through to their work dir, not list it
        work = root / "work"
        work.mkdir(mode=0o700)
        env = _kernel_env(work, limits)
        ipc = root / "ipc"
        if limits.drop:
            ipc.mkdir(mode=0o700)
            os.chown(ipc, uid, uid)
            _seed_matplotlib_cache(Path(env["MPLCONFIGDIR"]))
            for dirpath, dirnames, filenames in os.walk(work):
                os.chown(dirpath, uid, uid)
                for name in filenames:
                    os.chown(os.path.join(dirpath, name), uid, uid)
        prefix = [sys.executable, "-I", "-S", WRAPPER, "--memory-mb", str(int(limits.memory_mb))]
        if limits.drop:
            prefix += ["--uid", str(uid), "--nproc", str(NPROC_LIMIT)] + (["--read-all"] if limits.read_all else [])
        prefix.append("--")
        if os.name == "nt":  # no rlimits nor exec there: the kernel starts as it is, without a memory limit
            prefix = []
        if not checks:
            return RunResult("ok", [results[c.grade_id] for c in graded])

        km = _make_manager(kernel_name, str(root / "kernel.json"), prefix, str(ipc / "k") if limits.drop else "")
        stderr_path = root / "kernel-stderr.txt"
        try:
            with open(stderr_path, "wb") as err:
                km.start_kernel(cwd=str(work), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err)
            ctx = zmq.Context()
            ctx.setsockopt(zmq.MAXMSGSIZE, ZMQ_MESSAGE_CAP)
            kc = km.client(context=ctx)
            kc.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=False)
            kc.wait_for_ready(timeout=max(1.0, min(STARTUP_CAP_S, deadline - time.monotonic())))
        except Exception as e:  # noqa: BLE001 - a kernel that does not start is a result too
            alive = km.has_kernel and km.is_alive()
            tail = ""
            try:
                tail = stderr_path.read_bytes()[-600:].decode("utf-8", "replace").strip().splitlines()[-1:]
                tail = f"; its last words: {tail[0]}" if tail else ""
            except OSError:
                pass
            if alive:
                status = "timeout"
                note = f"the kernel did not become ready in time ({e.__class__.__name__})"
            elif getattr(getattr(km, "provisioner", None), "process", None) is None:
                status = "kernel-died"  # e.g. no such kernelspec: the grader's set-up, not the student
                note = cap(f"the kernel could not be started ({e.__class__.__name__}: {e})", 500)
            else:
                status = "kernel-died"
                note = f"the kernel did not start: {_death_reason(km)}{tail}"
        else:
            kernel = _Kernel(km, kc, limits, deadline)
            first_answer = next((c for c in to_run if c.kind in ("answer", "manual")), None)
            baseline = None  # the digest of the kernel's fingerprint before any student code (tamper.py)
            for cell in to_run:
                if time.monotonic() >= deadline:
                    status = "timeout"
                    note = f"the submission used up its time limit of {limits.timeout:g} s before {cell.describe()}"
                    break
                guard = limits.guard and cell.kind == "check" and baseline is not None
                before = None
                event, payload = "reply", None
                if limits.guard and cell is first_answer:
                    event, payload = kernel.execute(cell, False, tamper.expression("base"), source="pass")
                    answer = tamper.parse(payload) if event == "reply" else None
                    baseline = answer if answer and isinstance(answer.get("names"), dict) else None
                elif guard:
                    event, payload = kernel.execute(cell, False, tamper.expression("verify", cell.called),
                                                    source="pass")
                    if event == "reply":
                        before = tamper.verdict(baseline, tamper.parse(payload), "before")
                if event == "reply":
                    after = tamper.expression("verify", cell.called) if guard and before is None else None
                    event, payload = kernel.execute(cell, want_output=cell.kind == "check", user_expressions=after)
                if event == "reply":
                    if cell.kind == "check":
                        outcome, message = _check_outcome(payload, payload.get("_stdout", ""))
                        if guard and before is None and outcome == "passed":
                            before = tamper.verdict(baseline, tamper.parse(payload), "while")
                        if before is not None:
                            outcome, message = "tampered", cap(before)
                        got = cell.points if outcome == "passed" else 0
                        results[cell.grade_id] = CheckResult(cell.grade_id, got, cell.points, outcome, message)
                    continue
                if event == "timeout":
                    status = "timeout"
                    if cell.kind == "check":
                        results[cell.grade_id] = CheckResult(
                            cell.grade_id, 0, cell.points, "timeout",
                            f"this check ran past the cell time limit of {limits.cell_timeout:g} s and was "
                            f"interrupted: does your code loop forever, or is it very slow?")
                    continue
                # "killed" or "died": the kernel is gone; later checks are not run.
                status = "timeout" if event == "killed" else "kernel-died"
                note = payload if event == "killed" else f"the kernel died during {cell.describe()}: {payload}"
                if cell.kind == "check":
                    if event == "killed":
                        results[cell.grade_id] = CheckResult(cell.grade_id, 0, cell.points, "timeout", cap(payload))
                    else:
                        results[cell.grade_id] = CheckResult(
                            cell.grade_id, 0, cell.points, "error", cap(f"the kernel died while running this check: {payload}"))
                break
    except BaseException:  # Ctrl-C (KeyboardInterrupt) or a grader bug: clean up without jupyter_client's event loop
        aborting = True
        raise
    finally:
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:  # noqa: BLE001
                pass
        if km is not None and aborting:
            # an interrupt may have stopped jupyter_client inside its asyncio loop, which its shutdown
            # would run again: kill the kernel process itself (launcher.py exec'd into it) instead
            proc = getattr(getattr(km, "provisioner", None), "process", None)
            try:
                if proc is not None and proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
            except Exception:  # noqa: BLE001
                pass
        elif km is not None:
            try:
                if km.has_kernel:
                    km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001
                pass
            try:
                km.cleanup_resources()
            except Exception:  # noqa: BLE001
                pass
        if ctx is not None:
            if aborting:
                # a Ctrl-C that landed inside a socket call can leave zmq's context waiting forever for
                # that socket (seen under load): give it 10 s in a daemon thread, then go on
                closer = threading.Thread(target=ctx.destroy, kwargs={"linger": 0}, daemon=True)
                closer.start()
                closer.join(timeout=10)
            else:
                ctx.destroy(linger=0)
        if uid is not None:
            try:
                _kill_user(uid)
            except (OSError, subprocess.SubprocessError):
                pass
        shutil.rmtree(root, ignore_errors=True)
        if root.exists():  # a non-root kernel may have left read-only folders
            subprocess.run(["chmod", "-R", "u+rwx", str(root)], stderr=subprocess.DEVNULL)
            shutil.rmtree(root, ignore_errors=True)

    reason = f"not run: {note}" if note else "not run"
    out = []
    for c in graded:
        out.append(results.get(c.grade_id) or CheckResult(c.grade_id, 0, c.points, "skipped", cap(reason)))
    return RunResult(status, out, note)
