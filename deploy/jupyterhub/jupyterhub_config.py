# JupyterHub for a class lab on one machine: the course through nbgitpuller links.
#
# Each student logs in, gets a JupyterLab server of their own, and an nbgitpuller link
# (`workbook link --hub https://HUB 01`) puts a copy of the course in their home folder and opens
# the notebook. A notebook finds `utils` and `data/` in that copy (its first cell): nothing of the
# course is installed on the hub, only the learner's packages.
#
# Install (as root, in the Python environment the hub and the students' servers share):
#     python3.11 -m venv /opt/workbook && cd /opt/workbook
#     bin/python -m pip install --extra-index-url https://download.pytorch.org/whl/cpu \
#         -r /path/to/course/requirements.lock      # the learner's packages, torch as the CPU build
#     bin/python -m pip install jupyterhub==6.1.1 nbgitpuller==1.3.0 jupyterhub-systemdspawner==1.0.2
#     npm install -g configurable-http-proxy@5.0.1                     # or `npm ci` in the course's clone
# Start (from the folder where the hub keeps its database and cookie secret, e.g. /srv/jupyterhub):
#     WORKBOOK_HUB_PASSWORD='a class password' /opt/workbook/bin/jupyterhub \
#         -f /path/to/course/deploy/jupyterhub/jupyterhub_config.py
# Put HTTPS in front of it (nginx or Caddy) before students use it; docs/jupyterhub.md says more.
#
# tests/test_hub.py runs this file for real: it loads it, replaces the spawner by one that needs
# no system accounts, and moves ports and state into a temporary folder; everything else (the
# authenticator, the single-user command, nbgitpuller, culling, the memory limits) is what it tests.

import os
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub provides get_config when it loads this file)

COURSE = Path(__file__).resolve().parents[2]

# --- Where the hub listens -------------------------------------------------------------------
# All traffic enters through the proxy on this address; serve it over HTTPS in front (or set
# c.JupyterHub.ssl_cert / ssl_key here).
c.JupyterHub.bind_url = "http://0.0.0.0:8000"

# The proxy is the npm package configurable-http-proxy: the course's `npm ci` puts it in
# node_modules/ at the version package-lock.json pins; otherwise the one on PATH is used.
_local_proxy = COURSE / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(_local_proxy) if _local_proxy.exists() else "configurable-http-proxy"]

# --- Who may log in (a placeholder: replace it for a real class) --------------------------------
# For a lab session: one class password (at least 8 characters) from the environment, any user
# name. Anyone with the password can log in as any student, so this suits a supervised lab, not
# a term. For a term, use the school's login instead, for example
#     c.JupyterHub.authenticator_class = "generic-oauth"   # pip install oauthenticator
# or system accounts with c.JupyterHub.authenticator_class = "pam" and LocalProcessSpawner.
c.JupyterHub.authenticator_class = "shared-password"
_password = os.environ.get("WORKBOOK_HUB_PASSWORD", "")
if len(_password) < 8:
    raise SystemExit("jupyterhub_config.py: set WORKBOOK_HUB_PASSWORD to the class password "
                     "(8 characters or more) before starting the hub")
c.SharedPasswordAuthenticator.user_password = _password
c.Authenticator.allow_all = True             # or: c.Authenticator.allowed_users = {"ada", "alan", ...}
# c.Authenticator.admin_users = {"teacher"}  # an admin logs in with c.SharedPasswordAuthenticator.admin_password

# --- The students' servers -------------------------------------------------------------------
# SystemdSpawner runs each student's server as a transient systemd unit with a dynamic user (no
# accounts to create) and enforces the memory limit below with cgroups: a kernel that grows past
# it is killed, not the machine. (LocalProcessSpawner would need a system account per student and
# does not enforce memory limits.)
c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
c.SystemdSpawner.dynamic_users = True
c.SystemdSpawner.unit_name_template = "workbook-{USERNAME}"
c.SystemdSpawner.extra_paths = [str(Path(sys.executable).parent)]   # this python and pip first in a terminal

# The single-user server from the same environment as the hub, so it has nbgitpuller (a Jupyter
# server extension, switched on when it is installed) and the course's pinned packages.
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
c.Spawner.default_url = "/lab"
# A student who opens a link while their server is stopped sees "server not running"; start it for
# them after a second, so a link is one click (the user-redirect links only ever start their own server).
c.JupyterHub.implicit_spawn_seconds = 1
c.Spawner.start_timeout = 120                # seconds; 40 servers starting at once share the CPU
c.Spawner.http_timeout = 60
# A notebook must find the course in the student's own copy, never through the hub's environment:
# the hub's PYTHONPATH is not passed on (LocalProcessSpawner, and the spawner the test uses, would).
c.LocalProcessSpawner.env_keep = ["CONDA_DEFAULT_ENV", "CONDA_ROOT", "JUPYTERHUB_SINGLEUSER_APP", "LANG", "LC_ALL",
                                  "LD_LIBRARY_PATH", "PATH", "VIRTUAL_ENV"]
c.Spawner.environment = {
    "NBGITPULLER_APP": "lab",                # a link without urlpath opens JupyterLab, not the classic notebook
    "OMP_NUM_THREADS": "1",                  # one CPU thread per kernel: 40 kernels share the machine's cores
}

# --- Memory, from tests/test_hub.py's measurement (reports/hub_benchmark.json) ------------------
# One student's server plus a kernel that has run notebook 01 to its first exercise: about 430 MiB
# (RSS); with a kernel training notebook 08's largest model: about 780 MiB. The guarantee is what
# the class size is planned on (21 students on a 24 GiB machine): it covers the heavy step with
# about 240 MiB to spare, and tests/test_hub.py fails if the measured step outgrows it. The limit
# leaves room for a second open notebook and is where SystemdSpawner stops a runaway kernel.
# Keep deploy/z2jh/values.yaml the same (tests/test_z2jh.py checks it).
c.Spawner.mem_guarantee = "1G"
c.Spawner.mem_limit = "2G"
c.Spawner.cpu_limit = 1.0

# --- Idle culling: free a student's memory when they leave --------------------------------------
# Built into Jupyter Server, no extra service: a kernel idle for 30 minutes is shut down, and a
# server with no kernel and no activity for an hour stops itself (the hub sees it stop). The
# jupyterhub-idle-culler service (pip install jupyterhub-idle-culler) does the same from the hub's side.
c.Spawner.args = [
    "--MappingKernelManager.cull_idle_timeout=1800",
    "--MappingKernelManager.cull_interval=300",
    "--MappingKernelManager.cull_connected=True",
    "--ServerApp.shutdown_no_activity_timeout=3600",
]

# Stop every student's server when the hub stops (the default, said here on purpose: a lab hub
# is started for a session and stopped after it).
c.JupyterHub.cleanup_servers = True
