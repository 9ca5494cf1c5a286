"""A class graded through a real single-node Slurm (deploy/slurm/grade.sbatch), then merged,
gives the same grades.csv, checks.csv and pages as one ``workbook grade`` run.

The fixture writes its own ``slurm.conf`` in a temporary folder (``SLURM_CONF``), on
loopback and free ports, starts ``munged`` (as the ``munge`` user, with a generated key),
``slurmctld`` and ``slurmd`` itself, and stops every daemon it started, also when a test
fails. Checked with Debian's Slurm 22.05: ``ProctrackType=proctrack/linuxproc``,
``TaskPlugin=task/none``, ``SlurmUser=root``, no ``cgroup.conf``.

Without Slurm (or not as root) the test skips and says how to install it; with
``WORKBOOK_REQUIRE_SLURM=1`` (set by ``.ci/run``) it fails instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toy_class import EPOCH, ONE_CLASS, outputs
from test_grade import ROOT, _only_once_per_run

INSTALL = ("apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
           "slurm-wlm munge")
DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "sinfo", "scancel")
SBATCH = ROOT / "deploy" / "slurm" / "grade.sbatch"


def _which(name):
    return shutil.which(name) or next((str(Path(d) / name) for d in ("/usr/sbin", "/sbin")
                                       if (Path(d) / name).exists()), None)


def _unavailable() -> str:
    missing = [n for n in DAEMONS + CLIENTS + ("setpriv",) if not _which(n)]
    if missing:
        return f"Slurm and munge are not installed (no {', '.join(missing)}): {INSTALL}"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "the single-node Slurm of this test runs its daemons as root: run the test as root"
    try:
        import pwd

        pwd.getpwnam("munge")
    except KeyError:
        return f"there is no munge user (the munge package creates it): {INSTALL}"
    return ""


def _free_ports(n: int) -> list:
    """n distinct free TCP ports on loopback (all held open while they are chosen)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Cluster:
    """A single-node Slurm in `base`: munged, slurmctld, slurmd, all started and stopped here."""

    def __init__(self, base: Path):
        self.base = base
        self.procs = []  # (name, Popen), in the order started
        self.env = dict(os.environ, SLURM_CONF=str(base / "slurm.conf"))

    def _node_line(self) -> str:
        out = subprocess.run([_which("slurmd"), "-C"], capture_output=True, text=True, timeout=30).stdout
        line = next(ln for ln in out.splitlines() if ln.startswith("NodeName="))
        fields = [f for f in line.split() if not f.startswith(("NodeName=", "RealMemory="))]
        return " ".join(["NodeName=wbnode", "NodeAddr=127.0.0.1", *fields])

    def start(self):
        b = self.base
        b.chmod(0o755)
        munge = b / "munge"
        munge.mkdir(mode=0o711)
        shutil.chown(munge, "munge", "munge")
        key = munge / "munge.key"
        key.write_bytes(os.urandom(1024))
        shutil.chown(key, "munge", "munge")
        key.chmod(0o400)
        for d in ("state", "spool", "log"):
            (b / d).mkdir()
        self._spawn("munged", [_which("setpriv"), "--reuid=munge", "--regid=munge", "--init-groups",
                               _which("munged"), "--foreground", "--force", f"--key-file={key}",
                               f"--socket={munge / 'munge.socket'}", f"--pid-file={munge / 'munged.pid'}",
                               f"--log-file={munge / 'munged.log'}", f"--seed-file={munge / 'munged.seed'}"])
        self._wait(lambda: (munge / "munge.socket").exists(), "munged to create its socket", munge / "munged.log")
        host = socket.gethostname().split(".")[0]
        ctld_port, slurmd_port = _free_ports(2)
        (b / "slurm.conf").write_text("\n".join([
            "ClusterName=workbook", f"SlurmctldHost={host}(127.0.0.1)", f"SlurmctldPort={ctld_port}",
            f"SlurmdPort={slurmd_port}", "AuthType=auth/munge", f"AuthInfo=socket={munge / 'munge.socket'}",
            "CredType=cred/munge", "SlurmUser=root", "SlurmdUser=root", f"StateSaveLocation={b / 'state'}",
            f"SlurmdSpoolDir={b / 'spool'}", f"SlurmctldPidFile={b / 'slurmctld.pid'}",
            f"SlurmdPidFile={b / 'slurmd.pid'}", f"SlurmctldLogFile={b / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={b / 'log' / 'slurmd.log'}", "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none",
            "MpiDefault=none", "ReturnToService=2", "SchedulerType=sched/builtin", "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core", "JobCompType=jobcomp/none", "AccountingStorageType=accounting_storage/none",
            "JobAcctGatherType=jobacct_gather/none", "SlurmctldTimeout=30", "SlurmdTimeout=30",
            self._node_line(), "PartitionName=debug Nodes=wbnode Default=YES MaxTime=INFINITE State=UP", ""]))
        self._spawn("slurmctld", [_which("slurmctld"), "-D", "-i", "-f", str(b / "slurm.conf")])
        self._spawn("slurmd", [_which("slurmd"), "-D", "-N", "wbnode", "-f", str(b / "slurm.conf")])

        def idle():
            out = self.run("sinfo", "-h", "-o", "%T", check=False).stdout.strip()
            return out in ("idle", "idle*") or out.startswith("idle")
        self._wait(idle, "the node to be idle in sinfo", b / "log" / "slurmctld.log", timeout=60)

    def _spawn(self, name, cmd):
        log = open(self.base / "log" / f"{name}.out", "wb")
        self.procs.append((name, subprocess.Popen(cmd, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                                  stderr=subprocess.STDOUT, start_new_session=True)))
        log.close()

    def _wait(self, ready, what, log: Path, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            dead = [n for n, p in self.procs if p.poll() is not None]
            if dead:
                break
            time.sleep(0.3)
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        outs = "".join((self.base / "log" / f"{n}.out").read_text(errors="replace")[-800:] for n, _ in self.procs)
        raise RuntimeError(f"Slurm test: waited in vain for {what}\n{tail}\n{outs}")

    def run(self, tool, *args, check=True, **kw):
        proc = subprocess.run([_which(tool), *map(str, args)], env=kw.pop("env", self.env), capture_output=True,
                              text=True, timeout=60, **kw)
        if check:
            assert proc.returncode == 0, f"{tool} {args}: {proc.stdout}{proc.stderr}"
        return proc

    def stop(self):
        """Cancel what is left of our jobs, then stop every daemon started here (newest first)."""
        if any(p.poll() is None for n, p in self.procs if n == "slurmctld"):
            self.run("scancel", "--user=root", check=False)
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=15)


