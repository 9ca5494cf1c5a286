"""Plotting helpers shared by the notebooks. Each returns the figure; end the cell with plt.show().

The course's plot style (``use_course_style``, applied by ``set_seed``) makes every figure
readable by everyone:

- colours from the Okabe-Ito palette, which people with any common colour-vision deficiency
  can tell apart (Okabe & Ito, "Color Universal Design", 2008);
- each line of a plot also differs by its line style (solid, dashed, dash-dot, dotted, ...),
  so two lines stay apart in greyscale print and for a reader who cannot see the colour;
- a white figure and axes background, so a figure stays readable in a dark JupyterLab theme
  (a transparent figure would put black axis labels on a dark page).

Colours ``"C0"``, ``"C1"``, ... name the palette's colours in order.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler

__all__ = ["PALETTE", "LINESTYLES", "COURSE_STYLE", "use_course_style", "plot_history", "show_images",
           "plot_heatmap"]

# Okabe-Ito, ordered so that neighbours in the cycle differ most; its yellow (#F0E442) is
# left out: it is too pale on white for a line.
PALETTE = ["#0072B2",  # blue
           "#D55E00",  # vermillion
           "#009E73",  # bluish green
           "#E69F00",  # orange
           "#CC79A7",  # reddish purple
           "#56B4E9",  # sky blue
           "#000000"]  # black
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1.5, 1, 1.5, 1, 1.5)), (0, (8, 2)), (0, (1, 1))]

COURSE_STYLE = {
    "axes.prop_cycle": cycler(color=PALETTE) + cycler(linestyle=LINESTYLES),
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "image.cmap": "viridis",  # perceptually uniform and colour-blind safe (matplotlib's default)
    "axes.grid": False,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
}


def use_course_style() -> None:
    """Apply the course's plot style to every figure made from now on (``set_seed`` calls it)."""
    mpl.rcParams.update(COURSE_STYLE)


def plot_history(history: dict, title: str | None = None, metric_name: str | None = None,
                 eval_name: str = "validation"):
    """Training curves from a `utils.train.fit` history (or any dict of lists per epoch).

    metric_name: the metric's name on the axis (default: the history's, else "accuracy").
    eval_name: what the held-out curve is called in the legend ("validation", "test").
    """
    metric_name = metric_name or history.get("metric_name", "accuracy")
    has_metric = bool(history.get("val_metric")) and history["val_metric"][0] is not None
    fig, axes = plt.subplots(1, 2 if has_metric else 1, figsize=(10 if has_metric else 5, 3.5))
    axes = np.atleast_1d(axes)
    epochs = history.get("epoch") or list(range(1, len(history["train_loss"]) + 1))
    axes[0].plot(epochs, history["train_loss"], label="train")
    if history.get("val_loss"):
        axes[0].plot(epochs, history["val_loss"], label=eval_name)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("loss")
    axes[0].legend()
    if has_metric:
        axes[1].plot(epochs, history["val_metric"], color="C1", linestyle="--")
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel(f"{eval_name} {metric_name}")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_images(images, titles=None, ncols: int = 8, size: float = 1.2, cmap: str = "gray_r"):
    """A grid of small images. images: (n, H, W) or (n, H*W) with a square H*W."""
    images = np.asarray(images)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        images = images.reshape(len(images), side, side)
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.15))
    for i, ax in enumerate(np.atleast_1d(axes).ravel()):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=9)
    fig.tight_layout()
    return fig


def plot_heatmap(matrix, xlabel: str = "", ylabel: str = "", title: str | None = None, cmap: str = "RdBu_r",
                 center: bool = True, xticklabels=None, yticklabels=None, colorbar: bool = True, figsize=(8, 3),
                 cbar_label: str = ""):
    """A matrix as colours (e.g. hidden units x time steps); symmetric colour scale when center=True.

    cbar_label names what the colours measure, beside the colour bar.
    """
    matrix = np.asarray(matrix, dtype=float)
    fig, ax = plt.subplots(figsize=figsize)
    kwargs = {}
    if center:
        vmax = float(np.max(np.abs(matrix))) or 1.0
        kwargs = {"vmin": -vmax, "vmax": vmax}
    im = ax.imshow(matrix, aspect="auto", cmap=cmap, interpolation="nearest", **kwargs)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if xticklabels is not None:
        ax.set_xticks(range(len(xticklabels)), labels=xticklabels)
    if yticklabels is not None:
        ax.set_yticks(range(len(yticklabels)), labels=yticklabels)
    if title:
        ax.set_title(title)
    if colorbar:
        fig.colorbar(im, ax=ax, label=cbar_label)
    fig.tight_layout()
    return fig
