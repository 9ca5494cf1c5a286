"""Shards: split one class over several machines or cluster tasks (``--shard K/N``).

A submission belongs to shard ``K`` of ``N`` when the sha256 of its path *relative to
the SUBMISSION folder it was found in* (for a file given by name: its file name),
read as a number, is ``K - 1`` modulo ``N``. The hash depends on that path alone, so a
late submission goes to its own shard and never moves the others; and the machines
need not see the folder at the same absolute place.

``--shard auto`` takes K and N from the scheduler:

- Slurm job arrays: ``SLURM_ARRAY_TASK_ID`` (from ``SLURM_ARRAY_TASK_MIN``, so
  ``--array=0-2`` and ``--array=1-3`` both work) and ``SLURM_ARRAY_TASK_COUNT``;
- Kubernetes Indexed Jobs: ``JOB_COMPLETION_INDEX`` (from 0) and the count, which
  Kubernetes does not pass: ``--shard auto/N`` or the variable ``WORKBOOK_SHARD_COUNT``
  (the manifest in ``deploy/kubernetes/`` sets it to the Job's ``completions``).

``merge.py`` puts the shards' results together again.
"""

from __future__ import annotations

import hashlib
import os


class ShardError(ValueError):
    """A --shard value or scheduler environment that cannot be used; the message says why."""


def shard_of(relative: str, n: int) -> int:
    """The shard (1..n) of a submission whose path relative to its folder is `relative` (posix)."""
    return int(hashlib.sha256(relative.encode("utf-8", "surrogateescape")).hexdigest(), 16) % n + 1


def _whole(text: str, where: str, minimum: int) -> int:
    """An integer read from a command-line value or an environment variable, at least `minimum`."""
    try:
        value = int(text)
    except ValueError:
        raise ShardError(f"{where} must be a whole number, got {text!r}") from None
    if value < minimum:
        raise ShardError(f"{where} must be at least {minimum}, got {value}")
    return value


def _count(text: str, where: str) -> int:
    return _whole(text, where, 1)


def _count_index(text: str, where: str) -> int:
    return _whole(text, where, 0)


def parse(text: str, environ=None) -> tuple[int, int]:
    """(K, N) from ``K/N``, ``auto`` or ``auto/N`` (see the module docstring)."""
    env = os.environ if environ is None else environ
    text = text.strip()
    if text == "auto" or text.startswith("auto/"):
        given = _count(text[5:], "the N of --shard auto/N") if text.startswith("auto/") else None
        if env.get("SLURM_ARRAY_TASK_ID"):
            task = _count_index(env["SLURM_ARRAY_TASK_ID"], "SLURM_ARRAY_TASK_ID")
            low = _count_index(env.get("SLURM_ARRAY_TASK_MIN", "1") or "1", "SLURM_ARRAY_TASK_MIN")
            if "SLURM_ARRAY_TASK_COUNT" not in env and given is None:
                raise ShardError("--shard auto: SLURM_ARRAY_TASK_COUNT is not set (a Slurm older than 17.11?); "
                                 "use --shard auto/N")
            n = given or _count(env["SLURM_ARRAY_TASK_COUNT"], "SLURM_ARRAY_TASK_COUNT")
            k = task - low + 1
            step = env.get("SLURM_ARRAY_TASK_STEP", "1")
            if step not in ("", "1"):
                raise ShardError(f"--shard auto needs a contiguous job array (--array=1-N), not a step of {step}")
        elif env.get("JOB_COMPLETION_INDEX") not in (None, ""):
            k = _count_index(env["JOB_COMPLETION_INDEX"], "JOB_COMPLETION_INDEX") + 1
            if given is None and not env.get("WORKBOOK_SHARD_COUNT"):
                raise ShardError("--shard auto in a Kubernetes Indexed Job needs the number of shards: "
                                 "--shard auto/N, or WORKBOOK_SHARD_COUNT=N (the Job's completions)")
            n = given or _count(env["WORKBOOK_SHARD_COUNT"], "WORKBOOK_SHARD_COUNT")
        else:
            raise ShardError("--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor "
                             "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard K/N")
    else:
        parts = text.split("/")
        if len(parts) != 2:
            raise ShardError(f"--shard expects K/N (e.g. 2/3), auto or auto/N, got {text!r}")
        k = _count(parts[0], "the K of --shard K/N")
        n = _count(parts[1], "the N of --shard K/N")
    if not 1 <= k <= n:
        raise ShardError(f"shard {k} of {n} does not exist: K goes from 1 to N")
    return k, n
