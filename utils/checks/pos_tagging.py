"""Checks for 07_pos_tagging: the mask of a padded batch, per-step logits, the masked
token cross-entropy, token accuracy and a (bidirectional) RNN tagger.

Every case is a padded batch whose pads are chosen so that counting them changes the
answer: the pads hold real tag ids (0 is a real tag) and logits that are neither right
nor small, so a loss or an accuracy that forgets the mask gives a different number.
The references are exact small computations in float64 (log-softmax by hand, counts),
and for the tagger a step-by-step loop over each sentence alone, without padding.
"""

from __future__ import annotations

import numpy as np
import torch

from .core import Check, as_array, fmt_num, fmt_shape

__all__ = ["check_length_mask", "check_step_logits", "check_masked_token_cross_entropy",
           "check_token_accuracy", "check_rnn_tagger"]


def _np_mask(lengths, T):
    return np.arange(T)[None, :] < np.asarray(lengths)[:, None]


def _as_tensor_or_fail(chk, got, case, name):
    if got is None:
        chk.fail(case, f"{name} is None.", "the function does not `return` its result.")
    if not isinstance(got, torch.Tensor):
        chk.fail(case, f"{name} should be a torch tensor, got {type(got).__name__}.",
                 "the rest of the notebook (fit, autograd) works with torch tensors: build it with torch operations.")
    return got


# ----------------------------------------------------------------- length_mask

def _mask_cases():
    return {
        "lengths 3, 1, 4 (T 4)": (torch.tensor([3, 1, 4]), 4),
        "batch of 1, T longer than the sentence": (torch.tensor([2]), 5),
        "length 1, T 1": (torch.tensor([1, 1]), 1),
        "lengths 5, 2, 3 (T 6: every row has pads)": (torch.tensor([5, 2, 3]), 6),
    }


def check_length_mask(length_mask):
    """Check length_mask(lengths, T) -> (batch, T) bool tensor, True at the real tokens."""
    chk = Check("length_mask", reference="the exact mask")
    for case, (lengths, T) in _mask_cases().items():
        got = chk.call(length_mask, lengths.clone(), T, case=case)
        got = _as_tensor_or_fail(chk, got, case, "mask")
        L = lengths.numpy()
        expected = _np_mask(L, T)
        mistakes = {
            "the mask is built with <=: positions count from 0, so a sentence of length 3 has real tokens "
            "at 0, 1 and 2 only (t < length).": _np_mask(L + 1, T),
            "the mask marks the pads, not the real tokens: it must be True where t < length.": ~expected,
            "the real tokens are put at the end of the row: the sentences are padded on the right, "
            "so the first `length` positions are real.": expected[:, ::-1],
            "every position is marked real: compare the position with the row's length.":
                np.ones_like(expected),
        }
        if got.shape == (T, len(L)) and got.shape != expected.shape:
            chk.fail(case, f"mask has shape {fmt_shape(got.shape)}, expected {fmt_shape(expected.shape)} = (batch, T).",
                     "the mask is transposed: rows are sentences and columns are positions, so the positions "
                     "must vary along the last axis and the lengths along the first.")
        chk.expect_close(got.detach().to(torch.float64) if got.dtype == torch.bool else got, expected.astype(float),
                         case=case, name="mask", shape_meaning="(batch, T)", atol=0, mistakes=mistakes,
                         shape_cause="compare a (1, T) row of positions with a (batch, 1) column of lengths: "
                                     "broadcasting gives (batch, T).")
        chk.expect(got.dtype == torch.bool, case=case,
                   what=f"mask has dtype {got.dtype}, expected torch.bool.",
                   cause="a comparison (<) gives booleans; do not convert it to numbers.")
    chk.done()


# ----------------------------------------------------------------- step_logits

def _logit_cases():
    g = torch.Generator().manual_seed(707)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    return {
        "batch 2, T 5, hidden 4, 3 tags": (r(2, 5, 4), r(3, 4), r(3)),
        "hidden = n_tags = 4": (r(2, 3, 4), r(4, 4), r(4)),
        "batch of 1, length 1": (r(1, 1, 6), r(12, 6), r(12)),
        "zero states (only the bias acts)": (torch.zeros(3, 2, 5, dtype=torch.float64), r(2, 5), r(2)),
    }