def _skip_or_fail_without_slurm():
    reason = _unavailable()
    if reason:
        if os.environ.get("WORKBOOK_REQUIRE_SLURM") == "1":
            pytest.fail(f"WORKBOOK_REQUIRE_SLURM=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def slurm(tmp_path_factory, request):
    _skip_or_fail_without_slurm()
    _only_once_per_run(tmp_path_factory, "slurm")
    cluster = Cluster(Path(tempfile_dir()))
    request.addfinalizer(lambda: (cluster.stop(), shutil.rmtree(cluster.base, ignore_errors=True)))
    cluster.start()
    return cluster


def tempfile_dir() -> str:
    """A short folder for the daemons (unix socket paths must stay under 108 bytes)."""
    import tempfile

    return tempfile.mkdtemp(prefix="wb-slurm-", dir="/tmp")


@ONE_CLASS
def test_a_class_graded_in_three_slurm_shards_is_the_single_run(slurm, graded, tmp_path):
    """The class of the `graded` fixture (toy_class.py), through sbatch --array=1-3 and the merge job."""
    subs, sol = graded["subs"], graded["sol"]
    out = tmp_path / "cluster"
    env = dict(slurm.env, SHARDS="3", WORKBOOK_REPO=str(ROOT), WORKBOOK_PYTHON=sys.executable,
               WORKBOOK_SBATCH_ARGS="--cpus-per-task=1", SOURCE_DATE_EPOCH=EPOCH)
    t0 = time.monotonic()
    proc = subprocess.run(["bash", str(SBATCH), str(subs), str(out), "--solutions", str(sol)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    jobs = [w for w in proc.stdout.replace(";", " ").split() if w.isdigit()]
    assert len(jobs) >= 2, proc.stdout
    deadline = time.monotonic() + 300
    while slurm.run("squeue", "-h", "-j", ",".join(jobs[:1] + jobs[-1:]), check=False).stdout.strip():
        assert time.monotonic() < deadline, "the Slurm jobs did not end within 300 s"
        time.sleep(1)
    seconds = time.monotonic() - t0
    logs = {p.name: p.read_text(errors="replace") for p in tmp_path.glob("workbook-grade-*.out")}
    assert len(logs) == 4, logs  # three shards and the merge
    assert sorted(p.name for p in (out / "shards").iterdir()) == ["1", "2", "3"], logs
    assert sum("workbook grade: shard" in text for text in logs.values()) == 3, logs
    assert (out / "merged" / "report.html").exists(), logs

    single, merged = outputs(graded["base"] / "single"), outputs(out / "merged")
    assert list(merged) == list(single)
    for name in single:
        assert merged[name] == single[name], name
    print(f"graded through Slurm (3 shards and the merge) in {seconds:.1f} s")


def test_the_sbatch_script_says_how_to_use_it(tmp_path):
    """Usage errors of deploy/slurm/grade.sbatch outside Slurm (no scheduler needed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    proc = subprocess.run(["bash", str(SBATCH)], env=env, capture_output=True, text=True)
    assert proc.returncode == 2 and "usage: bash deploy/slurm/grade.sbatch SUBMISSIONS OUT" in proc.stderr
    proc = subprocess.run(["bash", str(SBATCH), str(tmp_path / "none"), str(tmp_path / "out")], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr
    proc = subprocess.run(["bash", str(SBATCH), str(tmp_path), str(tmp_path / "out")], env=dict(env, SHARDS="x"),
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "SHARDS must be a whole number" in proc.stderr


def test_the_kubernetes_manifest_is_an_indexed_job_of_shards():
    """deploy/kubernetes/grade-job.yaml: an Indexed Job whose pods run --shard auto, and a merge Job."""
    import yaml

    from utils.workbook import shard

    docs = list(yaml.safe_load_all((ROOT / "deploy" / "kubernetes" / "grade-job.yaml").read_text()))
    grade_job = next(d for d in docs if d["kind"] == "Job" and d["metadata"]["name"] == "workbook-grade")
    merge_job = next(d for d in docs if d["kind"] == "Job" and d["metadata"]["name"] == "workbook-merge")
    spec = grade_job["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"]
    (container,) = spec["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["WORKBOOK_SHARD_COUNT"]) == spec["completions"]
    command = " ".join(container["args"])
    assert "utils grade" in command and "--shard auto" in command and "JOB_COMPLETION_INDEX" in command
    n = spec["completions"]
    assert [shard.parse("auto", dict(env, JOB_COMPLETION_INDEX=str(i))) for i in range(n)] == \
        [(k, n) for k in range(1, n + 1)]
    merge = " ".join(merge_job["spec"]["template"]["spec"]["containers"][0]["args"])
    assert "utils grade merge" in merge and "/class/out/shards/" in merge
    assert "workbook-grade" in " ".join(merge_job["spec"]["template"]["spec"]["initContainers"][0]["args"])


def test_without_slurm_the_test_skips_with_the_install_command_or_fails_in_ci(monkeypatch):
    import test_slurm

    monkeypatch.setattr(test_slurm, "_which", lambda name: None)
    monkeypatch.delenv("WORKBOOK_REQUIRE_SLURM", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y --no-install-recommends slurm-wlm munge"):
        _skip_or_fail_without_slurm()
    monkeypatch.setenv("WORKBOOK_REQUIRE_SLURM", "1")
    with pytest.raises(pytest.fail.Exception, match="WORKBOOK_REQUIRE_SLURM=1 but Slurm and munge are not installed"):
        _skip_or_fail_without_slurm()
