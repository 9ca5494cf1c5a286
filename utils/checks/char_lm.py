"""Checks for 08_char_lm: next-character targets, carried state, bits per character, sampling.

The references are independent of the learner's code:

- ``make_chunks`` is compared with an explicit loop over streams and chunks that reads
  every input and target character straight from the text by its position;
- ``chunk_step`` is compared with the same model run here: the loss from
  ``torch.nn.functional.cross_entropy``, the state from a forward pass, the gradients
  from autograd on the chunk alone, its starting state a constant;
- ``bits_per_char`` is compared with log-probabilities computed in float64 NumPy;
- ``sample`` is compared with greedy decoding written out here (temperature 0 and
  close to 0), and at temperatures 0.5, 1 and 2 the frequencies of 1,500 draws from a
  model whose next-character distribution is known exactly are compared with
  softmax(logits / temperature).

Every model has the notebook's interface: ``model(x, h=None) -> (logits, h_last)``
with ``x: (batch, T)`` character ids, ``logits: (batch, T, vocab)``,
``h: (1, batch, hidden)``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .core import Check, as_array, fmt_shape

__all__ = ["check_make_chunks", "check_chunk_step", "check_bits_per_char", "check_sample"]


class _CharModel(torch.nn.Module):
    """Embedding -> nn.RNN -> linear readout, as in the notebook; fixed weights from a seed."""

    def __init__(self, vocab, hidden, seed, emb=4, scale=None):
        super().__init__()
        with torch.random.fork_rng():  # fixed weights, the notebook's random stream untouched
            torch.manual_seed(seed)
            self.emb = torch.nn.Embedding(vocab, emb, dtype=torch.float64)
            self.rnn = torch.nn.RNN(emb, hidden, batch_first=True, dtype=torch.float64)
            self.head = torch.nn.Linear(hidden, vocab, dtype=torch.float64)
            if scale is not None:
                with torch.no_grad():
                    self.rnn.weight_hh_l0.normal_(0.0, scale / math.sqrt(hidden))
                    self.emb.weight.mul_(2.0)
                    self.head.weight.mul_(3.0)

    def forward(self, x, h=None):
        hs, h_last = self.rnn(self.emb(x), h)
        return self.head(hs), h_last


# ---------------------------------------------------------------- make_chunks

def _ref_chunks(ids, T, B):
    """Chunk k of stream b reads the characters at positions b*L + k*T + t (L = per-stream length)."""
    N = len(ids)
    n_chunks = (N - 1) // (B * T)
    L = n_chunks * T
    x = np.zeros((n_chunks, B, T), dtype=np.int64)
    y = np.zeros((n_chunks, B, T), dtype=np.int64)
    for k in range(n_chunks):
        for b in range(B):
            for t in range(T):
                pos = b * L + k * T + t
                x[k, b, t] = ids[pos]
                y[k, b, t] = ids[pos + 1]
    return x, y


def _chunk_mistakes(ids, T, B):
    """{description: (x, y)} of plausible wrong ways of cutting the text."""
    n_chunks = (len(ids) - 1) // (B * T)
    L = n_chunks * T
    ids = np.asarray(ids)
    x_ok, y_ok = _ref_chunks(ids, T, B)

    def cut(a):  # (B * L,) -> (n_chunks, B, T), the right layout
        return a.reshape(B, n_chunks, T).transpose(1, 0, 2)

    out = {}
    out["the targets are not shifted: y must be the character AFTER x, y = ids[1:], x = ids[:-1]."] = (x_ok, x_ok)
    if len(ids) >= B * L + 1 and L > 0:
        prev = np.concatenate([[ids[0]], ids[:B * L - 1]])
        out["the targets are shifted the wrong way: y is the PREVIOUS character; the target of x[t] is "
            "the next one, ids[t + 1]."] = (x_ok, cut(prev))
    out["inputs and targets are swapped: return (x, y) with y one character ahead of x."] = (y_ok, x_ok)
    x_il = ids[:B * L].reshape(L, B).T            # stream b = characters b, b+B, b+2B, ...
    y_il = ids[1:B * L + 1].reshape(L, B).T
    out["the streams are interleaved: stream b must be ONE contiguous piece of the text "
        "(ids[:B*L].reshape(B, L)), not every B-th character."] = (
        x_il.reshape(B, n_chunks, T).transpose(1, 0, 2), y_il.reshape(B, n_chunks, T).transpose(1, 0, 2))
    out["consecutive chunks do not continue each other: chunk k+1 of stream b must start where chunk k "
        "of stream b ended. Reshape to (B, n_chunks, T) first, then swap the first two axes."] = (
        ids[:B * L].reshape(n_chunks, B, T), ids[1:B * L + 1].reshape(n_chunks, B, T))
    return out


def check_make_chunks(make_chunks):
    """Check make_chunks(ids, T, B) -> (x, y), both (n_chunks, B, T), against an explicit loop."""
    chk = Check("make_chunks", reference="an explicit loop over streams and chunks")
    rng = np.random.default_rng(808)
    cases = {
        "27 characters, T = 3, B = 2 (a remainder to drop)": (rng.integers(0, 9, 27), 3, 2),
        "B * T * 3 + 1 characters exactly (3 chunks)": (rng.integers(0, 9, 2 * 4 * 3 + 1), 4, 2),
        "B * T * 3 characters (one short of 3 chunks: 2 chunks)": (rng.integers(0, 9, 3 * 2 * 3), 2, 3),
        "one stream (B = 1)": (rng.integers(0, 20, 30), 5, 1),
        "T = 1": (rng.integers(0, 20, 17), 1, 4),
        "distinct ids 0..40 (each position is visible)": (np.arange(41), 4, 3),
    }
    for case, (ids, T, B) in cases.items():
        x_ref, y_ref = _ref_chunks(ids, T, B)
        mistakes = _chunk_mistakes(ids, T, B)
        got = chk.call(make_chunks, torch.tensor(ids), T, B, case=case,
                       cause=f"n_chunks = (len(ids) - 1) // (B * T) = {(len(ids) - 1) // (B * T)} here: one "
                             "character is kept back because the last input needs a target, so the targets "
                             "ids[1 : B*L + 1] exist (L = n_chunks * T).")
        chk.expect(isinstance(got, (tuple, list)) and len(got) == 2, case=case,
                   what=f"expected a tuple (x, y) of two tensors, got {type(got).__name__}.",
                   cause="end the function with `return x, y`.")
        for name, v in zip("xy", got):
            chk.expect(isinstance(v, torch.Tensor), case=case,
                       what=f"{name} is a {type(v).__module__}.{type(v).__name__}, expected a torch.Tensor.",
                       cause="the model's nn.Embedding and F.cross_entropy take tensors, not NumPy arrays: "
                             "ids is already a tensor, so cut it with tensor operations and return tensors.")
        x, y = (as_array(v) for v in got)
        n_chunks = x_ref.shape[0]
        for name, arr in (("x", x), ("y", y)):
            chk.expect(arr is not None and arr.shape == x_ref.shape, case=case,
                       what=f"{name} has shape {fmt_shape(arr.shape) if arr is not None else type(got[0]).__name__}, "
                            f"expected {fmt_shape(x_ref.shape)} = (n_chunks, B, T) with n_chunks = "
                            f"(len(ids) - 1) // (B * T) = {n_chunks}.",
                       cause="the targets need one character beyond the last input, so only len(ids) - 1 "
                             "characters can be inputs; the chunk index comes first, then the stream, then time.")
            chk.expect(np.issubdtype(arr.dtype, np.integer), case=case,
                       what=f"{name} has dtype {arr.dtype}, expected integer character ids.",
                       cause="keep the ids as integers (torch.long): nn.Embedding and cross_entropy need them.")
        pair = np.stack([x, y])
        if not np.array_equal(pair, np.stack([x_ref, y_ref])):
            cause = None
            for description, (wx, wy) in mistakes.items():
                if wx.shape == x.shape and np.array_equal(np.stack([wx, wy]), pair):
                    cause = description
                    break
            which = "x" if not np.array_equal(x, x_ref) else "y"
            bad = np.argwhere((x if which == "x" else y) != (x_ref if which == "x" else y_ref))[0]
            k, b, t = (int(i) for i in bad)
            got_v = (x if which == "x" else y)[k, b, t]
            exp_v = (x_ref if which == "x" else y_ref)[k, b, t]
            chk.fail(case, f"{which}[{k}, {b}, {t}] (chunk {k}, stream {b}, step {t}) is {got_v}, expected {exp_v}.",
                     cause or "stream b is ids[b*L : (b+1)*L] with L = n_chunks * T; chunk k of it is the "
                              "slice [k*T : (k+1)*T]; y is the same with every position one character later.")
    chk.done()


# ---------------------------------------------------------------- chunk_step

def _grads(model):
    return {n: (p.grad.detach().numpy().copy() if p.grad is not None else np.zeros(tuple(p.shape)))
            for n, p in model.named_parameters()}


def _ref_step(model, x, y, h0, mode="right"):
    """(loss, h_last, param grads) of one chunk computed here; the start state is a constant."""
    model.zero_grad()
    h = None if (h0 is None or mode == "reset") else h0.detach()
    logits, h_last = model(x, h)
    V = logits.shape[-1]
    if mode == "sum":
        loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1), reduction="sum")
    elif mode == "bits":
        loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1)) / math.log(2)
    elif mode == "last step":
        loss = F.cross_entropy(logits[:, -1], y[:, -1])
    else:
        loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
    loss.backward()
    g = _grads(model)
    model.zero_grad()
    return loss.item(), h_last.detach().numpy().copy(), g


def _ref_two_chunks_no_detach(model, x1, y1, x2, y2, h0):
    """The gradients of chunk 2's loss when the state from chunk 1 is NOT detached."""
    model.zero_grad()
    V = model.head.out_features
    _, h1 = model(x1, h0.detach())
    logits, _ = model(x2, h1)
    F.cross_entropy(logits.reshape(-1, V), y2.reshape(-1)).backward()
    g = _grads(model)
    model.zero_grad()
    return g


