"""A class JupyterHub, for real: four students open the course through an nbgitpuller link.

The test starts JupyterHub (PyPI ``jupyterhub``) with the shipped configuration,
deploy/jupyterhub/jupyterhub_config.py, changing only what this machine needs: free ports on
127.0.0.1, state in a temporary folder, and JupyterHub's SimpleLocalProcessSpawner (students'
homes in that folder, no system accounts) in place of the systemd spawner. The authenticator
(one class password), the single-user command, nbgitpuller, culling, implicit spawn and the
memory settings are the shipped ones. The proxy is npm's configurable-http-proxy from
node_modules/ (``npm ci``). The course is served as a bare clone of this checkout's HEAD
(commit your changes first), at ``file://``, on the branch of ``[tool.workbook.publish]``.

For each of 4 students, in parallel, as a browser would: log in through the proxy, open the link
``workbook link`` makes (utils/workbook/link.py), follow the "server not running" page's implicit
spawn and the spawn-pending page to nbgitpuller's page, stream its pull (the EventSource its page
opens) to the end, find the 12 notebooks in the student's home, and run notebook 01's code cells
to its first exercise in a kernel of the student's server (REST API and kernel websocket, through
the proxy). ``utils`` must come from that student's copy and the data from its data/.

Then one student edits notebook 01 (contents API), the teacher pushes a fix to notebook 02, the
student opens the link again: the edit is kept and the fix arrives (nbgitpuller's merge).

Everything started (hub, proxy, servers, kernels) is stopped, and the test asserts that no
process of it is left. It measures, per student, the memory (RSS) of the server plus its kernel
and the seconds from login to the first cell's result, and, in one kernel, the peak memory of a
training step of notebook 08's largest model; reports/hub_benchmark.json gets the figures and
the class size a 24 GiB machine holds.
"""

from __future__ import annotations

import contextlib
import html
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CONFIG = ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py"
PROXY = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
STUDENTS = ["ada", "alan", "grace", "kurt"]
PASSWORD = "lab-password-for-the-test"
NOTEBOOK = "01"
N_NOTEBOOKS = 12
GiB = 1024 ** 3
MiB = 1024 ** 2
MACHINE_BYTES = 24 * GiB
OS_RESERVE_BYTES = 2 * GiB           # the operating system, page cache for the shared environment, sshd...
TIMEOUT_S = 240                      # per student, for a machine shared with other work

missing = []
if importlib.util.find_spec("jupyterhub") is None:
    missing.append("pip install jupyterhub==6.1.1")
if importlib.util.find_spec("nbgitpuller") is None:
    missing.append("pip install nbgitpuller==1.3.0")
if not PROXY.exists():
    missing.append("npm ci --no-audit --no-fund   # configurable-http-proxy into node_modules/ (make install-dev)")
if shutil.which("git") is None:
    missing.append("apt-get install -y git")
if missing and os.environ.get("WORKBOOK_REQUIRE_HUB"):  # CI sets it: there the test must run
    raise RuntimeError("WORKBOOK_REQUIRE_HUB is set but the class hub cannot start; install: " + "; ".join(missing))

pytestmark = pytest.mark.skipif(bool(missing), reason="the class hub test needs: " + "; ".join(missing))

requests = pytest.importorskip("requests")
websocket = pytest.importorskip("websocket")   # websocket-client (requirements.lock)

try:
    import psutil
except ImportError:  # the learner's lock has it; /proc is the fallback
    psutil = None


# --- processes ----------------------------------------------------------------------------------

