"""A small, readable training loop for torch models, used from notebook 02 on.

    history = fit(model, loss_fn, (X_train, y_train), epochs=20, lr=0.1,
                  val_data=(X_val, y_val), metric=accuracy)
    plot_history(history)          # from utils.plots

Everything it does is visible here: order the examples, batch, forward, loss, backward,
(clip), step, and an evaluation per epoch. The same loop serves every notebook:

- **inputs** may be one tensor or a tuple of tensors with the same first dimension,
  e.g. ``(tokens, lengths)``: the model is called as ``model(*inputs)``;
- **targets** may be one tensor or a tuple, e.g. ``(tags, mask)`` for per-step targets:
  the loss is called as ``loss_fn(output, *targets)`` and so is the metric;
- ``clip_norm`` clips the global gradient norm before each step (notebook 05);
- ``batches=bucket_by_length(lengths, batch_size)`` groups examples of similar length,
  so a padded batch wastes little (notebooks 06-08);
- ``metric`` is reported under the name ``metric_name`` in the progress bar and the
  history; ``batch_loss(model, inputs, targets)`` replaces the default loss entirely.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from tqdm.auto import tqdm

__all__ = ["fit", "accuracy", "evaluate", "bucket_by_length", "as_tuple", "take"]


def accuracy(logits: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """Fraction of predictions (largest logit) equal to the label, counting only where mask is True.

    logits: (N, C) with y: (N,), or per step (N, T, C) with y, mask: (N, T).
    """
    right = logits.argmax(dim=-1) == y
    if mask is None:
        return right.float().mean().item()
    mask = mask.bool()
    return (right & mask).sum().item() / max(int(mask.sum()), 1)


def as_tuple(data) -> tuple:
    """A tensor becomes a 1-tuple; a tuple or list of tensors stays as it is (a tuple)."""
    return tuple(data) if isinstance(data, (tuple, list)) else (data,)


def take(tensors: tuple, idx) -> tuple:
    """The rows `idx` of every tensor in the tuple."""
    return tuple(t[idx] for t in tensors)


def _count(inputs: tuple, targets: tuple, where: str) -> int:
    sizes = {len(t) for t in inputs + targets}
    if len(sizes) != 1:
        shapes = ", ".join(str(tuple(t.shape)) for t in inputs + targets)
        raise ValueError(f"fit: every tensor of {where} needs the same first dimension (examples); got {shapes}")
    return sizes.pop()


def bucket_by_length(lengths, batch_size: int):
    """A batch order for `fit(..., batches=...)`: batches of examples of similar length.

    Each epoch the examples are shuffled, cut into pools of 50 batches, each pool sorted
    by length and cut into batches, and the batches shuffled: every batch is nearly one
    length (little padding) and the order still changes from epoch to epoch.
    lengths: (N,) ints. Returns f(rng) -> list of index tensors.
    """
    lengths = np.asarray(lengths)

    def batches(rng: np.random.Generator):
        order = rng.permutation(len(lengths))
        pool = 50 * batch_size
        out = []
        for start in range(0, len(order), pool):
            chunk = order[start:start + pool]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            out += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
        return [torch.as_tensor(out[i]) for i in rng.permutation(len(out))]

    return batches


def _random_batches(n: int, batch_size: int):
    def batches(rng: np.random.Generator):
        order = torch.as_tensor(rng.permutation(n))
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]
    return batches


@torch.no_grad()
def evaluate(model, data, loss_fn, metric=None, batch_size: int = 1024):
    """Mean loss (and metric) of `model` over data = (inputs, targets), in eval mode.

    inputs and targets as in `fit`. The loss is averaged over batches weighted by their
    number of examples; the metric is computed once on all outputs joined together.
    """
    model.eval()
    inputs, targets = as_tuple(data[0]), as_tuple(data[1])
    n = _count(inputs, targets, "the evaluation data")
    loss, outs = 0.0, []
    for start in range(0, n, batch_size):
        rows = slice(start, start + batch_size)
        out = model(*take(inputs, rows))
        loss += loss_fn(out, *take(targets, rows)).item() * len(out)
        outs.append(out)
    value = metric(torch.cat(outs), *targets) if metric is not None else None
    return loss / n, value


def fit(model, loss_fn, train_data, *, epochs: int, lr: float = 0.01, batch_size: int = 64,
        optimizer: str | torch.optim.Optimizer = "adam", val_data=None, metric=None,
        metric_name: str = "accuracy", clip_norm: float | None = None, batches=None, batch_loss=None,
        eval_batch_size: int = 1024, seed: int = 0, progress: bool = True, desc: str = "training"):
    """Train `model` and return its history.

    train_data: (inputs, targets); each a tensor or a tuple of tensors, same first dimension.
    optimizer:  "adam", "sgd", or a ready optimizer.
    metric:     f(output, *targets) -> float, evaluated on val_data after every epoch.
    clip_norm:  clip the global gradient norm to this value before each step.
    batches:    f(rng) -> list of index tensors, the batch order of one epoch
                (default: a fresh random permutation cut into batch_size pieces).
    batch_loss: optional f(model, inputs, targets) -> scalar loss tensor (inputs, targets tuples).
    Returns {"epoch", "train_loss", "seconds_at" (wall clock after each epoch), "seconds"
    (total), "metric_name", and with clip_norm "grad_norm" (mean norm before clipping);
    with val_data also "val_loss" and "val_metric"}, one entry per epoch.
    """
    inputs, targets = as_tuple(train_data[0]), as_tuple(train_data[1])
    n = _count(inputs, targets, "train_data")
    if isinstance(optimizer, str):
        if optimizer == "adam":
            optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        elif optimizer == "sgd":
            optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        else:
            raise ValueError(f'fit: optimizer must be "adam", "sgd" or a torch optimizer, got {optimizer!r}')
    order = batches if batches is not None else _random_batches(n, batch_size)
    rng = np.random.default_rng(seed)
    history = {"epoch": [], "train_loss": [], "seconds_at": [], "metric_name": metric_name}
    if clip_norm is not None:
        history["grad_norm"] = []
    if val_data is not None:
        history["val_loss"], history["val_metric"] = [], []
    start = time.perf_counter()
    bar = tqdm(range(1, epochs + 1), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        total, seen, norms = 0.0, 0, []
        for idx in order(rng):
            xb, yb = take(inputs, idx), take(targets, idx)
            loss = batch_loss(model, xb, yb) if batch_loss is not None else loss_fn(model(*xb), *yb)
            optimizer.zero_grad()
            loss.backward()
            if clip_norm is not None:  # the norm is computed only when asked for: it costs a pass over the gradients
                norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)))
            optimizer.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        history["epoch"].append(epoch)
        history["train_loss"].append(total / max(seen, 1))
        if clip_norm is not None:
            history["grad_norm"].append(float(np.mean(norms)))
        postfix = {"loss": f"{history['train_loss'][-1]:.4f}"}
        if val_data is not None:
            val_loss, val_metric = evaluate(model, val_data, loss_fn, metric, eval_batch_size)
            history["val_loss"].append(val_loss)
            history["val_metric"].append(val_metric)
            if val_metric is not None:
                postfix[metric_name] = f"{val_metric:.3f}"
        history["seconds_at"].append(time.perf_counter() - start)
        bar.set_postfix(postfix)
    history["seconds"] = time.perf_counter() - start
    return history