_STEP_MISTAKES = {
    "reset": "the state is reset: the chunk starts from zeros instead of the h it was given. "
             "Pass h into the model: logits, h_last = model(x, h).",
    "sum": "the loss is summed over the B*T characters; take the mean (cross_entropy's default), "
           "so the step size does not depend on the batch shape.",
    "bits": "the training loss is divided by ln 2: keep it in nats (cross_entropy); bits are for reporting.",
    "last step": "only the last step's loss is used: every position of the chunk has a target.",
}


def check_chunk_step(chunk_step):
    """Check chunk_step(model, x, y, h) -> (loss, h_next): values carry over, no gradient crosses chunks."""
    chk = Check("chunk_step", reference="the same model run chunk by chunk with a constant start state")
    rng = np.random.default_rng(8080)
    cases = {
        "B = 3, T = 5, vocab 7, hidden 6": (3, 5, 7, 6, 81),
        "one stream (B = 1), T = 4": (1, 4, 5, 4, 82),
        "T = 1": (2, 1, 6, 5, 83),
        "B = 4, T = 8, hidden 3": (4, 8, 9, 3, 84),
    }
    for case, (B, T, V, H, seed) in cases.items():
        model = _CharModel(V, H, seed, scale=1.5)
        x1, y1, x2, y2 = (torch.tensor(rng.integers(0, V, size=(B, T))) for _ in range(4))
        cause_crash = ("x and y are (B, T) ids, model(x, h) returns logits (B, T, vocab) and h_last "
                       "(1, B, hidden); cross_entropy wants (B*T, vocab) and (B*T,).")

        # chunk 1: from h = None (the first chunk of an epoch)
        exp1 = _ref_step(model, x1, y1, None)
        got = chk.call(chunk_step, model, x1, y1, None, case=case + ", first chunk (h = None)", cause=cause_crash)
        chk.expect(isinstance(got, (tuple, list)) and len(got) == 2, case=case,
                   what=f"expected a tuple (loss, h_next), got {type(got).__name__}.",
                   cause="end the function with `return loss, h_next`.")
        loss1, h1 = got
        chk.expect(all(p.grad is None for p in model.parameters()), case=case,
                   what="the model's parameters already have gradients when chunk_step returns: your function "
                        "called loss.backward() itself.",
                   cause="chunk_step only computes the loss and the state; leave loss.backward() (and the "
                         "optimizer step) to the caller, which calls it once per chunk.")
        chk.expect(isinstance(loss1, torch.Tensor) and loss1.dim() == 0 and loss1.requires_grad, case=case,
                   what="loss should be a scalar tensor attached to the graph (the caller calls loss.backward()), "
                        f"got {type(loss1).__name__}"
                        + (f" of shape {tuple(loss1.shape)}" if isinstance(loss1, torch.Tensor) else "")
                        + (" that does not require grad" if isinstance(loss1, torch.Tensor) and not loss1.requires_grad
                           else "") + ".",
                   cause="return the cross_entropy tensor itself, not loss.item(), and do not detach it.")
        model.zero_grad()
        chk.expect_close(loss1.item(), exp1[0], case=case, name="loss of the first chunk", atol=1e-9,
                         mistakes={d: _ref_step(model, x1, y1, None, m)[0] for m, d in _STEP_MISTAKES.items()
                                   if m != "reset"},
                         cause="loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1)), in nats.")
        chk.expect(isinstance(h1, torch.Tensor), case=case,
                   what=f"h_next should be a tensor, got {type(h1).__name__}.",
                   cause="return the state the model returned after the chunk's last step.")
        chk.expect_close(h1.detach(), exp1[1], case=case, name="h_next after the first chunk",
                         shape_meaning="(1, B, hidden), as nn.RNN returns it", atol=1e-10,
                         mistakes={"h_next is the state at the chunk's START; return the state after its last "
                                   "step (the second output of the model).": np.zeros_like(exp1[1])},
                         cause="return h_last, the model's second output, detached.")

        # chunk 2: from the state chunk 1 returned (the carried state)
        h0 = torch.tensor(rng.normal(0, 0.5, size=(1, B, H)), requires_grad=True)  # a leaf: does grad reach it?
        model.zero_grad()
        loss_a, h_a = chk.call(chunk_step, model, x1, y1, h0, case=case + ", chunk k from a given state")
        model.zero_grad()
        exp_a = _ref_step(model, x1, y1, h0)
        chk.expect_close(loss_a.item(), exp_a[0], case=case, name="loss of a chunk started from a given h",
                         atol=1e-9, mistakes={_STEP_MISTAKES["reset"]: _ref_step(model, x1, y1, h0, "reset")[0]},
                         cause="the chunk must start from h: logits, h_last = model(x, h).")
        chk.expect_close(h_a.detach(), exp_a[1], case=case, name="h_next of a chunk started from a given h",
                         shape_meaning="(1, B, hidden)", atol=1e-10,
                         mistakes={_STEP_MISTAKES["reset"]: _ref_step(model, x1, y1, h0, "reset")[1],
                                   "h_next is the state the chunk was given; return the state after its last "
                                   "step.": h0.detach().numpy()},
                         cause="return h_last, the model's second output.")
        # the carried value arrives: chunk k+1 from chunk k's state gives the reference loss
        model.zero_grad()
        loss_b, _ = chk.call(chunk_step, model, x2, y2, h_a, case=case + ", chunk k+1 from chunk k's state")
        exp_b = _ref_step(model, x2, y2, h_a)
        chk.expect_close(loss_b.item(), exp_b[0], case=case, name="loss of chunk k+1", atol=1e-9,
                         mistakes={_STEP_MISTAKES["reset"]: _ref_step(model, x2, y2, h_a, "reset")[0]},
                         cause="chunk k+1 must start from the state chunk k ended in.")
        # ... and the gradient stops: chunk k+1's loss reaches neither chunk k's graph nor h0
        model.zero_grad()
        try:
            loss_b.backward()
        except RuntimeError as e:
            chk.fail(case, f"loss.backward() of chunk k+1 failed: {e}",
                     "the state carried from chunk k still holds chunk k's graph, which was already freed "
                     "by its backward: return h_next = h_last.detach()." if h_a.requires_grad else
                     "your h_next is detached, so the graph that was freed is the chunk's own: chunk_step "
                     "already called loss.backward(). Leave that to the caller.")
        got_g = _grads(model)
        model.zero_grad()
        no_detach = _ref_two_chunks_no_detach(model, x1, y1, x2, y2, h0)
        not_detached = ("the state is not detached: chunk k+1's gradient flows back into chunk k's graph "
                        "(and into the state chunk k started from). Return h_next = h_last.detach().")
        chk.expect(h0.grad is None or not torch.any(h0.grad != 0).item(), case=case,
                   what="after chunk k+1's loss.backward(), gradient reached the state chunk k started from "
                        "(h.grad is not zero).", cause=not_detached)
        for name, g in exp_b[2].items():
            chk.expect_close(got_g[name], g, case=case, name=f"the gradient of model.{name} from chunk k+1",
                             atol=1e-10, mistakes={not_detached: no_detach[name]},
                             cause="chunk k+1's gradient must come from chunk k+1 alone: detach the carried state.")
        model.zero_grad()
    chk.done()


