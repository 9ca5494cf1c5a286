"""The one seeding helper of the course."""

import os
import random

import numpy as np


def set_seed(seed: int = 0) -> np.random.Generator:
    """Seed Python, NumPy and PyTorch, and return a fresh NumPy generator.

    Call it once at the top of a notebook and again before any experiment whose
    numbers you want to reproduce. It seeds:

    - ``random`` (Python's own generator),
    - NumPy's legacy global generator (``np.random.rand`` and friends),
    - PyTorch (CPU and, when present, CUDA),

    sets PyTorch to one CPU thread: the course's models are small, so one thread is as
    fast as several (often faster on a busy laptop), and every sum is then taken in the
    same order on any machine, so stored outputs reproduce. Call
    ``torch.set_num_threads(n)`` after it for a large model.

    On a GPU it also asks PyTorch for deterministic algorithms where it has them (GPU
    kernels that add in parallel can add in a different order on each run). On the CPU,
    with one thread, the kernels already are deterministic, and that switch would cost
    two seconds at every notebook start: it imports PyTorch's compiler.

    It also applies the course's plot style (``utils.plots.use_course_style``: a
    colour-blind-safe palette, a line style per line, a white background).

    Returns ``np.random.default_rng(seed)``: prefer drawing from it
    (``rng.normal(size=(3, 4))``) over the global generator.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"set_seed expects an integer seed, got {seed!r}")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # only affects subprocesses
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # the first notebooks need numpy only
        pass
    else:
        torch.manual_seed(seed)
        torch.set_num_threads(1)
        if torch.cuda.is_available() or torch.backends.mps.is_available():
            torch.use_deterministic_algorithms(True, warn_only=True)
    from .plots import use_course_style  # here, not at import: utils.seed stays light
    use_course_style()
    return np.random.default_rng(seed)
