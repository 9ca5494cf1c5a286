"""Where tensors live. The course runs on a CPU; a GPU is used only when asked for."""

import os


def get_device(prefer: str = "cpu"):
    """Return the ``torch.device`` to train on.

    prefer: "cpu" (default: every stored output in the course was made on a CPU),
            or "auto" to take CUDA, then Apple's MPS, when present.
    The environment variable ``WORKBOOK_DEVICE`` overrides ``prefer``.
    """
    import torch

    choice = os.environ.get("WORKBOOK_DEVICE", prefer).lower()
    if choice == "cpu":
        return torch.device("cpu")
    if choice not in ("auto", "cuda", "mps"):
        raise ValueError(f'get_device: prefer must be "cpu" or "auto" (or "cuda", "mps"), got {prefer!r}')
    if choice in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if choice in ("auto", "mps") and mps is not None and mps.is_available():
        return torch.device("mps")
    if choice != "auto":
        raise RuntimeError(f"get_device: {choice} was asked for but is not available on this machine")
    return torch.device("cpu")