def _descendants(pid: int) -> list[tuple[int, float]]:
    """(pid, start time) of every process below ``pid``."""
    if psutil is not None:
        out = []
        with contextlib.suppress(psutil.Error):
            for p in psutil.Process(pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    out.append((p.pid, p.create_time()))
        return out
    parents = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (d / "stat").read_text()
                fields = stat[stat.rindex(")") + 2:].split()
                parents[int(d.name)] = (int(fields[1]), float(fields[19]))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for child, (ppid, start) in parents.items():
            if ppid == p:
                found.append((child, start))
                todo.append(child)
    return found


def _alive(pid: int, start: float) -> bool:
    if psutil is not None:
        try:
            return psutil.Process(pid).create_time() == start and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat[stat.rindex(")") + 2:].split()
    return float(fields[19]) == start and fields[0] != "Z"


def _rss(pid: int) -> int:
    """Resident memory of a process, in bytes."""
    if psutil is not None:
        return psutil.Process(pid).memory_info().rss
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _pss(pid: int) -> int | None:
    """Proportional memory (shared pages divided among the processes sharing them), where readable."""
    if psutil is None:
        return None
    try:
        return psutil.Process(pid).memory_full_info().pss
    except (psutil.Error, AttributeError):
        return None


def _ppid(pid: int) -> int:
    if psutil is not None:
        return psutil.Process(pid).ppid()
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _git(*args, cwd=None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


# --- the hub -------------------------------------------------------------------------------------

class Hub:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.homes = tmp / "home"
        self.log = tmp / "jupyterhub.log"
        self.proc = None
        self.seen: set[tuple[int, float]] = set()
        self._stop_watch = threading.Event()

    def config(self) -> Path:
        """The shipped config, loaded as is, then what this machine needs."""
        path = self.tmp / "jupyterhub_config.py"
        path.write_text(f"""
c = get_config()
load_subconfig({str(SHIPPED_CONFIG)!r})
c.JupyterHub.bind_url = "http://127.0.0.1:{self.port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{_free_port()}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{_free_port()}"
c.ConfigurableHTTPProxy.pid_file = {str(self.tmp / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{self.tmp / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(self.tmp / "cookie_secret")!r}
# no system accounts here: each student's home is a folder of the test
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(self.homes)!r} + "/{{username}}"
{'c.Spawner.args = list(c.Spawner.args) + ["--allow-root"]' if os.geteuid() == 0 else ""}
c.Spawner.start_timeout = {TIMEOUT_S}
""")
        return path

    def start(self):
        env = dict(os.environ, WORKBOOK_HUB_PASSWORD=PASSWORD)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(self.config())], cwd=self.tmp,
                                         env=env, stdout=subprocess.DEVNULL, stderr=log)
        threading.Thread(target=self._watch, daemon=True).start()
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base}/hub/api", timeout=5).status_code == 200:
                    return
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited ({self.proc.returncode}):\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"jupyterhub did not answer through the proxy within 90 s:\n{self.tail()}")
            time.sleep(0.3)

    def _watch(self):
        """Record every process the hub starts (proxy, servers, kernels), to check none is left."""
        while not self._stop_watch.is_set() and self.proc.poll() is None:
            self.seen.update(_descendants(self.proc.pid))
            self._stop_watch.wait(0.3)

    def stop(self) -> list[str]:
        """Stop the hub (it stops the proxy and the servers, which stop their kernels); return what is left."""
        if self.proc is None:
            return []
        self.seen.update(_descendants(self.proc.pid))
        self._stop_watch.set()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        deadline = time.monotonic() + 15
        while (left := [p for p in self.seen if _alive(*p)]) and time.monotonic() < deadline:
            time.sleep(0.3)
        described = []
        for pid, _ in left:  # never leave them running, but report them
            with contextlib.suppress(OSError):
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                described.append(f"{pid}: {cmdline[:120]}")
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        return described

    def tail(self, n=4000) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-n:]
        return ""

    def server_and_kernel(self, kernel_pid: int) -> tuple[int, int]:
        """(server pid, kernel pid): the kernel's parent must be a server the hub started."""
        server = _ppid(kernel_pid)
        assert _ppid(server) == self.proc.pid, f"kernel {kernel_pid}'s parent {server} is not a server of the hub"
        return server, kernel_pid


# --- a student, as a browser --------------------------------------------------------------------