def check_step_logits(step_logits):
    """Check step_logits(hs, W_hy, b_y) -> (batch, T, n_tags), the same classifier at every step."""
    chk = Check("step_logits", reference="torch.nn.functional.linear at every step")
    for case, (hs, W, b) in _logit_cases().items():
        got = chk.call(step_logits, hs.clone(), W.clone(), b.clone(), case=case,
                       cause="hs is (batch, T, hidden) and W_hy is stored the torch way, (n_tags, hidden): the "
                             "product needs W_hy transposed, and @ treats the leading axes of hs as batch axes.")
        got = _as_tensor_or_fail(chk, got, case, "logits")
        expected = torch.nn.functional.linear(hs, W, b)
        B, T, _ = hs.shape
        C = W.shape[0]
        if tuple(got.shape) == (T, B, C) and (T, B) != (B, T):
            chk.fail(case, f"logits has shape {fmt_shape(got.shape)}, expected {fmt_shape((B, T, C))} "
                           f"= (batch, T, n_tags).", "the time and batch axes are swapped: keep hs's order, "
                                                     "(batch, T, ...), as batch_first=True does.")
        if tuple(got.shape) == (B * T, C) and T > 1:
            chk.fail(case, f"logits has shape {fmt_shape(got.shape)}, expected {fmt_shape((B, T, C))} "
                           f"= (batch, T, n_tags).", "the batch and time axes were flattened into one: "
                                                     "keep them apart, one row of logits per step of each sentence.")
        mistakes = {
            "W_hy is used without its transpose: it is stored (n_tags, hidden), so each state is multiplied "
            "by its transpose.": lambda: hs @ W + b,
            "the bias b_y is missing.": lambda: hs @ W.T,
            "a softmax was applied: return the logits (scores before the softmax); "
            "the cross-entropy takes the softmax itself.": lambda: torch.softmax(hs @ W.T + b, dim=-1),
            "only the last step is classified (many-to-one), and copied to every step: a tagger "
            "needs one output per step, from that step's state.":
                lambda: (hs[:, -1:] @ W.T + b).expand(B, T, C),
        }
        chk.expect_close(got, expected, case=case, name="logits", shape_meaning="(batch, T, n_tags)",
                         mistakes=mistakes, atol=1e-10,
                         shape_cause="(batch, T, hidden) times a (hidden, n_tags) matrix gives (batch, T, n_tags).")
    chk.done()


# ----------------------------------------------------- masked token cross-entropy

def _loss_cases():
    g = torch.Generator().manual_seed(7070)
    cases = {}
    for case, (lengths, T, C, scale) in {
            "lengths 4, 2, 1 (T 4, 5 tags)": ([4, 2, 1], 4, 5, 1.5),
            "no padding": ([3, 3], 3, 4, 1.0),
            "batch of 1 with 3 pads": ([2], 5, 3, 2.0),
            "large logits (a stable log-softmax is needed)": ([3, 1], 3, 4, 400.0),
            "lengths 1, 6, 3 (unsorted, T 7)": ([1, 6, 3], 7, 12, 1.0)}.items():
        B = len(lengths)
        logits = torch.randn(B, T, C, generator=g, dtype=torch.float64) * scale
        tags = torch.randint(0, C, (B, T), generator=g)
        mask = torch.as_tensor(_np_mask(lengths, T))
        # At the pads: confidently wrong logits, so a loss that counts them changes a lot.
        wrong = (tags + 1) % C
        boost = torch.nn.functional.one_hot(wrong, C).to(torch.float64) * 4.0
        logits = torch.where(mask[..., None], logits, logits + boost)
        cases[case] = (logits, tags, mask)
    return cases


def _loss_crash_cause(error):
    """A cause for a crash of masked_token_cross_entropy, read from the error, or None."""
    text = str(error)
    if any(key in text for key in ("Expected target size", "Expected input batch_size", "size mismatch",
                                   "only batches of spatial targets", "must match the size")):
        return ("logits is (batch, T, n_tags), and F.cross_entropy wants the classes on dim 1: either "
                "flatten the batch and time axes of logits and tags, or move the classes to dim 1.")
    return None


