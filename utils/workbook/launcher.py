"""Start one grading kernel inside its limits (a script ``workbook grade`` runs; never imported).

``workbook grade`` launches every kernel through this file, run as
``python -I -S launcher.py OPTIONS -- KERNEL ARGV...``. It sets the limits on its
own process and then *replaces itself* (``execv``) by the kernel, so the kernel has the
same process id and process group as this launcher, and no extra process stays alive.
It imports nothing but the standard library, and is started with ``-I -S`` so that it
costs a few milliseconds.

Options (all optional):

``--memory-mb M``        address-space limit (``RLIMIT_AS``) of M MiB; 0 means none
``--uid U --gid G``      (as root only) run the kernel as user U, group G, with no
                         supplementary groups and ``no_new_privs``, after giving it the
                         connection file named by ``-f`` in the kernel's argv
``--read-all``           with --uid: keep only ``CAP_DAC_READ_SEARCH``, so the kernel can
                         still *read* files (e.g. a Python under /root), but write only
                         where user U may
``--nproc N``            with --uid: at most N processes and threads for user U

Two other modes, used with ``--uid``/``--gid``:

``--probe -- ARGV``      drop privileges as for a kernel, then exec ARGV (the grader runs
                         ``python -c "import utils"`` this way once, to see that it works)
``--kill-all``           drop to user U and send SIGKILL to every process of user U (the
                         grader runs it after a kernel ends, so nothing a submission
                         started in the background outlives its grading)
"""

import os
import resource
import signal
import sys

PR_SET_KEEPCAPS = 8
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_RAISE = 2
CAP_DAC_READ_SEARCH = 2
LINUX_CAPABILITY_VERSION_3 = 0x20080522


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        import ctypes

        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _keep_read_capability(libc):
    """Permitted = effective = inheritable = ambient = {CAP_DAC_READ_SEARCH}."""
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header = Header(LINUX_CAPABILITY_VERSION_3, 0)
    data = (Data * 2)()
    bit = 1 << CAP_DAC_READ_SEARCH
    data[0].effective = data[0].permitted = data[0].inheritable = bit
    _check(libc.capset(ctypes.byref(header), data), "capset")
    _check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_DAC_READ_SEARCH, 0, 0), "ambient capability")


def _drop(uid, gid, read_all, connection_file=None):
    libc = _libc()
    if connection_file:
        os.chown(connection_file, uid, gid)
    if read_all:
        _check(libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "keepcaps")
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if read_all:
        _keep_read_capability(libc)
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def main(argv):
    opts = {"memory-mb": "0", "uid": None, "gid": None, "nproc": None}
    flags = set()
    command = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            command = argv[i + 1:]
            break
        name = arg[2:]
        if name in ("read-all", "probe", "kill-all"):
            flags.add(name)
            i += 1
        elif name in opts:
            opts[name] = argv[i + 1]
            i += 2
        else:
            sys.exit(f"launcher: unknown option {arg}")
    uid = int(opts["uid"]) if opts["uid"] is not None else None
    gid = int(opts["gid"]) if opts["gid"] is not None else uid

    if "kill-all" in flags:
        _drop(uid, gid, read_all=False)
        os.kill(-1, signal.SIGKILL)  # on Linux, every process of this user but this one
        return 0
    if not command:
        sys.exit("launcher: no command after --")

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    memory = int(opts["memory-mb"]) * 2**20
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if uid is not None:
        if opts["nproc"]:
            n = int(opts["nproc"])
            resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
        connection_file = None
        if "-f" in command[:-1]:
            connection_file = command[command.index("-f") + 1]
        os.umask(0o077)  # its sockets and files: no one else's to open
        _drop(uid, gid, "read-all" in flags, connection_file)
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