# ------------------------------------------------------------- bits_per_char

def _np_logsoftmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def check_bits_per_char(bits_per_char):
    """Check bits_per_char(logits, targets) -> mean -log2 p(target) against float64 NumPy."""
    chk = Check("bits_per_char", reference="log-probabilities in float64 NumPy")
    rng = np.random.default_rng(88)
    cases = {
        "(N, vocab) = (6, 5)": (rng.normal(0, 2, size=(6, 5)), rng.integers(0, 5, 6)),
        "(B, T, vocab) = (2, 3, 7)": (rng.normal(0, 2, size=(2, 3, 7)), rng.integers(0, 7, (2, 3))),
        "uniform logits over 76 characters (log2 76 = 6.248 bits)": (np.zeros((4, 76)), rng.integers(0, 76, 4)),
        "one character": (rng.normal(0, 3, size=(1, 4)), np.array([2])),
        "large logits (a stable log-softmax is needed)": (rng.normal(0, 300, size=(5, 6)), rng.integers(0, 6, 5)),
    }
    for case, (logits, targets) in cases.items():
        V = logits.shape[-1]
        lp = _np_logsoftmax(logits.reshape(-1, V))
        t = targets.reshape(-1)
        nats = -lp[np.arange(len(t)), t]
        expected = nats.mean() / math.log(2)
        mistakes = {
            "bits with the natural log: cross_entropy gives nats; divide by ln 2 (math.log(2)) to get bits.":
                nats.mean(),
            "multiplied by ln 2 instead of dividing: bits = nats / ln 2.": nats.mean() * math.log(2),
            "log base 10: bits use log base 2 (nats / ln 2).": nats.mean() / math.log(10),
            "summed over the characters; bits PER character is the mean.": nats.sum() / math.log(2),
        }
        if logits.ndim == 3:
            lp_wrong = _np_logsoftmax(logits, axis=1).reshape(-1, V)
            mistakes["the softmax is taken over the time axis; it is over the vocabulary, the last axis."] = (
                -lp_wrong[np.arange(len(t)), t].mean() / math.log(2))
        if logits.shape[0] > 1 and logits.ndim == 2:
            lp_wrong = _np_logsoftmax(logits.reshape(-1, V), axis=0)
            mistakes["the softmax is taken over the batch axis; it is over the vocabulary, the last axis."] = (
                -lp_wrong[np.arange(len(t)), t].mean() / math.log(2))
        got = chk.call(bits_per_char, torch.tensor(logits, dtype=torch.float64), torch.tensor(targets), case=case,
                       cause="logits are (..., vocab) and targets (...): flatten them to (N, vocab) and (N,) "
                             "for F.cross_entropy.")
        arr = as_array(got)
        chk.expect(arr is not None and arr.size == 1, case=case,
                   what=f"expected one number (the mean over all characters), got "
                        f"{type(got).__name__}{'' if arr is None else ' of shape ' + fmt_shape(arr.shape)}.",
                   cause="average over every character: the mean cross-entropy, then divide by ln 2.")
        chk.expect_close(float(arr.reshape(())), expected, case=case, name="bits per character", atol=1e-9,
                         rtol=1e-9, mistakes=mistakes,
                         cause="bits = mean cross-entropy in nats / ln 2, the log-softmax over the last axis.")
    chk.done()