def _np_log_softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _per_token_ce(logits, tags):
    """-log softmax(logits)[tag] at every position. logits: (B, T, C), tags: (B, T)."""
    lp = _np_log_softmax(logits, axis=-1)
    return -np.take_along_axis(lp, tags[..., None], axis=-1)[..., 0]


def check_masked_token_cross_entropy(masked_token_cross_entropy):
    """Check masked_token_cross_entropy(logits, tags, mask) -> scalar: the mean over real tokens.

    Also checks with autograd that pads receive exactly zero gradient, and that the real
    tokens receive (softmax - one_hot) / number of real tokens.
    """
    chk = Check("masked_token_cross_entropy", reference="a float64 log-softmax over the real tokens")
    for case, (logits, tags, mask) in _loss_cases().items():
        z, y, m = logits.numpy(), tags.numpy(), mask.numpy()
        ce = _per_token_ce(z, y)
        n_real = m.sum()
        expected = (ce * m).sum() / n_real
        B, T, C = z.shape
        time_lp = _np_log_softmax(z, axis=1)
        ce_time = -np.take_along_axis(time_lp, y[..., None], axis=-1)[..., 0]
        mistakes = {
            "the loss is averaged over all batch x T positions, pads included (the known d2l bug): "
            "sum the loss of the real tokens and divide by the number of real tokens, mask.sum().":
                (ce * m).sum() / (B * T),
            "the pads are not masked: the cross-entropy is averaged over every position, pads included.":
                ce.mean(),
            "the loss is summed, not averaged: divide by the number of real tokens, mask.sum().":
                (ce * m).sum(),
            "the loss is a mean of per-sentence means, so a short sentence's tokens weigh more: "
            "average over all real tokens at once.": ((ce * m).sum(1) / m.sum(1)).mean(),
            "the softmax is taken over the time axis (dim=1): the classes are on the last axis.":
                (ce_time * m).sum() / n_real,
            "the mask is inverted: the pads are averaged and the real tokens dropped.":
                (ce * ~m).sum() / max((~m).sum(), 1),
        }
        # ignore_index=0 treats tag 0 as padding, but tag 0 is NOUN, a real tag: every real token
        # of tag 0 leaves the loss (with or without the mask applied as well).
        noun = y == 0
        drops = "ignore_index=0 drops every real NOUN token: tag 0 is NOUN, a real tag, not a pad"
        if (noun & m).any():
            mistakes[drops + "; and the pads, whose tags can be anything, still count. Only the mask says "
                             "where the pads are."] = (ce * ~noun).sum() / max((~noun).sum(), 1)
            mistakes[drops + ". Only the mask says where the pads are."] = \
                (ce * (m & ~noun)).sum() / max((m & ~noun).sum(), 1)
            mistakes[drops + " (their loss becomes 0 while they still count in the mean). Only the mask "
                             "says where the pads are."] = (ce * (m & ~noun)).sum() / n_real
        x = logits.clone().requires_grad_(True)
        got = chk.call(masked_token_cross_entropy, x, tags.clone(), mask.clone(), case=case, copy_args=False,
                       cause=_loss_crash_cause)
        got = _as_tensor_or_fail(chk, got, case, "the loss")
        if got.numel() != 1:
            chk.fail(case, f"the loss has shape {fmt_shape(got.shape)}, expected one number (shape ()).",
                     "reduction='none' gives one loss per position: mask it, then sum and divide by mask.sum().")
        chk.expect(got.requires_grad and got.grad_fn is not None, case=case,
                   what="the loss does not require a gradient, so training could not call backward on it.",
                   cause="it was cut from the graph (.item(), .detach(), numpy, or torch.tensor(...) of a number): "
                         "compute it with torch operations on logits and return the tensor.")
        value = got.detach().reshape(())
        if not torch.isfinite(value) and np.abs(z).max() > 50:
            chk.fail(case, f"got {value.item()} for the loss, expected {fmt_num(expected)}.",
                     "log(softmax(...)) is unstable: with large logits exp overflows, or the softmax of a "
                     "far-from-best tag rounds to 0 and its log is -inf. Use a log-softmax that subtracts "
                     "the largest logit first: torch.log_softmax or F.cross_entropy.")
        chk.expect_close(value, expected, case=case, name="the loss", atol=1e-9,
                         mistakes=mistakes, cause="per token the loss is -log softmax(logits)[tag]; "
                                                  "average it over the real tokens only.")
        got.reshape(()).backward()
        grad = x.grad
        chk.expect(grad is not None, case=case, what="the logits received no gradient from the loss.",
                   cause="compute the loss from `logits` itself with torch operations.")
        g = grad.numpy()
        pads = ~m
        if pads.any():
            worst = float(np.abs(g[pads]).max())
            chk.expect(worst == 0.0, case=case,
                       what=f"the pads receive a gradient: the largest |dL/dlogits| at a pad is {fmt_num(worst)}, "
                            f"expected exactly 0.",
                       cause="the pads' losses still enter the result: multiply the per-token losses by the mask "
                             "(or select the real tokens) before summing.")
        p = np.exp(_np_log_softmax(z))
        expected_grad = (p - np.eye(C)[y]) * m[..., None] / n_real
        chk.expect_close(g, expected_grad, case=case, name="dL/dlogits", shape_meaning="(batch, T, n_tags)",
                         atol=1e-9, cause="the gradient of the mean cross-entropy is (softmax - one_hot) / mask.sum() "
                                          "at the real tokens.")
    chk.done("pads get exactly zero gradient")