class Student:
    def __init__(self, hub: Hub, name: str):
        self.hub, self.name = hub, name
        self.http = requests.Session()
        self.prefix = f"{hub.base}/user/{name}"
        self.home = hub.homes / name

    def log_in(self, password: str = PASSWORD) -> int:
        """Log in through the proxy with the hub's login form; the status code (302 when it worked)."""
        r = self.http.get(f"{self.hub.base}/hub/login", timeout=30)
        r.raise_for_status()
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', r.text).group(1)
        r = self.http.post(f"{self.hub.base}/hub/login", data={"username": self.name, "password": password, "_xsrf": xsrf},
                           allow_redirects=False, timeout=30)
        return r.status_code

    def open_link(self, link: str) -> dict:
        """Open the nbgitpuller link as a browser does; return the data-* of nbgitpuller's page."""
        deadline = time.monotonic() + TIMEOUT_S
        r = self.http.get(link, timeout=60)
        if r.status_code == 424:  # "server not running": the shipped config spawns it by itself after a moment
            m = re.search(r'var spawn_url = "([^"]+)";\s*var implicit_spawn_seconds = ([0-9.]+);', r.text)
            assert m, f"{self.name}: the not-running page has no implicit spawn (c.JupyterHub.implicit_spawn_seconds)"
            time.sleep(float(m.group(2)))
            r = self.http.get(self.hub.base + html.unescape(m.group(1)), timeout=60)
        while urlsplit(r.url).path.startswith(f"/hub/spawn-pending/{self.name}"):
            assert time.monotonic() < deadline, f"{self.name}'s server did not start in {TIMEOUT_S} s:\n{self.hub.tail()}"
            time.sleep(0.5)
            r = self.http.get(r.url, timeout=60)
        assert r.status_code == 200 and urlsplit(r.url).path == f"/user/{self.name}/git-pull", \
            f"{self.name}: the link ended at {r.url} ({r.status_code}), not nbgitpuller's page:\n{r.text[:500]}"
        return {k: unquote(html.unescape(v)) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', r.text)}

    def pull(self, page: dict) -> list[str]:
        """What nbgitpuller's page does: stream git-pull/api until the pull finishes."""
        params = {"_xsrf": page["xsrf"], "repo": page["repo"], "targetpath": page["targetpath"]}
        if "branch" in page:
            params["branch"] = page["branch"]
        progress = []
        with self.http.get(f"{self.prefix}/git-pull/api?{urlencode(params)}", stream=True, timeout=TIMEOUT_S) as r:
            assert r.status_code == 200, f"{self.name}: git-pull/api answered {r.status_code}"
            for line in r.iter_lines(decode_unicode=True):
                if not line.startswith("data: "):
                    continue
                event = json.loads(line[len("data: "):])
                progress.append(event.get("output", ""))
                if event["phase"] == "error":
                    raise AssertionError(f"{self.name}: nbgitpuller failed: {event.get('message')}\n{event.get('output')}")
                if event["phase"] == "finished":
                    return progress
        raise AssertionError(f"{self.name}: the pull's event stream ended without 'finished': {progress[-5:]}")

    def api(self, method: str, path: str, body=None):
        xsrf = self.http.cookies.get("_xsrf", path=f"/user/{self.name}/")
        r = self.http.request(method, f"{self.prefix}/api/{path}", json=body, timeout=60,
                              headers={"X-XSRFToken": xsrf} if xsrf else {})
        assert r.ok, f"{self.name}: {method} /api/{path} answered {r.status_code}: {r.text[:300]}"
        return r.json() if r.content else None

    def start_kernel(self, notebook: str) -> "Kernel":
        """A session for the notebook, as JupyterLab opens one: its kernel runs in the notebook's folder."""
        session = self.api("POST", "sessions", {"path": notebook, "type": "notebook", "name": Path(notebook).name,
                                               "kernel": {"name": "python3"}})
        return Kernel(self, session["kernel"]["id"], session["id"])


class Kernel:
    def __init__(self, student: Student, kernel_id: str, session_id: str):
        self.student, self.id, self.session_id = student, kernel_id, session_id
        self.session = uuid.uuid4().hex
        cookies = "; ".join(f"{c.name}={c.value}" for c in student.http.cookies
                            if c.path in ("/", f"/user/{student.name}/", f"/user/{student.name}"))
        url = student.prefix.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels?session_id={self.session}"
        self.ws = websocket.create_connection(url, cookie=cookies, timeout=TIMEOUT_S)
        self.request("kernel_info_request", {}, channel="shell")

    def request(self, msg_type: str, content: dict, channel="shell") -> tuple[dict, list[dict]]:
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": msg_type, "username": self.student.name, "session": self.session,
                       "date": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime()), "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": []}))
        reply, outputs, idle = None, [], False
        reply_type = msg_type.replace("_request", "_reply")
        while reply is None or not idle:
            raw = self.ws.recv()
            if isinstance(raw, bytes):  # binary frames carry comm buffers, which no cell here sends
                continue
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == reply_type:
                reply = msg["content"]
            elif kind == "status":
                idle = idle or msg["content"]["execution_state"] == "idle"
            elif kind in ("stream", "error", "execute_result", "display_data"):
                outputs.append({"output_type": kind, **msg["content"]})
        return reply, outputs

    def run(self, code: str) -> list[dict]:
        reply, outputs = self.request("execute_request", {"code": code, "silent": False, "store_history": True,
                                                          "user_expressions": {}, "allow_stdin": False,
                                                          "stop_on_error": True})
        errors = [o for o in outputs if o["output_type"] == "error"]
        assert reply["status"] == "ok" and not errors, (
            f"{self.student.name}: a cell failed:\n{code[:400]}\n"
            + "\n".join(f"{e['ename']}: {e['evalue']}" for e in errors or [reply]))
        return outputs

    def close(self):
        self.ws.close()
        self.student.api("DELETE", f"sessions/{self.session_id}")