# -------------------------------------------------------------------- sample

def _ref_greedy(model, prompt, n):
    """Greedy decoding written out: read the whole prompt, then feed back each argmax."""
    with torch.no_grad():
        logits, h = model(torch.tensor([list(prompt)]))
        out, last = [], logits[0, -1]
        for _ in range(n):
            c = int(torch.argmax(last))
            out.append(c)
            logits, h = model(torch.tensor([[c]]), h)
            last = logits[0, -1]
    return out


def _greedy_variant(model, prompt, n, mode):
    with torch.no_grad():
        if mode == "no prime":        # the prompt's last character only, from a zero state
            logits, h = model(torch.tensor([[prompt[-1]]]))
        elif mode == "prime twice":   # prime, then feed the last prompt character once more
            _, h = model(torch.tensor([list(prompt)]))
            logits, h = model(torch.tensor([[prompt[-1]]]), h)
        else:
            logits, h = model(torch.tensor([list(prompt)]))
        out, last = [], logits[0, -1]
        for _ in range(n):
            c = int(torch.argmax(last))
            out.append(c)
            inp = prompt[-1] if mode == "no feedback" else c
            if mode == "no state":
                logits, h = model(torch.tensor([[inp]]))
            else:
                logits, h = model(torch.tensor([[inp]]), h)
            last = logits[0, -1]
    return out