# -------------------------------------------------------------- token accuracy

def _acc_cases():
    g = torch.Generator().manual_seed(70707)
    cases = {}
    for case, (lengths, T, C, pads_right) in {
            "lengths 4, 2, 1 (pads predicted wrong)": ([4, 2, 1], 4, 5, False),
            "lengths 3, 1 (pads predicted right)": ([3, 1], 5, 4, True),
            "no padding": ([4, 4], 4, 3, False),
            "batch of 1, length 1, 12 tags": ([1], 3, 12, False),
            "lengths 2, 7, 5 (unsorted)": ([2, 7, 5], 7, 12, True)}.items():
        B = len(lengths)
        logits = torch.randn(B, T, C, generator=g)
        tags = torch.randint(0, C, (B, T), generator=g)
        mask = torch.as_tensor(_np_mask(lengths, T))
        pred = logits.argmax(-1)
        # make about half of the real tokens right, and every pad right or wrong as the case says
        half = torch.rand(B, T, generator=g) < 0.5
        tags = torch.where(mask & half, pred, tags)
        tags = torch.where(mask & ~half & (tags == pred), (pred + 1) % C, tags)
        tags = torch.where(~mask, pred if pads_right else (pred + 1) % C, tags)
        cases[case] = (logits, tags, mask)
    return cases


def check_token_accuracy(token_accuracy):
    """Check token_accuracy(logits, tags, mask) -> float: the share of real tokens tagged right."""
    chk = Check("token_accuracy", reference="the exact count")
    for case, (logits, tags, mask) in _acc_cases().items():
        z, y, m = logits.numpy(), tags.numpy(), mask.numpy()
        right = z.argmax(-1) == y
        expected = (right & m).sum() / m.sum()
        B, T, C = z.shape
        mistakes = {
            "the pads are counted: only positions where mask is True are tokens of the sentence.": right.mean(),
            "the accuracy is a mean of per-sentence accuracies, so a short sentence weighs as much as a long one: "
            "count the right tokens of the whole batch and divide by mask.sum().":
                ((right & m).sum(1) / m.sum(1)).mean(),
            "the number of right tokens is returned, not the fraction: divide by mask.sum().": (right & m).sum(),
            "the right tokens are divided by the number of positions, batch x T: divide by mask.sum().":
                (right & m).sum() / (B * T),
        }
        got = chk.call(token_accuracy, logits.clone(), tags.clone(), mask.clone(), case=case)
        if isinstance(got, torch.Tensor):
            if got.numel() != 1:
                chk.fail(case, f"the accuracy has shape {fmt_shape(got.shape)}, expected one number.",
                         "sum the right real tokens over the whole batch, then divide by mask.sum().")
            got = got.detach().reshape(()).item()
        arr = as_array(got)
        if arr is None or arr.shape != ():
            chk.fail(case, f"the accuracy should be one number, got {type(got).__name__}.",
                     "return a Python float (.item() turns a one-number tensor into one), or a 0-d tensor.")
        chk.expect_close(float(arr), expected, case=case, name="the accuracy", atol=1e-6, mistakes=mistakes,
                         cause="a token is right when logits.argmax(dim=-1) equals its tag; count only real tokens.")
    chk.done()