PROBE = """import json as _json, os as _os, utils as _utils, utils.data as _utils_data
print("WORKBOOK-PROBE " + _json.dumps({"utils": _utils.__file__, "data": str(_utils_data.data_dir()), "cwd": _os.getcwd(),
      "pid": _os.getpid(), "mem_limit": _os.environ.get("MEM_LIMIT"), "digits": list(X.shape)}))"""

# A training step of notebook 08's largest model (an LSTM of 256 units on embeddings of 64, batches
# of 64 chunks of 200 characters): a later notebook's memory, to plan the headroom on.
HEAVY = """import resource as _resource, json as _json, torch as _torch
_torch.manual_seed(0)
_emb, _lstm, _head = _torch.nn.Embedding(100, 64), _torch.nn.LSTM(64, 256, batch_first=True), _torch.nn.Linear(256, 100)
_params = [*_emb.parameters(), *_lstm.parameters(), *_head.parameters()]
_opt = _torch.optim.Adam(_params, lr=1e-3)
_x = _torch.randint(0, 100, (64, 201))
for _ in range(3):
    _out, _ = _lstm(_emb(_x[:, :-1]))
    _loss = _torch.nn.functional.cross_entropy(_head(_out).reshape(-1, 100), _x[:, 1:].reshape(-1))
    _opt.zero_grad(); _loss.backward(); _opt.step()
print("WORKBOOK-PEAK " + _json.dumps({"peak_rss": _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss * 1024}))"""


def _probe(outputs: list[dict], tag: str) -> dict:
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    m = re.search(tag + r" (\{.*\})", text)
    assert m, f"no {tag} line in {text[:500]}"
    return json.loads(m.group(1))


def _answer_cell_index(cells: list[dict]) -> int:
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            return i
    raise AssertionError("notebook 01 has no exercise answer cell")


def _bytes(size: str) -> int:
    """JupyterHub's memory size ("1G", "512M") in bytes."""
    units = {"K": 1024, "M": MiB, "G": GiB, "T": 1024 * GiB}
    return int(float(size[:-1]) * units[size[-1]]) if size[-1] in units else int(size)