_GREEDY_MISTAKES = {
    "no prime": "the prompt does not prime the state: run the model over the WHOLE prompt and keep its final "
                "state before generating (one-to-many generation starts from that state).",
    "prime twice": "the prompt's last character is fed twice: the logits at the prompt's last position already "
                   "predict the first new character.",
    "no feedback": "the generated character is not fed back: the input at each step is the character just "
                   "generated.",
    "no state": "the state is not carried between generated characters: pass h back into the model at every step.",
}


class _FixedDistribution(torch.nn.Module):
    """A model whose next-character logits are always `logits`, whatever it has read."""

    def __init__(self, logits):
        super().__init__()
        self.logits = torch.as_tensor(logits, dtype=torch.float64)
        self.rnn = torch.nn.RNN(1, 1, batch_first=True, dtype=torch.float64)  # present, unused

    def forward(self, x, h=None):
        B, T = x.shape
        if h is None:
            h = torch.zeros(1, B, 1, dtype=torch.float64)
        return self.logits.expand(B, T, -1).clone(), h + 1.0


def _as_ids(chk, got, n, V, case):
    arr = as_array(got)
    chk.expect(arr is not None, case=case, what=f"expected a list of {n} character ids, got {type(got).__name__}.",
               cause="collect the generated ids in a list and return it.")
    arr = arr.reshape(-1) if arr.ndim > 1 and arr.size == max(arr.shape) else arr
    chk.expect(arr.ndim == 1 and len(arr) == n, case=case,
               what=f"expected {n} generated ids, got shape {fmt_shape(arr.shape)}.",
               cause=("the prompt is included: return only the n new characters." if arr.size > n else
                      "generate exactly n characters after the prompt."))
    chk.expect(np.issubdtype(arr.dtype, np.integer) and arr.min() >= 0 and arr.max() < V, case=case,
               what=f"the generated ids should be integers in [0, {V}), got dtype {arr.dtype}, "
                    f"values {arr.min()}..{arr.max()}.",
               cause="return character ids (int(torch.multinomial(...))), not probabilities or characters.")
    return arr.astype(np.int64)