# ------------------------------------------------------------------ the tagger

_TAGGER_SIZES = dict(n_words=30, n_features=12, n_tags=5, word_dim=6, feature_dim=3, hidden_dim=4)


def _tagger_cases():
    g = torch.Generator().manual_seed(707070)
    cases = {}
    for case, (lengths, T, K, bidirectional) in {
            "bidirectional, lengths 5, 2, 4 (unsorted, T 5), 3 features per word": ([5, 2, 4], 5, 3, True),
            "one-directional, lengths 3, 6, 1, 3 features per word": ([3, 6, 1], 6, 3, False),
            "bidirectional, batch of 1, length 1, 1 feature per word": ([1], 1, 1, True),
            "bidirectional, T 7 longer than every sentence (lengths 3, 5), 2 features per word": ([3, 5], 7, 2, True),
            "bidirectional, no padding, 3 features per word": ([4, 4, 4], 4, 3, True)}.items():
        B = len(lengths)
        mask = torch.as_tensor(_np_mask(lengths, T))
        words = torch.randint(2, _TAGGER_SIZES["n_words"], (B, T), generator=g) * mask
        feats = torch.randint(2, _TAGGER_SIZES["n_features"], (B, T, K), generator=g) * mask[..., None]
        cases[case] = (words, feats, torch.tensor(lengths), bidirectional)
    return cases


def _rnn_loop(x, W_ih, W_hh, b_ih, b_hh):
    """tanh RNN over x: (L, input) one sentence, no padding. Returns (L, hidden)."""
    h = torch.zeros(W_hh.shape[0], dtype=x.dtype)
    out = []
    for t in range(x.shape[0]):
        h = torch.tanh(W_ih @ x[t] + b_ih + W_hh @ h + b_hh)
        out.append(h)
    return torch.stack(out)