def _shipped_memory() -> tuple[int, int]:
    text = SHIPPED_CONFIG.read_text()
    guarantee = re.search(r'^c\.Spawner\.mem_guarantee = "([^"]+)"', text, re.M).group(1)
    limit = re.search(r'^c\.Spawner\.mem_limit = "([^"]+)"', text, re.M).group(1)
    return _bytes(guarantee), _bytes(limit)


# --- the test -----------------------------------------------------------------------------------

def run_student(hub: Hub, name: str, link: str, notebook_rel: str, expected_notebooks: set[str]) -> dict:
    student = Student(hub, name)
    if name == STUDENTS[-1]:  # the shipped authenticator refuses a wrong password
        assert student.log_in("not-the-class-password") == 403, "the hub let a student in with a wrong password"
    t0 = time.monotonic()
    assert student.log_in() == 302, f"{name} could not log in with the class password"
    page = student.open_link(link)
    t_server = time.monotonic()
    student.pull(page)
    t_pulled = time.monotonic()
    copy = student.home / page["targetpath"]
    found = {p.name for p in (copy / "notebooks").glob("*.ipynb")}
    assert found == expected_notebooks, f"{name}'s copy has {sorted(found)}, not the course's notebooks"
    assert urlsplit(page["path"]).path.endswith(notebook_rel), f"the link opens {page['path']}, not {notebook_rel}"

    cells = json.loads((copy / notebook_rel).read_text(encoding="utf-8"))["cells"]
    stop = _answer_cell_index(cells)
    kernel = student.start_kernel(f"{page['targetpath']}/{notebook_rel}")
    t_first = None
    ran = 0
    for cell in cells[:stop + 1]:
        if cell["cell_type"] != "code":
            continue
        kernel.run("".join(cell["source"]))
        ran += 1
        t_first = t_first or time.monotonic()
    probe = _probe(kernel.run(PROBE), "WORKBOOK-PROBE")
    server_pid, kernel_pid = hub.server_and_kernel(probe["pid"])
    rss_server, rss_kernel = _rss(server_pid), _rss(kernel_pid)
    pss = [_pss(server_pid), _pss(kernel_pid)]
    return {"student": student, "kernel": kernel, "copy": copy, "probe": probe, "cells_run": ran,
            "server_pid": server_pid, "kernel_pid": kernel_pid, "rss_server": rss_server, "rss_kernel": rss_kernel,
            "pss": None if None in pss else sum(pss),
            "seconds_to_server": t_server - t0, "seconds_to_pull": t_pulled - t0, "seconds_to_first_cell": t_first - t0,
            "seconds_to_exercise": time.monotonic() - t0}


