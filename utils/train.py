"""A small, readable training loop for torch models, used from notebook 02 on.

    history = fit(model, loss_fn, (X_train, y_train), epochs=20, lr=0.1,
                  val_data=(X_val, y_val), metric=accuracy)
    plot_history(history)          # from utils.plots

Everything it does is visible here: shuffle, batch, forward, loss, backward, (clip),
step, and an evaluation per epoch. Pass a callable as `batch_loss` for anything the
default (model(x) -> loss_fn(out, y)) does not cover, e.g. sequence models.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from tqdm.auto import tqdm

__all__ = ["fit", "accuracy", "evaluate"]


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows whose largest logit is the label. logits: (N, C), y: (N,)."""
    return (logits.argmax(dim=-1) == y).float().mean().item()


@torch.no_grad()
def evaluate(model, data, loss_fn, metric=None, batch_size: int = 1024):
    """Mean loss (and metric) of `model` over data = (X, y), in eval mode, in batches."""
    model.eval()
    X, y = data
    losses, outs = [], []
    for start in range(0, len(X), batch_size):
        out = model(X[start:start + batch_size])
        losses.append(loss_fn(out, y[start:start + batch_size]).item() * len(out))
        outs.append(out)
    loss = sum(losses) / len(X)
    value = metric(torch.cat(outs), y) if metric is not None else None
    return loss, value


def fit(model, loss_fn, train_data, *, epochs: int, lr: float = 0.01, batch_size: int = 64,
        optimizer: str | torch.optim.Optimizer = "adam", val_data=None, metric=None,
        clip_norm: float | None = None, batch_loss=None, seed: int = 0, progress: bool = True,
        desc: str = "training"):
    """Train `model` and return its history.

    train_data: (X, y) tensors with the same first dimension (examples).
    optimizer:  "adam", "sgd", or a ready optimizer.
    batch_loss: optional f(model, X_batch, y_batch) -> scalar loss tensor.
    clip_norm:  clip the global gradient norm to this value before each step.
    Returns {"epoch": [...], "train_loss": [...], "val_loss": [...], "val_metric": [...],
             "grad_norm": [...], "seconds": total}; val entries only with val_data.
    """
    X, y = train_data
    if len(X) != len(y):
        raise ValueError(f"fit: X has {len(X)} examples but y has {len(y)}")
    if isinstance(optimizer, str):
        if optimizer == "adam":
            optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        elif optimizer == "sgd":
            optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        else:
            raise ValueError(f'fit: optimizer must be "adam", "sgd" or a torch optimizer, got {optimizer!r}')
    rng = np.random.default_rng(seed)
    history = {"epoch": [], "train_loss": [], "grad_norm": []}
    if val_data is not None:
        history["val_loss"], history["val_metric"] = [], []
    start = time.perf_counter()
    bar = tqdm(range(1, epochs + 1), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        order = torch.as_tensor(rng.permutation(len(X)))
        total, norms = 0.0, []
        for i in range(0, len(X), batch_size):
            idx = order[i:i + batch_size]
            xb, yb = X[idx], y[idx]
            loss = batch_loss(model, xb, yb) if batch_loss is not None else loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            max_norm = clip_norm if clip_norm is not None else float("inf")
            norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)))
            optimizer.step()
            total += loss.item() * len(idx)
        history["epoch"].append(epoch)
        history["train_loss"].append(total / len(X))
        history["grad_norm"].append(float(np.mean(norms)))
        postfix = {"loss": f"{history['train_loss'][-1]:.4f}"}
        if val_data is not None:
            val_loss, val_metric = evaluate(model, val_data, loss_fn, metric)
            history["val_loss"].append(val_loss)
            history["val_metric"].append(val_metric)
            if val_metric is not None:
                postfix["val"] = f"{val_metric:.3f}"
        bar.set_postfix(postfix)
    history["seconds"] = time.perf_counter() - start
    return history