def _reference_tagger(model, words, feats, lengths, *, order="word-feature", mode="right"):
    """The tagger computed sentence by sentence, without padding, from the model's own weights.

    order="feature-word" concatenates the embeddings the other way round, order="interleaved"
    flattens the feature embeddings dimension-major (the K values of dimension 0, then of 1, ...);
    mode="no-pack" runs the backward direction from the last padded position; mode="h_n" uses
    only the final states. Returns (batch, T, n_tags) with zeros at the pads.
    """
    rnn = model.rnn
    p = {k: v.detach().double() for k, v in rnn.named_parameters()}
    We, Wf = model.word_emb.weight.detach().double(), model.feature_emb.weight.detach().double()
    Wo, bo = model.out.weight.detach().double(), model.out.bias.detach().double()
    B, T = words.shape
    out = torch.zeros(B, T, Wo.shape[0], dtype=torch.float64)
    for i in range(B):
        L = int(lengths[i]) if mode != "no-pack" else T
        f = Wf[feats[i, :L]]                                   # (L, K, feature_dim)
        f = f.transpose(1, 2) if order == "interleaved" else f
        parts = [We[words[i, :L]], f.reshape(L, -1)]
        x = torch.cat(parts[::-1] if order == "feature-word" else parts, dim=-1)
        fwd = _rnn_loop(x, p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"])
        hs = [fwd]
        if rnn.bidirectional:
            bwd = _rnn_loop(x.flip(0), p["weight_ih_l0_reverse"], p["weight_hh_l0_reverse"],
                            p["bias_ih_l0_reverse"], p["bias_hh_l0_reverse"]).flip(0)
            hs.append(bwd)
        if mode == "h_n":
            last = [fwd[-1]] + ([hs[1][0]] if rnn.bidirectional else [])
            h = torch.cat(last).expand(L, -1)
        else:
            h = torch.cat(hs, dim=-1)
        Lr = int(lengths[i])
        out[i, :Lr] = (h @ Wo.T + bo)[:Lr]
    return out


def _forward_crash_cause(error):
    """A cause for a crash in RNNTagger.forward, read from the error, or None when it says nothing specific."""
    text = str(error)
    if "sorted" in text:
        return ("pack_padded_sequence expects the sentences sorted by length unless told otherwise: a batch "
                "is not sorted, so pass enforce_sorted=False.")
    if "same number of dimensions" in text:
        return ("feature_emb(features) is (batch, T, features_per_word, feature_dim), one axis more than the word "
                "embeddings: flatten its last two axes into one before the concatenation.")
    if "must match except in dimension" in text:
        return ("the embeddings are joined on the wrong axis, or one of them has the wrong shape: the word "
                "embeddings (batch, T, word_dim) and the flattened feature embeddings (batch, T, "
                "features_per_word * feature_dim) differ only on the last axis, the one to join them on.")
    if "input.size(-1) must be equal to input_size" in text:
        return ("each step must read the word's embedding and all features_per_word feature embeddings, "
                "concatenated: word_dim + features_per_word * feature_dim numbers, as the RNN was built for.")
    return None


def check_rnn_tagger(RNNTagger):
    """Check an RNNTagger class: its layers, and its logits against a step-by-step loop over each sentence.

    RNNTagger(n_words, n_features, n_tags, word_dim, feature_dim, hidden_dim, features_per_word,
    bidirectional) with attributes word_emb, feature_emb, rnn, out; forward(words, features, lengths)
    with features (batch, T, features_per_word) -> (batch, T, n_tags). Only the real tokens'
    logits are compared.
    """
    chk = Check("RNNTagger", reference="a step-by-step loop over each sentence alone, with your model's weights",
                check_name="check_rnn_tagger")
    if not isinstance(RNNTagger, type):
        chk.fail(None, f"expected a class, got {type(RNNTagger).__name__}. Pass the class itself: "
                       f"check_rnn_tagger(RNNTagger).")
    s = _TAGGER_SIZES
    for case, (words, feats, lengths, bidirectional) in _tagger_cases().items():
        K = feats.shape[-1]
        with torch.random.fork_rng():  # the model's random initial weights, without disturbing the notebook
            torch.manual_seed(7)
            model = chk.call(RNNTagger, s["n_words"], s["n_features"], s["n_tags"], word_dim=s["word_dim"],
                             feature_dim=s["feature_dim"], hidden_dim=s["hidden_dim"], features_per_word=K,
                             bidirectional=bidirectional, case=case,
                             cause="the signature is RNNTagger(n_words, n_features, n_tags, word_dim=64, "
                                   "feature_dim=16, hidden_dim=32, features_per_word=3, bidirectional=True); "
                                   "call super().__init__() first.")
        for name, kind in [("word_emb", torch.nn.Embedding), ("feature_emb", torch.nn.Embedding),
                           ("rnn", torch.nn.RNN), ("out", torch.nn.Linear)]:
            layer = getattr(model, name, None)
            chk.expect(isinstance(layer, kind), case=case,
                       what=f"self.{name} should be a torch.nn.{kind.__name__}, got "
                            f"{'nothing' if layer is None else type(layer).__name__}.",
                       cause="use the attribute names of the exercise: word_emb, feature_emb (nn.Embedding), "
                             "rnn (nn.RNN: the LSTM comes in notebook 09), out (nn.Linear).")
        E = model.word_emb
        chk.expect(tuple(E.weight.shape) == (s["n_words"], s["word_dim"]), case=case,
                   what=f"word_emb.weight has shape {fmt_shape(E.weight.shape)}, expected "
                        f"{fmt_shape((s['n_words'], s['word_dim']))} = (n_words, word_dim).",
                   cause="one row per word id: n_words rows of word_dim numbers.")
        Fe = model.feature_emb
        chk.expect(tuple(Fe.weight.shape) == (s["n_features"], s["feature_dim"]), case=case,
                   what=f"feature_emb.weight has shape {fmt_shape(Fe.weight.shape)}, expected "
                        f"{fmt_shape((s['n_features'], s['feature_dim']))} = (n_features, feature_dim).",
                   cause="one table for the features of every kind: one row per feature id, n_features rows of "
                         "feature_dim numbers (not one row per kind).")
        rnn = model.rnn
        chk.expect(rnn.bidirectional == bidirectional, case=case,
                   what=f"rnn.bidirectional is {rnn.bidirectional}, but the model was built with "
                        f"bidirectional={bidirectional}.",
                   cause="pass the argument on to the RNN.")
        chk.expect(rnn.batch_first, case=case, what="the RNN was built without batch_first=True.",
                   cause="words is (batch, T): with batch_first=False the RNN would read the batch axis as time.")
        n_in = s["word_dim"] + K * s["feature_dim"]
        chk.expect(rnn.input_size == n_in and rnn.hidden_size == s["hidden_dim"] and rnn.num_layers == 1, case=case,
                   what=f"the RNN is nn.RNN(input_size={rnn.input_size}, hidden_size={rnn.hidden_size}, "
                        f"num_layers={rnn.num_layers}), expected input_size = word_dim + features_per_word * "
                        f"feature_dim = {s['word_dim']} + {K} * {s['feature_dim']} = {n_in}, "
                        f"hidden_size = {s['hidden_dim']}, one layer.",
                   cause="each step reads the word's embedding and the embeddings of its features_per_word "
                         "features, all concatenated (not summed or averaged).")
        n_dir = 2 if bidirectional else 1
        chk.expect(model.out.in_features == n_dir * s["hidden_dim"] and model.out.out_features == s["n_tags"],
                   case=case,
                   what=f"self.out is nn.Linear({model.out.in_features}, {model.out.out_features}), expected "
                        f"nn.Linear({n_dir * s['hidden_dim']}, {s['n_tags']}).",
                   cause=("a bidirectional RNN gives 2 * hidden_dim numbers per step, [forward; backward] "
                          "concatenated: a classifier that reads only hidden_dim of them uses one direction only."
                          if bidirectional else "one direction gives hidden_dim numbers per step."))
        got = chk.call(model, words.clone(), feats.clone(), lengths.clone(), case=case, cause=_forward_crash_cause)
        got = _as_tensor_or_fail(chk, got, case, "logits")
        B, T = words.shape
        expected = _reference_tagger(model, words, feats, lengths)
        if got.ndim == 3 and got.shape[:1] == (B,) and got.shape[1] == int(lengths.max()) != T:
            chk.fail(case, f"logits has shape {fmt_shape(got.shape)}, expected {fmt_shape(expected.shape)} "
                           f"= (batch, T, n_tags) with T = words.shape[1] = {T}.",
                     "pad_packed_sequence pads only to the longest sentence unless it is given total_length, "
                     "the T of the input.")
        if got.ndim == 3 and tuple(got.shape) == (T, B, s["n_tags"]) and T != B:
            chk.fail(case, f"logits has shape {fmt_shape(got.shape)}, expected {fmt_shape(expected.shape)} "
                           f"= (batch, T, n_tags).", "time and batch are swapped: use batch_first=True in "
                                                     "pack_padded_sequence and pad_packed_sequence too.")
        m = torch.as_tensor(_np_mask(lengths.numpy(), T))
        if tuple(got.shape) == tuple(expected.shape):
            got_real = got.detach().double() * m[..., None]
        else:
            got_real = got
        mistakes = {
            "the word and feature embeddings are concatenated the other way round: [word; features], the "
            "word's embedding first.": lambda: _reference_tagger(model, words, feats, lengths, order="feature-word"),
            "only the final state h_n is used, copied to every step: a tagger classifies the output of every "
            "step (the first thing nn.RNN returns).": lambda: _reference_tagger(model, words, feats, lengths,
                                                                               mode="h_n"),
        }
        if K > 1:
            mistakes["the feature embeddings are interleaved: (batch, T, features_per_word, feature_dim) was "
                     "transposed before it was flattened. Flatten it as it is, so each feature's embedding stays "
                     "in one piece, the first feature's first."] = \
                lambda: _reference_tagger(model, words, feats, lengths, order="interleaved")
        if bidirectional and int(lengths.min()) < T:
            mistakes["the batch was not packed, so the backward direction started on the padding and carried it "
                     "into the real tokens: pack with pack_padded_sequence(..., enforce_sorted=False), run the RNN, "
                     "then pad_packed_sequence."] = \
                lambda: _reference_tagger(model, words, feats, lengths, mode="no-pack")
        chk.expect_close(got_real, expected, case=case, name="logits (at the real tokens)",
                         shape_meaning="(batch, T, n_tags)", atol=2e-5, mistakes=mistakes,
                         cause="embed the words and the features, flatten the features' embeddings, concatenate "
                               "[word; features], pack, run self.rnn, unpack, then self.out at every step.")
    chk.done()
