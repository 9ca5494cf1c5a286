"""Synthetic scenes of coloured shapes, each with its one correct caption (notebook 12).

A scene is a small RGB image (``size`` x ``size`` pixels, 32 by default) on a black
background holding one or two objects. Every object has a colour (red, green, blue,
yellow), a shape (circle, square, triangle) and a size (small, large). The caption is
fixed by the scene, word for word:

    one object:   "a small red circle"
    two objects:  "a small red circle left of a large blue square"

With two objects, one sits in the top half of the image and the other in the bottom
half, in the other left/right half. The caption names the **top** object first (reading
order) and says whether it is "left of" or "right of" the other. So the same two objects
give different captions when their positions are swapped: the caption describes a
relation between objects, not just a list of what is there.

    scenes = make_scenes(1000, seed=0)
    scenes.images        # (1000, 3, 32, 32) float32 in [0, 1]
    scenes.captions[0]   # "a large yellow triangle right of a small green circle"
    ids = encode(scenes.captions)   # (1000, 12) long: <bos> words <eos> <pad>...

**Held-out combinations.** ``HELD_OUT`` lists colour-shape pairs (e.g. a red triangle).
``make_scenes(..., combos="seen")`` never draws them, ``combos="held-out"`` puts at least
one of them in every scene, and ``combos="all"`` draws every pair. A model trained on
"seen" scenes has seen every colour and every shape, but never these pairs together.

Everything is vectorised NumPy: the same seed gives the same scenes on any machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["COLOURS", "SHAPES", "SIZES", "RELATIONS", "HELD_OUT", "VOCAB", "PAD", "BOS", "EOS", "MAX_WORDS",
           "Scenes", "make_scenes", "render", "caption_of", "encode", "decode", "parse_caption", "mirror"]

COLOURS = ("red", "green", "blue", "yellow")
SHAPES = ("circle", "square", "triangle")
SIZES = ("small", "large")
RELATIONS = ("left", "right")          # the words "left of" / "right of"
RGB = np.array([[0.95, 0.15, 0.10],    # red
                [0.10, 0.80, 0.20],    # green
                [0.20, 0.35, 1.00],    # blue
                [0.95, 0.85, 0.10]],   # yellow
               dtype=np.float32)
# One pair per shape and per colour (yellow keeps all three shapes): every colour and every
# shape still appears in training, only these combinations do not.
HELD_OUT = (("red", "triangle"), ("green", "square"), ("blue", "circle"))

# The vocabulary: ids 0, 1, 2 are the special tokens, then the words.
VOCAB = ("<pad>", "<bos>", "<eos>", "a", "of", *SIZES, *COLOURS, *SHAPES, *RELATIONS)
PAD, BOS, EOS = 0, 1, 2
WORD_ID = {w: i for i, w in enumerate(VOCAB)}
MAX_WORDS = 10                          # the longest caption, in words

# Object radii (half-widths) in pixels, per size, for a 32-pixel image; they scale with `size`.
_RADIUS = {0: (4.5, 5.5), 1: (6.5, 7.5)}


@dataclass
class Scenes:
    """A batch of scenes. Per scene: up to 2 objects; slot 0 is the top (first-named) object.

    images:    (N, 3, S, S) float32 in [0, 1]
    captions:  list of N strings
    n_objects: (N,) 1 or 2
    colour, shape, size: (N, 2) indices into COLOURS, SHAPES, SIZES; -1 where there is no object
    cx, cy, radius: (N, 2) float centre (x to the right, y downwards) and half-width in pixels
    relation:  (N,) index into RELATIONS (0 "left of", 1 "right of"); -1 for one object
    """

    images: np.ndarray
    captions: list
    n_objects: np.ndarray
    colour: np.ndarray
    shape: np.ndarray
    size: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    radius: np.ndarray
    relation: np.ndarray

    def __len__(self):
        return len(self.captions)

    def __getitem__(self, idx):
        """A subset of the scenes: an index array, a slice or a boolean mask."""
        if isinstance(idx, (int, np.integer)):
            idx = [int(idx)]
        pick = np.arange(len(self))[idx]
        return Scenes(self.images[pick], [self.captions[i] for i in pick],
                      *(getattr(self, f)[pick] for f in ("n_objects", "colour", "shape", "size", "cx", "cy",
                                                         "radius", "relation")))


def _held_out_ids(held_out):
    return {(COLOURS.index(c), SHAPES.index(s)) for c, s in held_out}


def _is_held_out(colour, shape, held_out):
    """(N, 2) bool: the object in that slot is one of the held-out colour-shape pairs."""
    out = np.zeros(colour.shape, dtype=bool)
    for c, s in _held_out_ids(held_out):
        out |= (colour == c) & (shape == s)
    return out


def make_scenes(n: int, seed: int = 0, *, size: int = 32, p_two: float = 0.75, combos: str = "seen",
                held_out=HELD_OUT) -> Scenes:
    """Draw `n` scenes with their captions.

    size:   image side in pixels (32 by default; at least 24).
    p_two:  probability that a scene holds two objects (else one).
    combos: "seen" (no object is a held-out colour-shape pair), "held-out" (at least one
            object of every scene is), or "all".
    """
    if combos not in ("seen", "held-out", "all"):
        raise ValueError(f'combos must be "seen", "held-out" or "all", got {combos!r}')
    if size < 24:
        raise ValueError(f"size must be at least 24 pixels, got {size}")
    if combos == "held-out" and not held_out:
        raise ValueError('combos="held-out" needs at least one held-out pair')
    rng = np.random.default_rng(seed)
    n_objects = np.where(rng.random(n) < p_two, 2, 1)
    colour = rng.integers(0, len(COLOURS), size=(n, 2))
    shape = rng.integers(0, len(SHAPES), size=(n, 2))
    if combos != "all":
        # Redraw the offending objects until the condition holds (vectorised rejection sampling).
        for _ in range(1000):
            ho = _is_held_out(colour, shape, held_out)
            ho[n_objects == 1, 1] = False
            bad = ho if combos == "seen" else np.zeros_like(ho)
            if combos == "held-out":
                none = ~ho.any(axis=1)
                bad[none] = True
                bad[none & (n_objects == 1), 1] = False
            if not bad.any():
                break
            colour[bad] = rng.integers(0, len(COLOURS), size=int(bad.sum()))
            shape[bad] = rng.integers(0, len(SHAPES), size=int(bad.sum()))
        else:  # pragma: no cover - probability ~0
            raise RuntimeError("could not draw the scenes")
    obj_size = rng.integers(0, len(SIZES), size=(n, 2))
    scale = size / 32
    lo = np.array([_RADIUS[0][0], _RADIUS[1][0]]) * scale
    hi = np.array([_RADIUS[0][1], _RADIUS[1][1]]) * scale
    radius = lo[obj_size] + rng.random((n, 2)) * (hi - lo)[obj_size]
    half = size / 2
    # Two objects: the top one in the top half, the other in the bottom half, in opposite
    # left/right halves. Each centre is uniform inside its quadrant, the object fully inside.
    top_right = rng.random(n) < 0.5
    qx = np.stack([top_right, ~top_right], axis=1).astype(float)    # 0 left half, 1 right half
    qy = np.array([[0.0, 1.0]]).repeat(n, axis=0)                   # 0 top half, 1 bottom half
    u, v = rng.random((n, 2)), rng.random((n, 2))
    cx = qx * half + radius + u * (half - 2 * radius)
    cy = qy * half + radius + v * (half - 2 * radius)
    # One object: anywhere in the image.
    one = n_objects == 1
    cx[one, 0] = radius[one, 0] + u[one, 0] * (size - 2 * radius[one, 0])
    cy[one, 0] = radius[one, 0] + v[one, 0] * (size - 2 * radius[one, 0])
    relation = np.where(top_right, 1, 0)
    for a in (colour, shape, obj_size):
        a[one, 1] = -1
    cx[one, 1] = cy[one, 1] = radius[one, 1] = np.nan
    relation[one] = -1
    images = render(n_objects, colour, shape, cx, cy, radius, size=size)
    captions = [caption_of(*args) for args in zip(n_objects, colour, shape, obj_size, relation)]
    return Scenes(images, captions, n_objects, colour, shape, obj_size, cx, cy, radius, relation)


def _masks(shape, cx, cy, radius, size):
    """(N, S, S) bool: the pixels an object covers. shape, cx, cy, radius: (N,)."""
    centres = np.arange(size, dtype=np.float32) + 0.5                # pixel centres
    dx = centres[None, None, :] - cx.astype(np.float32)[:, None, None]   # (N, 1, S): x to the right
    dy = centres[None, :, None] - cy.astype(np.float32)[:, None, None]   # (N, S, 1): y downwards
    r = radius.astype(np.float32)[:, None, None]
    out = np.zeros((len(shape), size, size), dtype=bool)
    for k, pick in enumerate(shape[None] == np.arange(len(SHAPES))[:, None]):
        if not pick.any():
            continue
        x, y, rk = dx[pick], dy[pick], r[pick]
        if SHAPES[k] == "circle":
            out[pick] = x ** 2 + y ** 2 <= rk ** 2
        elif SHAPES[k] == "square":
            out[pick] = (np.abs(x) <= 0.9 * rk) & (np.abs(y) <= 0.9 * rk)
        else:  # an upright triangle: apex at the top (y = -r), base at the bottom (y = r), base width 2r
            out[pick] = (y <= rk) & (np.abs(x) <= (y + rk) / 2)
    return out


def render(n_objects, colour, shape, cx, cy, radius, *, size: int = 32) -> np.ndarray:
    """Draw scenes from their attributes (arrays as in `Scenes`); returns (N, 3, S, S) float32.

    The objects of a scene do not overlap (they sit in different quadrants), so their
    colours simply add up on the black background.
    """
    n_objects = np.asarray(n_objects)
    label = np.zeros((len(n_objects), size, size), dtype=np.int8)     # 0 background, 1 + colour index
    for slot in range(2):
        idx = np.flatnonzero(n_objects > slot)
        if len(idx) == 0:
            continue
        m = _masks(np.asarray(shape)[idx, slot], np.asarray(cx)[idx, slot], np.asarray(cy)[idx, slot],
                   np.asarray(radius)[idx, slot], size)
        label[idx] += m * (1 + np.asarray(colour)[idx, slot]).astype(np.int8)[:, None, None]
    palette = np.concatenate([np.zeros((1, 3), np.float32), RGB]).T.copy()   # (3, 1 + n_colours)
    return np.stack([palette[c][label] for c in range(3)], axis=1)      # (N, 3, S, S)


def caption_of(n_objects, colour, shape, size, relation) -> str:
    """The caption of one scene from its attributes (per-slot indices as in `Scenes`)."""
    words = ["a", SIZES[size[0]], COLOURS[colour[0]], SHAPES[shape[0]]]
    if n_objects == 2:
        words += [RELATIONS[relation], "of", "a", SIZES[size[1]], COLOURS[colour[1]], SHAPES[shape[1]]]
    return " ".join(words)


def encode(captions, length: int = MAX_WORDS + 2) -> np.ndarray:
    """Captions (strings) -> (N, length) int64 ids: <bos>, the words, <eos>, then <pad>."""
    out = np.full((len(captions), length), PAD, dtype=np.int64)
    for i, cap in enumerate(captions):
        words = cap.split()
        if len(words) + 2 > length:
            raise ValueError(f"caption {cap!r} needs {len(words) + 2} ids, more than length={length}")
        unknown = [w for w in words if w not in WORD_ID or WORD_ID[w] < 3]
        if unknown:
            raise ValueError(f"caption {cap!r} has words outside the vocabulary: {unknown}")
        out[i, : len(words) + 2] = [BOS, *(WORD_ID[w] for w in words), EOS]
    return out


def decode(ids) -> str:
    """One row of ids -> the caption text: stops at the first <eos>, skips <bos> and <pad>."""
    words = []
    for i in np.asarray(ids).tolist():
        if i == EOS:
            break
        if i not in (PAD, BOS):
            words.append(VOCAB[i])
    return " ".join(words)


def parse_caption(caption: str):
    """Read a caption back into attributes, or None when it is not a well-formed caption.

    Returns {"n_objects", "colour", "shape", "size" (lists, one entry per object), "relation"
    (index or -1)}: the inverse of `caption_of`.
    """
    w = caption.split()
    if len(w) not in (4, 10) or w[0] != "a":
        return None
    try:
        objs = [(SIZES.index(w[k + 1]), COLOURS.index(w[k + 2]), SHAPES.index(w[k + 3]))
                for k in ((0, 6) if len(w) == 10 else (0,))]
        relation = -1
        if len(w) == 10:
            if w[5] != "of" or w[6] != "a":
                return None
            relation = RELATIONS.index(w[4])
    except ValueError:
        return None
    return {"n_objects": len(objs), "size": [o[0] for o in objs], "colour": [o[1] for o in objs],
            "shape": [o[2] for o in objs], "relation": relation}


def mirror(scenes: Scenes) -> Scenes:
    """The same scenes flipped left to right: the same objects, left and right swapped.

    Every shape here is symmetric under the flip, so only positions change, and with
    them the relation: "left of" becomes "right of".
    """
    size = scenes.images.shape[-1]
    cx = size - scenes.cx
    relation = np.where(scenes.relation >= 0, 1 - scenes.relation, -1)
    images = render(scenes.n_objects, scenes.colour, scenes.shape, cx, scenes.cy, scenes.radius, size=size)
    captions = [caption_of(*a) for a in zip(scenes.n_objects, scenes.colour, scenes.shape, scenes.size, relation)]
    return Scenes(images, captions, scenes.n_objects.copy(), scenes.colour.copy(), scenes.shape.copy(),
                  scenes.size.copy(), cx, scenes.cy.copy(), scenes.radius.copy(), relation)