def _check_greedy(chk, sample, cases):
    for case, (prompt, n, temp, seed) in cases.items():
        model = _CharModel(7, 8, seed, scale=2.5)
        expected = _ref_greedy(model, prompt, n)
        mistakes = {d: np.array(_greedy_variant(model, prompt, n, m)) for m, d in _GREEDY_MISTAKES.items()}
        g = torch.Generator().manual_seed(0)
        crash = ("temperature 0 means argmax: handle it apart (logits / 0 is inf)." if temp == 0 else
                 "close to temperature 0 the probabilities must be computed stably: p ** (1/T) underflows to 0 "
                 "for every character when T is small (and renormalising gives 0 / 0 = nan), exp(logits / T) "
                 "overflows. Divide the logits instead: softmax(logits / T) subtracts the largest one first, "
                 "so the most likely character keeps probability close to 1.")
        got = _as_ids(chk, chk.call(sample, model, list(prompt), n, temp, g, case=case, cause=crash), n, 7, case)
        if temp > 0:
            # multiplying the logits by a tiny temperature flattens them: close to uniform sampling
            mistakes["the temperature multiplies the logits; it divides them: softmax(logits / temperature), "
                     "so a small temperature sharpens the distribution towards the argmax."] = None
        matched = Check._match_mistake(got, {k: v for k, v in mistakes.items() if v is not None}, 0.5, 0.0)
        if not np.array_equal(got, np.array(expected)):
            first = int(np.argmax(got != np.array(expected)))
            chk.fail(case, f"generated id {first} is {got[first]}, expected {expected[first]} "
                           f"(greedy: {expected}; yours: {got.tolist()}).",
                     matched or (list(mistakes)[-1] if temp > 0 else
                                 "prime the state with the whole prompt, then at each step take the argmax of "
                                 "the last logits and feed it back with the state."))


