"""Checks for notebook 12 (image captioning): the image encoder, one decoder step, the
masked captioning loss, sampling the next word with a temperature, and decoding a whole
caption until <eos>.

The references are independent of the learner's code: the encoder is recomputed with
``torch.nn.functional`` from the learner's own weights, the LSTM step from the gate
equations (torch's gate order i, f, g, o), the loss caption by caption on the unpadded
words (no mask involved), sampling against the exact softmax probabilities, and decoding
with a plain loop, one caption at a time. The checks use a small reference captioning
model of their own (``reference_captioner``), so a mistake in one exercise does not make
another exercise's check fail.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..synthetic.scenes import BOS, EOS, PAD, VOCAB
from .core import Check, fmt_shape, parameters

__all__ = ["check_ImageEncoder", "check_decoder_step", "check_caption_loss", "check_sample_next",
           "check_generate", "reference_captioner"]

V = len(VOCAB)
CONV1 = dict(out=16, kernel=4, stride=2, padding=1)
CONV2 = dict(out=32, kernel=3, stride=2, padding=1)


# --- a small reference model the checks can trust ------------------------------------------------

class _RefEncoder(nn.Module):
    """images (B, 3, S, S) -> (h0, c0), each (1, B, hidden): one linear layer on the pixels."""

    def __init__(self, hidden_dim, size):
        super().__init__()
        self.to_h = nn.Linear(3 * size * size, hidden_dim)
        self.to_c = nn.Linear(3 * size * size, hidden_dim)

    def forward(self, images):
        f = images.flatten(1)
        return torch.tanh(self.to_h(f)).unsqueeze(0), self.to_c(f).unsqueeze(0)


class _RefCaptioner(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim, size):
        super().__init__()
        self.encoder = _RefEncoder(hidden_dim, size)
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True)
        self.out = nn.Linear(hidden_dim, vocab_size)


def reference_captioner(seed=0, embed_dim=5, hidden_dim=7, size=4, scale=1.0):
    """A float64 captioning model with .encoder, .embed, .lstm, .out, seeded (the global RNG untouched)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = _RefCaptioner(V, embed_dim, hidden_dim, size).double()
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(scale)
    return model.eval()


def _lstm_step_ref(model, words, state):
    """One step from the gate equations (float64): returns logits (B, V), (h, c) each (1, B, H)."""
    x = model.embed.weight[words]                                    # (B, E)
    h, c = state[0][0], state[1][0]
    lstm = model.lstm
    z = x @ lstm.weight_ih_l0.T + h @ lstm.weight_hh_l0.T + lstm.bias_ih_l0 + lstm.bias_hh_l0
    i, f, g, o = z.chunk(4, dim=1)                                   # torch's order: i, f, g, o
    c_next = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h_next = torch.sigmoid(o) * torch.tanh(c_next)
    logits = h_next @ model.out.weight.T + model.out.bias
    return logits, (h_next.unsqueeze(0), c_next.unsqueeze(0))


def _images(n, size, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, size, size, generator=g, dtype=torch.float64)


def _state_pair(got, chk, case, what):
    chk.expect(isinstance(got, (tuple, list)) and len(got) == 2, case=case,
               what=f"{what} should be a pair (h, c), got {type(got).__name__}.",
               cause="nn.LSTM takes and returns its state as a tuple (h, c).")
    return got


# --- Exercise 1 · ImageEncoder ---------------------------------------------------------------

def _encoder_features(enc, images, relu1=True, relu2=True):
    x = F.conv2d(images, enc.conv1.weight, enc.conv1.bias, stride=CONV1["stride"], padding=CONV1["padding"])
    x = F.relu(x) if relu1 else x
    x = F.conv2d(x, enc.conv2.weight, enc.conv2.bias, stride=CONV2["stride"], padding=CONV2["padding"])
    x = F.relu(x) if relu2 else x
    return x.flatten(1)


