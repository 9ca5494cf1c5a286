"""The scene generator of notebook 12 (utils/synthetic/scenes.py)."""

from __future__ import annotations

import numpy as np
import pytest

from utils.synthetic.scenes import (BOS, COLOURS, EOS, HELD_OUT, PAD, RGB, SHAPES, SIZES, caption_of, decode, encode,
                                    make_scenes, mirror, parse_caption)


def test_same_seed_same_scenes_other_seed_other_scenes():
    a, b, c = make_scenes(300, seed=5), make_scenes(300, seed=5), make_scenes(300, seed=6)
    assert np.array_equal(a.images, b.images) and a.captions == b.captions
    assert not np.array_equal(a.images, c.images) and a.captions != c.captions


def _objects_in_pixels(image):
    """Colour indices of the objects drawn, read off the pixels, and their pixel counts."""
    found = {}
    flat = image.reshape(3, -1).T
    for k, rgb in enumerate(RGB):
        n = int(np.all(np.isclose(flat, rgb), axis=1).sum())
        if n:
            found[k] = n
    return found


def test_caption_agrees_with_the_drawn_scene():
    s = make_scenes(400, seed=1, combos="all")
    assert s.images.shape == (400, 3, 32, 32) and s.images.dtype == np.float32
    for i in range(len(s)):
        n = s.n_objects[i]
        assert s.captions[i] == caption_of(n, s.colour[i], s.shape[i], s.size[i], s.relation[i])
        p = parse_caption(s.captions[i])
        assert p["n_objects"] == n and p["colour"] == list(s.colour[i, :n]) and p["shape"] == list(s.shape[i, :n])
        # colours on the pixels are the colours in the caption
        pix = _objects_in_pixels(s.images[i])
        assert set(pix) == set(s.colour[i, :n].tolist())
        # pixels outside the objects are black
        assert np.isclose(s.images[i].sum(0), 0).sum() + sum(pix.values()) == 32 * 32
        if n == 2:
            (x0, x1), (y0, y1) = s.cx[i], s.cy[i]
            assert y0 < 16 <= y1, "the first-named object is the top one"
            assert (s.relation[i] == 0) == (x0 < x1), "left of means the first object is further left"
            if s.colour[i, 0] != s.colour[i, 1]:   # sizes: a large object covers more pixels than a small one
                a, b = pix[s.colour[i, 0]], pix[s.colour[i, 1]]
                if s.size[i, 0] != s.size[i, 1] and s.shape[i, 0] == s.shape[i, 1]:
                    assert (a > b) == (s.size[i, 0] > s.size[i, 1])


def test_held_out_pairs_never_in_seen_split_and_always_in_held_out_split():
    held = {(COLOURS.index(c), SHAPES.index(s)) for c, s in HELD_OUT}
    seen = make_scenes(3000, seed=2)
    pairs = {(int(c), int(s)) for cc, ss, n in zip(seen.colour, seen.shape, seen.n_objects)
             for c, s in zip(cc[:n], ss[:n])}
    assert not pairs & held and len(pairs) == len(COLOURS) * len(SHAPES) - len(held)
    for word in (*COLOURS, *SHAPES):
        assert any(word in c.split() for c in seen.captions), f"{word} must still appear in training"
    novel = make_scenes(1000, seed=3, combos="held-out")
    for cc, ss, n in zip(novel.colour, novel.shape, novel.n_objects):
        assert any((int(c), int(s)) in held for c, s in zip(cc[:n], ss[:n]))


def test_encode_decode_round_trip_and_special_tokens():
    s = make_scenes(100, seed=4)
    ids = encode(s.captions)
    assert ids.shape == (100, 12) and ids.dtype == np.int64
    assert np.all(ids[:, 0] == BOS)
    for row, cap in zip(ids, s.captions):
        n = len(cap.split())
        assert row[n + 1] == EOS and np.all(row[n + 2:] == PAD)
        assert decode(row) == cap
    with pytest.raises(ValueError, match="outside the vocabulary"):
        encode(["a purple circle"])


def test_parse_rejects_malformed_captions():
    assert parse_caption("a small red circle") is not None
    for bad in ("", "small red circle", "a small red", "a small red circle left of a blue square",
                "a huge red circle", "a small red circle above of a large blue square"):
        assert parse_caption(bad) is None, bad


def test_mirror_keeps_the_objects_and_swaps_left_and_right():
    s = make_scenes(200, seed=7)
    m = mirror(s)
    assert np.array_equal(m.images, s.images[..., ::-1])
    for a, b, n in zip(s.captions, m.captions, s.n_objects):
        if n == 2:
            assert a != b and a.replace("left", "X").replace("right", "left").replace("X", "right") == b
        else:
            assert a == b


def test_bad_arguments():
    with pytest.raises(ValueError, match="combos"):
        make_scenes(3, combos="some")
    with pytest.raises(ValueError, match="at least 24"):
        make_scenes(3, size=16)
    assert SIZES == ("small", "large")


def test_all_combos_draws_every_pair():
    """combos="all" (the probe scenes of notebook 12) holds the held-out pairs beside the seen ones."""
    s = make_scenes(2000, seed=5, combos="all")
    pairs = [(int(c), int(sh)) for cc, ss, n in zip(s.colour, s.shape, s.n_objects) for c, sh in zip(cc[:n], ss[:n])]
    assert set(pairs) == {(c, sh) for c in range(len(COLOURS)) for sh in range(len(SHAPES))}
    held = {(COLOURS.index(c), SHAPES.index(sh)) for c, sh in HELD_OUT}
    share = np.mean([p in held for p in pairs])
    assert 0.15 < share < 0.35, share      # about 3 pairs in 12