def check_sample(sample):
    """Check sample(model, prompt_ids, n, temperature, generator) -> list of n ids."""
    chk = Check("sample", reference="greedy decoding written out and exact distributions")
    # 1. temperature 0 (and close to 0): greedy decoding, primed by the prompt
    greedy_cases = {
        "temperature 0, prompt of 4 characters": ([1, 4, 2, 2], 12, 0.0, 91),
        "temperature 0, prompt of 1 character": ([3], 8, 0.0, 92),
    }
    _check_greedy(chk, sample, greedy_cases)
    # 2. temperatures 0.5, 1 and 2 reproduce softmax(logits / temperature)
    base = np.array([2.0, 1.0, 0.5, 0.0, -0.5, -1.5])
    model = _FixedDistribution(base)
    n = 1500
    for temp in (1.0, 0.5, 2.0):
        case = f"temperature {temp:g}, {n} draws from a known distribution"
        g = torch.Generator().manual_seed(8)
        got = _as_ids(chk, chk.call(sample, model, [0, 1], n, temp, g, case=case), n, len(base), case)
        freq = np.bincount(got, minlength=len(base)) / n
        expected = np.exp(_np_logsoftmax(base / temp))
        tv = 0.5 * np.abs(freq - expected).sum()

        def tv_to(p):
            return 0.5 * np.abs(freq - p).sum()
        candidates = {
            "sampling by argmax at every temperature: draw from softmax(logits / temperature) with "
            "torch.multinomial(probs, 1, generator=generator) when temperature > 0.":
                np.eye(len(base))[np.argmax(base)],
            "the temperature multiplies the logits; it divides them: softmax(logits / temperature).":
                np.exp(_np_logsoftmax(base * temp)),
            "the temperature is ignored: the logits must be divided by it before the softmax.":
                np.exp(_np_logsoftmax(base)),
        }
        if tv > 0.05:  # 1500 draws: the right sampler stays near 0.02 with this seed
            cause = None
            for description, p in candidates.items():
                if not np.allclose(p, expected) and tv_to(p) < 0.05:
                    cause = description
                    break
            chk.fail(case, "the frequencies of your samples do not match softmax(logits / temperature): "
                           f"got {np.round(freq, 3).tolist()}, expected {np.round(expected, 3).tolist()} "
                           f"(total variation {tv:.3f} > 0.05).",
                     cause or "p = softmax(logits / temperature); next id = torch.multinomial(p, 1, generator=...).")
        chk.cases.append(case)
    # 3. a temperature close to 0 is argmax too (after 2, which names what went wrong with temperatures)
    _check_greedy(chk, sample, {"temperature 1e-4 (close to 0 is argmax too)": ([0, 5, 1], 10, 1e-4, 93)})
    # 4. the generator makes samples reproducible
    case = "the same generator seed gives the same samples"
    model = _CharModel(7, 8, 94, scale=1.0)
    a = _as_ids(chk, chk.call(sample, model, [2, 3], 40, 1.0, torch.Generator().manual_seed(5), case=case), 40, 7, case)
    b = _as_ids(chk, chk.call(sample, model, [2, 3], 40, 1.0, torch.Generator().manual_seed(5), case=case), 40, 7, case)
    c = _as_ids(chk, chk.call(sample, model, [2, 3], 40, 1.0, torch.Generator().manual_seed(6), case=case), 40, 7, case)
    chk.expect(np.array_equal(a, b) and not np.array_equal(a, c), case=case,
               what="two calls with generators seeded alike gave different samples" if not np.array_equal(a, b)
                    else "generators with different seeds gave identical samples",
               cause="draw with torch.multinomial(probs, 1, generator=generator): the generator passed in, "
                     "not the global random stream.")
    chk.done()