def test_class_hub_through_nbgitpuller(tmp_path):
    from utils.workbook import link as links

    t_start = time.monotonic()
    tmp = tmp_path
    config = links.publish_config(ROOT)
    branch = config["branch"]
    notebook_rel = links.notebook_path(NOTEBOOK, ROOT / "notebooks")
    head = _git("rev-parse", "HEAD", cwd=ROOT)
    expected = {Path(p).name for p in _git("ls-tree", "--name-only", "HEAD", "notebooks/", cwd=ROOT).split("\n")
                if p.endswith(".ipynb")}
    assert len(expected) == N_NOTEBOOKS, f"HEAD has {len(expected)} notebooks in notebooks/, not {N_NOTEBOOKS}"

    # The course as a teacher's repository: a bare clone of HEAD, on the published branch.
    remote = tmp / "remote" / "workbook"
    _git("clone", "--quiet", "--bare", str(ROOT), str(remote))
    _git("update-ref", f"refs/heads/{branch}", head, cwd=remote)
    repository = f"file://{remote}"

    hub = Hub(tmp)
    left, results, leftover = [], {}, []
    try:
        hub.start()
        link = links.hub_link(notebook_rel, hub.base, repository, branch)
        assert link.startswith(f"{hub.base}/hub/user-redirect/git-pull?") and "urlpath=lab/tree/workbook/" in link, link

        errors = {}

        def work(name):
            try:
                results[name] = run_student(hub, name, link, notebook_rel, expected)
            except BaseException as e:  # noqa: BLE001 (reported below, with the hub's log)
                errors[name] = e

        threads = [threading.Thread(target=work, args=(n,)) for n in STUDENTS]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT_S + 60)
        if errors:
            name, error = next(iter(errors.items()))
            raise AssertionError(f"{sorted(errors)} failed; {name}: {error}\n--- hub log ---\n{hub.tail()}") from error
        assert sorted(results) == sorted(STUDENTS), f"students still running after the timeout: {set(STUDENTS) - set(results)}"

        # Each student's notebook imported utils and read data/ from that student's own copy.
        guarantee, limit = _shipped_memory()
        for name, res in results.items():
            copy, probe = res["copy"].resolve(), res["probe"]
            assert Path(probe["cwd"]).resolve() == copy / "notebooks", f"{name}'s kernel runs in {probe['cwd']}"
            assert Path(probe["utils"]).resolve().is_relative_to(copy / "utils"), (
                f"{name}'s notebook imported utils from {probe['utils']}, not from their copy {copy}: a notebook "
                "opened from an nbgitpuller copy must find the course in that copy (its first cell)")
            assert Path(probe["data"]).resolve() == copy / "data", f"{name}'s notebook reads data from {probe['data']}"
            assert probe["digits"] == [1797, 64], f"{name}'s digits: {probe['digits']}"
            assert int(probe["mem_limit"]) == limit, f"the server got MEM_LIMIT={probe['mem_limit']}, the config says {limit}"

        # One student edits notebook 01; the teacher pushes a fix to notebook 02; the student pulls again.
        ada = results[STUDENTS[0]]
        student, copy = ada["student"], ada["copy"]
        path = f"{copy.name}/{notebook_rel}"
        model = student.api("GET", f"contents/{path}")
        note = "My answer to the question of section 2: the hidden layer computes features."
        model["content"]["cells"].append({"cell_type": "markdown", "metadata": {}, "source": note, "id": "ada-note"})
        student.api("PUT", f"contents/{path}", {"type": "notebook", "format": "json", "content": model["content"]})
        fix = "A correction from the teacher, pushed after the class started."
        work_clone = tmp / "teacher"
        _git("clone", "--quiet", "--branch", branch, repository, str(work_clone))
        nb02 = next((work_clone / "notebooks").glob("02_*.ipynb"))
        nb = json.loads(nb02.read_text(encoding="utf-8"))
        nb["cells"][0]["source"] = [*nb["cells"][0]["source"], "\n\n" + fix]
        nb02.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        _git("-c", "user.name=Teacher", "-c", "user.email=teacher@example.edu", "commit", "--quiet", "-am",
             "02: a correction", cwd=work_clone)
        _git("push", "--quiet", "origin", branch, cwd=work_clone)
        student.pull(student.open_link(link))
        assert note in (copy / notebook_rel).read_text(encoding="utf-8"), "the student's edit was lost by the second pull"
        assert fix in (copy / "notebooks" / nb02.name).read_text(encoding="utf-8"), "the teacher's fix did not arrive"

        # A later notebook's memory: a training step of notebook 08's largest model in one kernel.
        peak = _probe(ada["kernel"].run(HEAVY), "WORKBOOK-PEAK")["peak_rss"]
        heavy_total = _rss(ada["server_pid"]) + peak
        hub_rss = _rss(hub.proc.pid) + sum(_rss(p) for p, _ in _descendants(hub.proc.pid)
                                           if _ppid(p) == hub.proc.pid and p not in {r["server_pid"] for r in results.values()})
        for res in results.values():
            res["kernel"].close()
    finally:
        leftover = hub.stop()
    wall = time.monotonic() - t_start
    assert not leftover, f"processes of the hub still ran after it stopped (killed now): {leftover}"

    per_student = max(r["rss_server"] + r["rss_kernel"] for r in results.values())
    available = MACHINE_BYTES - OS_RESERVE_BYTES - hub_rss
    report = {
        "students": [{"name": n, "server_rss_mib": round(r["rss_server"] / MiB, 1),
                      "kernel_rss_mib": round(r["rss_kernel"] / MiB, 1),
                      "total_rss_mib": round((r["rss_server"] + r["rss_kernel"]) / MiB, 1),
                      "total_pss_mib": None if r["pss"] is None else round(r["pss"] / MiB, 1),
                      "seconds_login_to_server": round(r["seconds_to_server"], 1),
                      "seconds_login_to_pulled": round(r["seconds_to_pull"], 1),
                      "seconds_login_to_first_cell": round(r["seconds_to_first_cell"], 1),
                      "seconds_login_to_first_exercise": round(r["seconds_to_exercise"], 1),
                      "code_cells_run": r["cells_run"]} for n, r in sorted(results.items())],
        "hub_and_proxy_rss_mib": round(hub_rss / MiB, 1),
        "heavy_kernel_peak_rss_mib": round(peak / MiB, 1),
        "heavy_server_plus_kernel_mib": round(heavy_total / MiB, 1),
        "machine_gib": MACHINE_BYTES / GiB, "os_reserve_gib": OS_RESERVE_BYTES / GiB,
        "class_size_at_notebook_01": int(available // per_student),
        "class_size_at_heavy_notebook": int(available // heavy_total),
        "mem_guarantee_mib": guarantee / MiB, "mem_limit_mib": limit / MiB,
        "class_size_at_mem_guarantee": int(available // guarantee),
        "test_wall_seconds": round(wall, 1),
        "students_in_parallel": len(STUDENTS),
        "cpu_count": os.cpu_count(),
    }
    (ROOT / "reports").mkdir(exist_ok=True)
    (ROOT / "reports" / "hub_benchmark.json").write_text(json.dumps(report, indent=2) + "\n")
    print("\nclass hub, 4 students in parallel (reports/hub_benchmark.json)")
    print(f"{'student':8} {'server MiB':>10} {'kernel MiB':>10} {'RSS MiB':>8} {'PSS MiB':>8} {'s to server':>11} "
          f"{'s to pulled':>11} {'s to 1st cell':>13}")
    for s in report["students"]:
        pss = "-" if s["total_pss_mib"] is None else f"{s['total_pss_mib']:.0f}"
        print(f"{s['name']:8} {s['server_rss_mib']:10.0f} {s['kernel_rss_mib']:10.0f} {s['total_rss_mib']:8.0f} {pss:>8} "
              f"{s['seconds_login_to_server']:11.1f} {s['seconds_login_to_pulled']:11.1f} "
              f"{s['seconds_login_to_first_cell']:13.1f}")
    print(f"hub + proxy {report['hub_and_proxy_rss_mib']:.0f} MiB; a notebook-08 training step: kernel peak "
          f"{report['heavy_kernel_peak_rss_mib']:.0f} MiB, with its server {report['heavy_server_plus_kernel_mib']:.0f} MiB")
    print(f"24 GiB machine, {OS_RESERVE_BYTES // GiB} GiB for the system: {report['class_size_at_notebook_01']} students at "
          f"notebook 01, {report['class_size_at_heavy_notebook']} at the heaviest step, "
          f"{report['class_size_at_mem_guarantee']} at the config's guarantee of {guarantee / GiB:g} GiB each")
    print(f"test wall time {wall:.1f} s")

    # The shipped memory settings must hold what was measured.
    # The shipped memory settings must hold what was measured: the guarantee (what a class is planned
    # on) covers a student's server with a kernel at the heaviest step, and the limit sits above it.
    assert heavy_total <= guarantee, (f"a student's server with a kernel training needs {heavy_total / MiB:.0f} MiB, "
                                      f"above c.Spawner.mem_guarantee ({guarantee / MiB:.0f} MiB)")
    assert guarantee < limit, "c.Spawner.mem_limit must leave room above the guarantee"