def check_ImageEncoder(ImageEncoder, size=32):
    """ImageEncoder(hidden_dim) with .conv1, .conv2, .to_h, .to_c; forward(images) -> (h0, c0)."""
    chk = Check("ImageEncoder", reference="torch.nn.functional.conv2d on your weights")
    H = 6
    case = f"building ImageEncoder({H})"
    with torch.random.fork_rng():
        torch.manual_seed(0)
        enc = chk.call(ImageEncoder, H, case=case)
    chk.expect(isinstance(enc, nn.Module), case=case,
               what=f"ImageEncoder(...) gave a {type(enc).__name__}, expected an nn.Module.",
               cause="ImageEncoder must be a class that subclasses torch.nn.Module.")
    n_feat = CONV2["out"] * (size // 4) ** 2
    layers = (("conv1", nn.Conv2d, (CONV1["out"], 3, CONV1["kernel"], CONV1["kernel"]),
               "(16, 3, 4, 4) = (out_channels, in_channels, kernel, kernel)"),
              ("conv2", nn.Conv2d, (CONV2["out"], CONV1["out"], CONV2["kernel"], CONV2["kernel"]),
               "(32, 16, 3, 3)"),
              ("to_h", nn.Linear, (H, n_feat), f"(hidden_dim, 32 * 8 * 8) = ({H}, {n_feat})"),
              ("to_c", nn.Linear, (H, n_feat), f"(hidden_dim, 32 * 8 * 8) = ({H}, {n_feat})"))
    for attr, kind, shape, meaning in layers:
        layer = getattr(enc, attr, None)
        chk.expect(isinstance(layer, kind), case=case,
                   what=f"self.{attr} should be a torch.nn.{kind.__name__}, got {type(layer).__name__}.",
                   cause=f"create it in __init__ as self.{attr} = nn.{kind.__name__}(...).")
        cause = "check the order of the arguments you pass to the layer."
        if attr in ("to_h", "to_c") and tuple(layer.weight.shape) != shape and layer.weight.shape[1] == CONV2["out"]:
            cause = ("the feature map is averaged (or pooled) over positions down to 32 numbers: that throws "
                     "away WHERE the objects are, and with it 'left of' and 'right of'. Flatten all 32 x 8 x 8 "
                     "features instead.")
        chk.expect(tuple(layer.weight.shape) == shape, case=case,
                   what=f"self.{attr}.weight has shape {fmt_shape(layer.weight.shape)}, expected {fmt_shape(shape)}"
                        f" = {meaning}.", cause=cause)
    for attr, spec in (("conv1", CONV1), ("conv2", CONV2)):
        layer = getattr(enc, attr)
        got = (tuple(layer.stride), tuple(layer.padding))
        want = ((spec["stride"],) * 2, (spec["padding"],) * 2)
        chk.expect(got == want, case=case,
                   what=f"self.{attr} has stride {got[0]} and padding {got[1]}, expected stride {want[0]} and "
                        f"padding {want[1]}.",
                   cause=f"nn.Conv2d(..., kernel_size={spec['kernel']}, stride={spec['stride']}, "
                         f"padding={spec['padding']}) halves the image side.")
    enc = enc.double()
    cases = {
        "a batch of 3 random images": _images(3, size, 1),
        "a batch of 1": _images(1, size, 2),
        "a black image (zero input) next to a bright one": torch.stack([torch.zeros(3, size, size, dtype=torch.float64),
                                                                        _images(1, size, 3)[0]]),
    }
    for case, images in cases.items():
        with torch.no_grad():
            f = _encoder_features(enc, images)
            h0 = torch.tanh(enc.to_h(f)).unsqueeze(0)
            c0 = enc.to_c(f).unsqueeze(0)
            f_no1 = _encoder_features(enc, images, relu1=False)
            f_no2 = _encoder_features(enc, images, relu2=False)
            f_none = _encoder_features(enc, images, relu1=False, relu2=False)
        got = chk.call(enc, images.clone(), case=case)
        pair = _state_pair(got, chk, case, "the encoder's output")
        for name, value in zip(("h0", "c0"), pair):
            chk.expect(isinstance(value, torch.Tensor), case=case,
                       what=f"{name} should be a torch tensor, got {type(value).__name__}.")
        B = len(images)
        for k, (name, expected) in enumerate((("h0", h0), ("c0", c0))):
            value = pair[k]
            with torch.no_grad():
                mistakes = {
                    "the ReLU after conv1 is missing.": (torch.tanh(enc.to_h(f_no1)) if k == 0 else enc.to_c(f_no1))[None],
                    "the ReLU after conv2 is missing.": (torch.tanh(enc.to_h(f_no2)) if k == 0 else enc.to_c(f_no2))[None],
                    "no ReLU at all: two convolutions without a nonlinearity in between are one linear map.":
                        (torch.tanh(enc.to_h(f_none)) if k == 0 else enc.to_c(f_none))[None],
                    "h0 and c0 are swapped: return (h0, c0), h0 = tanh(to_h(f)), c0 = to_c(f).":
                        (c0 if k == 0 else h0),
                    "the tanh on h0 is missing: h0 = tanh(to_h(f)), so that h0 lies in (-1, 1) like every "
                    "hidden state of an LSTM.": enc.to_h(f)[None] if k == 0 else c0,
                    "a tanh is applied to c0 too: only h0 is squashed, c0 = to_c(f).":
                        h0 if k == 0 else torch.tanh(c0),
                }
            shape_cause = (f"nn.LSTM wants its initial state as (num_layers, batch, hidden_dim) = (1, {B}, {H}): "
                           f"add the layer axis with .unsqueeze(0)."
                           if tuple(getattr(value, "shape", ())) == (B, H) else None)
            chk.expect_close(value, expected, case=case, name=name, shape_meaning="(1, batch, hidden_dim)",
                             atol=1e-10, mistakes=mistakes, shape_cause=shape_cause,
                             cause="f = flatten(relu(conv2(relu(conv1(images))))), then h0 = tanh(to_h(f)), "
                                   "c0 = to_c(f), each with a leading axis of length 1.")
    chk.done()


# --- Exercise 2 · decoder_step ---------------------------------------------------------------

def _log_softmax(x):
    """log_softmax over the last axis of a float tensor (others are returned as they are)."""
    if isinstance(x, torch.Tensor) and x.dtype.is_floating_point and x.dim() >= 1:
        return torch.log_softmax(x.detach().double(), dim=-1)
    return x


def _seq2seq_style(fn):
    """True when fn has notebook 11's signature decoder_step(embed, lstm, out_layer, y_prev, state)."""
    found = parameters(fn)
    if found is None:
        return False
    required, names = found
    return len(required) == 5 or "out_layer" in names or "y_prev" in names or {"embed", "lstm"} <= names


def check_decoder_step(decoder_step):
    """decoder_step(model, words (B,), state (h, c)) -> (logits (B, V), (h_next, c_next)).

    The scores are compared after log_softmax, so raw logits and log-probabilities both pass:
    cross_entropy, argmax and sampling at a temperature give the same results with either.
    """
    chk = Check("decoder_step", reference="the LSTM gate equations (i, f, g, o) and model.out")
    if callable(decoder_step) and _seq2seq_style(decoder_step):
        chk.fail(None, "your decoder_step takes (embed, lstm, out_layer, y_prev, state): that is notebook 11's "
                       "decoder step. check_decoder_step is notebook 12's check, and it calls "
                       "decoder_step(model, words, state), with one captioning model that holds the parts as "
                       "model.embed, model.lstm and model.out.",
                 "in notebook 12, write decoder_step(model, words, state) (Exercise 2): the same three calls, on "
                 "the model's parts. In notebook 11, check your five-argument decoder_step with "
                 "check_seq2seq_decoder_step.")
    model = reference_captioner(seed=1)
    H = model.lstm.hidden_size
    g = torch.Generator().manual_seed(5)

    def state(B):
        return (torch.randn(1, B, H, generator=g, dtype=torch.float64),
                torch.randn(1, B, H, generator=g, dtype=torch.float64))

    cases = {
        "batch of 3, a random state": (torch.tensor([BOS, 3, 7]), state(3)),
        "batch of 1": (torch.tensor([5]), state(1)),
        "batch of 4, the zero state": (torch.tensor([BOS, BOS, 9, EOS]),
                                       (torch.zeros(1, 4, H, dtype=torch.float64),) * 2),
        "the encoder's state of 2 images, <bos> as input": (torch.tensor([BOS, BOS]), model.encoder(_images(2, 4, 6))),
    }
    for case, (words, st) in cases.items():
        st = tuple(s.detach() for s in st)
        with torch.no_grad():
            logits, (h, c) = _lstm_step_ref(model, words, st)
            zero = (torch.zeros_like(st[0]), torch.zeros_like(st[1]))
            logits0, (h0, c0) = _lstm_step_ref(model, words, zero)
        got = chk.call(decoder_step, model, words.clone(), (st[0].clone(), st[1].clone()), case=case,
                       cause="words is (batch,): embed it to (batch, embed_dim) and add a time axis of length 1, "
                             "(batch, 1, embed_dim), before model.lstm; pass the state as a tuple (h, c).")
        chk.expect(isinstance(got, (tuple, list)) and len(got) == 2, case=case,
                   what=f"expected a pair (logits, (h, c)), got {type(got).__name__}.",
                   cause="return both: the scores and the new state, in that order.")
        got_logits, got_state = got
        _state_pair(got_state, chk, case, "the returned state")
        if (isinstance(got_logits, torch.Tensor) and tuple(got_logits.shape) == tuple(logits.shape)
                and torch.allclose(got_logits.detach().double(), torch.softmax(logits, -1), atol=1e-8)):
            chk.fail(case, "the scores are probabilities (every row sums to 1): softmax applied.",
                     "return the raw scores of model.out (or their log_softmax): cross_entropy and sampling at a "
                     "temperature work on scores, and a softmax of probabilities is not the model's distribution.")
        with torch.no_grad():
            mistakes = {
                "the state is not passed to the LSTM (it starts from zeros): every step must continue from the "
                "previous step's (h, c), and the first step from the encoder's.": _log_softmax(logits0),
                "the logits are computed from the cell state c; the output layer reads the hidden state h.":
                    _log_softmax(c[0] @ model.out.weight.T + model.out.bias),
            }
        chk.expect_close(_log_softmax(got_logits), _log_softmax(logits), case=case,
                         name="logits (compared after log_softmax: raw scores and log-probabilities both pass)",
                         shape_meaning="(batch, vocab_size)", atol=1e-10, mistakes=mistakes,
                         shape_cause="take the output of the single time step, out[:, 0], before model.out.")
        for k, (name, expected) in enumerate((("h_next", h), ("c_next", c))):
            other = c if k == 0 else h
            chk.expect_close(got_state[k], expected, case=case, name=name, shape_meaning="(1, batch, hidden_dim)",
                             atol=1e-10, mistakes={
                                 "the state returned is the one passed in: return the NEW state that model.lstm "
                                 "gives back.": st[k],
                                 "h and c are swapped in the returned state: keep nn.LSTM's order (h, c).": other,
                                 "the state is not passed to the LSTM (it starts from zeros).": (h0, c0)[k],
                             })
    chk.done()


# --- Exercise 3 · caption_loss ---------------------------------------------------------------

def _loss_ref(model, images, captions):
    """Caption by caption on the real tokens only (no mask, no padding): mean over all target tokens."""
    h0, c0 = model.encoder(images)
    total, count = 0.0, 0
    for b in range(len(captions)):
        row = captions[b].tolist()
        n = row.index(EOS) + 1                                       # <bos> w_1 .. w_k <eos>
        state = (h0[:, b:b + 1], c0[:, b:b + 1])
        for t in range(n - 1):                                       # input row[t], target row[t + 1]
            logits, state = _lstm_step_ref(model, torch.tensor([row[t]]), state)
            total = total - torch.log_softmax(logits[0], dim=-1)[row[t + 1]]
            count += 1
    return total / count


def _loss_variants(model, images, captions):
    """{description: the value that mistake gives}."""
    V_ = model.out.out_features

    def run(inputs, state=None):
        hs, _ = model.lstm(model.embed(inputs), state)
        return model.out(hs)

    def ce(logits, targets, **kw):
        return F.cross_entropy(logits.reshape(-1, V_), targets.reshape(-1), **kw)

    state = model.encoder(images)
    inp, tgt = captions[:, :-1], captions[:, 1:]
    right = run(inp, state)
    mask = tgt != PAD
    per_tok = ce(right, tgt, reduction="none").reshape(tgt.shape)
    not_eos = mask & (tgt != EOS)
    in_mask = inp != PAD
    return {
        "the targets are not shifted: the target at step t must be the NEXT word, captions[:, 1:], while the "
        "input is captions[:, :-1]. As written the model learns to copy its input and to predict <bos>.":
            ce(right, inp, ignore_index=PAD),
        "the shift goes the wrong way: the inputs start with <bos> (captions[:, :-1]) and the targets are "
        "captions[:, 1:]; here <bos> is predicted as an output and the model reads the future.":
            ce(run(tgt, state), inp, ignore_index=PAD),
        "the padding is counted in the loss: pass ignore_index=PAD to F.cross_entropy (or mask the padded "
        "positions) so that only real target tokens count.": ce(right, tgt),
        "the encoder's output is not used to initialise the LSTM state: model.lstm(embedded, state) with "
        "state = model.encoder(images); without it the caption cannot depend on the image.":
            ce(run(inp), tgt, ignore_index=PAD),
        "the loss is summed over tokens instead of averaged: use the mean over the real target tokens.":
            (per_tok * mask).sum(),
        "the loss is averaged per caption first, then over captions: average over all real target tokens "
        "of the batch at once, so every word counts the same.":
            ((per_tok * mask).sum(1) / mask.sum(1)).mean(),
        "<eos> is left out of the targets: then the model never learns to stop.":
            (per_tok * not_eos).sum() / not_eos.sum(),
        "the padded positions are zeroed but still counted in the mean: (loss * mask).mean() divides by every "
        "position, padding included (the bug of d2l's older MaskedSoftmaxCELoss), so the loss shrinks as the "
        "batch's longest caption grows. Divide the masked sum by the number of real target tokens.":
            (per_tok * mask).sum() / mask.numel(),
        "the mask was built from the inputs captions[:, :-1] instead of the targets captions[:, 1:]: it is one "
        "position too long, so every caption shorter than the batch's longest also counts the <pad> after its "
        "<eos> as a target.": (per_tok * in_mask).sum() / in_mask.sum(),
    }


def check_caption_loss(caption_loss):
    """caption_loss(model, images (B, ...), captions (B, T) long) -> scalar tensor."""
    chk = Check("caption_loss", reference="a caption-by-caption cross-entropy on the unpadded words")
    model = reference_captioner(seed=2, scale=2.0)

    def caps(rows, T):
        out = torch.full((len(rows), T), PAD, dtype=torch.long)
        for i, r in enumerate(rows):
            out[i, :len(r) + 2] = torch.tensor([BOS, *r, EOS])
        return out

    cases = {
        "3 captions of lengths 4, 1 and 10 words": (_images(3, 4, 7), caps([[3, 5, 9, 13], [8], list(range(3, 13))], 12)),
        "batch of 1, no padding": (_images(1, 4, 8), caps([[3, 6, 10, 14]], 6)),
        "2 captions with extra padding columns": (_images(2, 4, 9), caps([[3, 4], [5, 6, 7]], 9)),
        "padding that would be expensive to predict": (_images(2, 4, 10), caps([[12, 12, 12, 12, 12, 12], [3]], 10)),
    }
    for case, (images, captions) in cases.items():
        with torch.no_grad():
            expected = _loss_ref(model, images, captions).item()
            mistakes = {d: torch.as_tensor(v).item() for d, v in _loss_variants(model, images, captions).items()}
        got = chk.call(caption_loss, model, images.clone(), captions.clone(), case=case,
                       cause="F.cross_entropy wants the scores as (N, vocab_size) against targets (N,): flatten the "
                             "batch and time axes of both first, or put the vocabulary on axis 1 with .transpose(1, 2).")
        chk.expect(isinstance(got, torch.Tensor), case=case,
                   what=f"expected a torch tensor, got {type(got).__name__}.",
                   cause="compute the loss with torch operations (F.cross_entropy), so that it can be backpropagated.")
        chk.expect(got.numel() == 1, case=case,
                   what=f"the loss should be one number, got a tensor of shape {fmt_shape(got.shape)}.",
                   cause="reduce to the mean over the real target tokens.")
        chk.expect(got.requires_grad, case=case, what="the loss does not depend on the model's weights through autograd.",
                   cause="it was computed under torch.no_grad(), or from .detach()ed / NumPy values.")
        chk.expect_close(got.detach().reshape(()), expected, case=case, name="the loss", atol=1e-8, mistakes=mistakes,
                         cause="inputs = captions[:, :-1], targets = captions[:, 1:], LSTM state from "
                               "model.encoder(images), mean cross-entropy over the non-padding targets.")
        # the gradient reaches the encoder: the caption depends on the image
        model.zero_grad()
        got.backward()
        grad = model.encoder.to_h.weight.grad
        chk.expect(grad is not None and float(grad.abs().sum()) > 0, case=case,
                   what="no gradient reaches the encoder's weights.",
                   cause="the LSTM must start from state = model.encoder(images).")
    model.zero_grad()
    chk.done()


# --- Exercise 4 · sample_next ---------------------------------------------------------------

def _freqs(ids, n_rows, reps, V_):
    ids = ids.reshape(n_rows, reps)
    return torch.stack([torch.bincount(r, minlength=V_)[:V_] for r in ids]).double() / reps


def check_sample_next(sample_next):
    """sample_next(logits (B, V), temperature, generator=None) -> (B,) long word ids."""
    chk = Check("sample_next", reference="the probabilities softmax(logits / temperature)")
    base = torch.tensor([[2.0, 1.0, 0.0, -1.0, 0.5],
                         [0.0, 0.0, 3.0, 0.0, 0.0],
                         [-1.0, 0.5, 0.2, 1.5, 1.0]], dtype=torch.float64)
    # temperature 0: greedy, exactly the argmax
    for case, logits in {"temperature 0 (greedy), batch of 3": base,
                         "temperature 0, batch of 1": base[2:3] * 5}.items():
        got = chk.call(sample_next, logits.clone(), 0.0, torch.Generator().manual_seed(0), case=case,
                       cause="temperature 0 means greedy: return the argmax, do not divide by 0.")
        chk.expect(isinstance(got, torch.Tensor), case=case, what=f"expected a torch tensor, got {type(got).__name__}.")
        chk.expect(not got.dtype.is_floating_point, case=case,
                   what=f"the ids have dtype {got.dtype}, expected integers (torch.long).",
                   cause="return word ids (an argmax or a torch.multinomial draw), not probabilities.")
        chk.expect_close(got, logits.argmax(dim=1), case=case, name="the ids", shape_meaning="(batch,)", atol=0,
                         shape_cause="one id per row: (batch,); squeeze the sample axis.",
                         cause="at temperature 0 take logits.argmax(dim=-1).")
    # temperature > 0: the frequencies of many draws match softmax(logits / T)
    reps = 6000
    for T in (1.0, 0.5, 2.0):
        case = f"temperature {T:g}, {reps} draws per row"
        logits = base.repeat_interleave(reps, dim=0)
        gen = torch.Generator().manual_seed(1)
        with torch.random.fork_rng():
            torch.manual_seed(2)            # a learner who ignores `generator` still gets reproducible draws
            got = chk.call(sample_next, logits.clone(), T, gen, case=case)
        chk.expect(isinstance(got, torch.Tensor), case=case, what=f"expected a torch tensor, got {type(got).__name__}.")
        chk.expect(tuple(got.shape) == (len(logits),), case=case,
                   what=f"the ids have shape {fmt_shape(got.shape)}, expected {fmt_shape((len(logits),))} = (batch,).",
                   cause="torch.multinomial(probs, 1) gives (batch, 1): squeeze the last axis."
                   if tuple(got.shape) == (len(logits), 1) else "return one id per row.")
        chk.expect(not got.dtype.is_floating_point, case=case,
                   what=f"the ids have dtype {got.dtype}, expected integers (torch.long).")
        chk.expect(bool(((got >= 0) & (got < base.shape[1])).all()), case=case,
                   what="some ids are outside 0 .. vocab_size - 1.")
        freq = _freqs(got.long(), len(base), reps, base.shape[1])
        expected = torch.softmax(base / T, dim=1)
        alternatives = {
            "the temperature multiplies the logits; it divides them: softmax(logits / temperature). A low "
            "temperature must sharpen the distribution.": torch.softmax(base * T, dim=1),
            "the temperature is ignored (or divides the probabilities after the softmax, which "
            "torch.multinomial undoes by normalising): sample from softmax(logits / temperature).":
                torch.softmax(base, dim=1),
            "always the argmax: at a temperature above 0, draw from the distribution (torch.multinomial).":
                F.one_hot(base.argmax(1), base.shape[1]).double(),
            "the temperature is squared: divide the logits by the temperature once.":
                torch.softmax(base / T ** 2, dim=1),
        }
        # 6000 draws: the standard error of a frequency is at most 0.0065; 0.03 is beyond 4.5 of them.
        tol = 0.03
        if (freq - expected).abs().max() > tol:
            named = [d for d, p in alternatives.items() if (freq - p).abs().max() <= tol and
                     (p - expected).abs().max() > tol]
            chk.fail(case, f"the frequencies of the drawn ids do not match softmax(logits / {T:g}): largest gap "
                           f"{(freq - expected).abs().max():.3f} (allowed {tol}); row 0 drew "
                           f"{np.round(freq[0].numpy(), 2).tolist()}, expected {np.round(expected[0].numpy(), 2).tolist()}.",
                     named[0] if named else "probs = softmax(logits / temperature), then torch.multinomial(probs, 1, "
                                            "generator=generator).")
        chk.cases.append(case)
    # the generator makes draws reproducible
    case = "the same generator seed gives the same draws"
    logits = base.repeat_interleave(50, dim=0)
    with torch.random.fork_rng():          # different global streams, the same generator seed
        torch.manual_seed(123)
        a = chk.call(sample_next, logits.clone(), 1.0, torch.Generator().manual_seed(7), case=case)
        torch.manual_seed(456)
        b = chk.call(sample_next, logits.clone(), 1.0, torch.Generator().manual_seed(7), case=case)
    chk.expect(torch.equal(torch.as_tensor(a), torch.as_tensor(b)), case=case,
               what="two calls with generators of the same seed drew different ids.",
               cause="pass the generator on: torch.multinomial(probs, 1, generator=generator).")
    chk.done(extra="frequencies of 6000 draws within 0.03 of the softmax at temperatures 0.5, 1, 2")


# --- Exercise 5 · generate ---------------------------------------------------------------

def _greedy_ref(model, images, max_len, zero_state=False, stop=True, feed_back=True):
    """Plain loop, one caption at a time. Returns a list of rows (lists of ids, <eos> included)."""
    h0, c0 = model.encoder(images)
    rows = []
    for b in range(len(images)):
        state = (h0[:, b:b + 1], c0[:, b:b + 1])
        if zero_state:
            state = (torch.zeros_like(state[0]), torch.zeros_like(state[1]))
        word, row = BOS, []
        for _ in range(max_len):
            logits, state = _lstm_step_ref(model, torch.tensor([word]), state)
            nxt = int(logits[0].argmax())
            row.append(nxt)
            if feed_back:
                word = nxt
            if stop and nxt == EOS:
                break
        rows.append(row)
    return rows


def _pad_rows(rows, stop_when_all_done=True, max_len=None):
    L = max(len(r) for r in rows) if stop_when_all_done else max_len
    out = torch.full((len(rows), L), PAD, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, :len(r)] = torch.tensor(r[:L])
    return out


def _generate_model():
    """A reference model whose greedy captions end at different steps (4, 7, 6 and 6 ids).

    Seed 125 and the <eos> bias 1.0 were found by a small search over seeds and biases; the
    <pad> and <bos> logits are pushed down, as training does, so that neither is ever chosen.
    tests/checks/test_checks_12.py asserts that the captions still end at different steps.
    """
    images = _images(4, 4, 11)
    model = reference_captioner(seed=125, scale=3.0)
    with torch.no_grad():
        model.out.bias[PAD] = -10.0
        model.out.bias[BOS] = -10.0
        model.out.bias[EOS] = 1.0
    return model, images


def _sample_ref(logits, temperature, generator=None):
    """The reference sampler: argmax at temperature 0, else one draw from softmax(logits / temperature)."""
    if temperature == 0:
        return logits.argmax(dim=-1)
    return torch.multinomial(torch.softmax(logits / temperature, dim=-1), 1, generator=generator).squeeze(1)


def _decode_ref(model, images, max_len, temperature=0.0, generator=None, sampler=None, *, zero_state=False,
                stop="all", pad_after=True, eos_to_pad=False, feed_back=True, update_state=True,
                only_unfinished=False, bos_out=False):
    """A batched decoding loop on the gate equations, with switches for the plausible mistakes.

    sampler(logits (B, V), temperature, generator) -> (B,) ids chooses the words (default: _sample_ref).
    only_unfinished: draw only for the rows that have not ended (a correct alternative: it uses the
    generator's random numbers differently). Returns (B, L) long ids.
    """
    sampler = sampler or _sample_ref
    state = model.encoder(images)
    if zero_state:
        state = (torch.zeros_like(state[0]), torch.zeros_like(state[1]))
    B = len(images)
    words = torch.full((B,), BOS, dtype=torch.long)
    done = torch.zeros(B, dtype=torch.bool)
    steps = [words] if bos_out else []
    for _ in range(max_len):
        logits, new_state = _lstm_step_ref(model, words, state)
        if update_state:
            state = new_state
        if only_unfinished:
            nxt = torch.full((B,), PAD, dtype=torch.long)
            if bool((~done).any()):
                nxt[~done] = torch.as_tensor(sampler(logits[~done], temperature, generator)).long().reshape(-1)
        else:
            nxt = torch.as_tensor(sampler(logits, temperature, generator)).long().reshape(-1)
        if eos_to_pad:                          # done updated first: the row's own <eos> becomes <pad>
            done = done | (nxt == EOS)
            nxt = torch.where(done, torch.full_like(nxt, PAD), nxt)
        else:
            if pad_after:
                nxt = torch.where(done, torch.full_like(nxt, PAD), nxt)
            done = done | (nxt == EOS)
        steps.append(nxt)
        if feed_back:
            words = nxt
        if (stop == "all" and bool(done.all())) or (stop == "any" and bool(done.any())):
            break
    return torch.stack(steps, dim=1)


GLOBAL_SEED = 1234      # the global torch generator's seed while the learner's code samples
GENERATOR_SEED = 3      # the seed of the generator handed to generate


def check_generate(generate, sample_next=None):
    """generate(model, images, max_len, temperature=0.0, generator=None) -> (B, L) long ids.

    Greedy cases are compared with a word-by-word loop, one caption at a time. Cases at a
    temperature of 1 and 2 are compared with a batched loop that calls `sample_next` (yours, when
    you pass it; else torch.multinomial) with a generator of the same seed, so the draws must
    be the same ones.
    """
    chk = Check("generate", reference="a reference decoding loop")
    model, images = _generate_model()
    max_len = 12
    cases = {
        "4 images whose captions end at different steps": (images, max_len),
        "batch of 1": (images[2:3], max_len),
        "max_len reached before <eos>": (images, 2),
    }
    for case, (imgs, L) in cases.items():
        with torch.no_grad():
            rows = _greedy_ref(model, imgs, L)
            expected = _pad_rows(rows)
            variant = lambda **kw: _decode_ref(model, imgs, L, **kw)   # noqa: E731
            mistakes = {
                "decoding never stops: after <eos> a caption must get only <pad>, and the loop ends as soon as "
                "every caption has produced <eos> (or after max_len steps).":
                    _pad_rows(_greedy_ref(model, imgs, L, stop=False), False, L),
                "the loop always runs max_len steps: stop as soon as every caption has produced <eos>.":
                    _pad_rows(rows, False, L),
                "the loop stops as soon as ANY caption has produced <eos>: the other captions are cut short. "
                "Stop when EVERY caption has ended (or after max_len steps).": variant(stop="any"),
                "a caption that has ended keeps getting words: after its <eos>, a row must get only <pad> "
                "(replace the chosen word of the rows that had already ended).": variant(pad_after=False),
                "each caption's own <eos> was replaced by <pad>: the rows are marked as ended before the padding "
                "is applied, so the step that writes <eos> is padded too. Pad the rows that ended at an EARLIER "
                "step, then mark the rows that wrote <eos> now.": variant(eos_to_pad=True),
                "the <bos> token is part of the output: the caption starts with the first word the model "
                "predicts after <bos>.": torch.cat([torch.full((len(imgs), 1), BOS), expected], dim=1),
                "the <eos> token is dropped: keep it, it marks where the caption ends.":
                    _pad_rows([[w for w in r if w != EOS] or [PAD] for r in rows]),
                "the encoder's output is not used to initialise the state: state = model.encoder(images) "
                "before the first step.": _pad_rows(_greedy_ref(model, imgs, L, zero_state=True)),
                "the state is not carried from step to step: every step starts again from the encoder's state. "
                "Keep the new state that decoder_step returns and pass it to the next step.":
                    variant(update_state=False),
                "the predicted word is not fed back: the input of step t + 1 is the word chosen at step t.":
                    _pad_rows(_greedy_ref(model, imgs, L, feed_back=False)),
            }
        got = chk.call(generate, model, imgs.clone(), L, 0.0, None, case=case)
        chk.expect(isinstance(got, torch.Tensor), case=case, what=f"expected a torch tensor, got {type(got).__name__}.",
                   cause="collect the chosen ids of every step and join them along a new axis 1 (torch.stack).")
        chk.expect_close(got, expected, case=case, name="the id tensor", shape_meaning="(batch, steps run)", atol=0,
                         mistakes=mistakes,
                         cause="start from model.encoder(images) and <bos>; at each step decoder_step, "
                               "sample_next, feed the chosen word back; <pad> after <eos>; stop when all have ended.")
    # a very low temperature samples what greedy picks: the temperature must divide the logits
    case = "temperature 1e-3 (nearly greedy)"
    with torch.no_grad():
        expected = _pad_rows(_greedy_ref(model, images, max_len))
    got = chk.call(generate, model, images.clone(), max_len, 1e-3, torch.Generator().manual_seed(0), case=case)
    chk.expect_close(got, expected, case=case, name="the id tensor", shape_meaning="(batch, steps run)", atol=0,
                     cause="pass temperature and generator on to sample_next; softmax(logits / 0.001) is nearly "
                           "one-hot, so the draws must equal the greedy caption. (A temperature that multiplies "
                           "the logits makes them nearly uniform instead.)")
    # temperatures 1 and 2: the draws of a seeded generator, passed on to sample_next
    sampler = sample_next if callable(sample_next) else _sample_ref
    for T in (1.0, 2.0):
        case = f"temperature {T:g}, a generator seeded with {GENERATOR_SEED}"

        def run(fn, *args, **kw):
            with torch.random.fork_rng():               # draws that ignore the generator come from here
                torch.manual_seed(GLOBAL_SEED)
                return fn(*args, **kw)

        def ref(temperature=T, gen=True, draw=sampler, **kw):
            g = torch.Generator().manual_seed(GENERATOR_SEED) if gen else None
            with torch.no_grad():
                return run(_decode_ref, model, images, max_len, temperature, g, draw, **kw)

        expected, unfinished_only = ref(), ref(only_unfinished=True)
        with torch.no_grad():
            mistakes = {
                f"these are the greedy captions: at temperature {T:g} generate must sample. Pass the temperature "
                f"on to sample_next (not 0.0, and no argmax of your own).": _pad_rows(_greedy_ref(model, images,
                                                                                                  max_len)),
                "the generator is not passed on to sample_next: its draws come from torch's global generator, so "
                "a seeded generator no longer makes the captions reproducible. Pass it on: "
                "sample_next(logits, temperature, generator).": ref(gen=False),
                "the generator is not passed on to sample_next (which then draws from torch's global generator).":
                    ref(gen=False, only_unfinished=True),
                "the temperature is not passed on: these captions were sampled at temperature 1.": ref(1.0),
                "the logits are divided by the temperature twice: sample_next divides them already, so give it "
                "the raw logits.": ref(draw=lambda z, t, g: sampler(z / t, t, g)),
            }
        mistakes = {d: v for d, v in mistakes.items() if not (v.shape == expected.shape and torch.equal(v, expected))}
        got = run(chk.call, generate, model, images.clone(), max_len, T, torch.Generator().manual_seed(GENERATOR_SEED),
                  case=case)
        chk.expect(isinstance(got, torch.Tensor), case=case, what=f"expected a torch tensor, got {type(got).__name__}.")
        if tuple(got.shape) == tuple(unfinished_only.shape) and torch.equal(got.long(), unfinished_only):
            expected = unfinished_only          # drawing only for the rows still writing is right too
        chk.expect_close(got, expected, case=case, name="the id tensor", shape_meaning="(batch, steps run)", atol=0,
                         mistakes=mistakes,
                         cause="at every step call sample_next(logits, temperature, generator) with the temperature "
                               "and the generator generate was given, and feed the drawn words back.")
    chk.done(extra="greedy: one caption at a time; at temperatures 1 and 2 it draws what "
                   + ("your sample_next" if callable(sample_next) else "torch.multinomial") + " draws with the same generator")
