"""Checks for 11_seq2seq: the encoder's last valid state, one decoder step, the teacher-forced loss, greedy decoding.

Token ids follow the notebook: ``PAD = 0``, ``BOS = 1`` (``<bos>``), ``EOS = 2`` (``<eos>``).
The references are independent of the learner's way of writing the code:

- the encoder is compared with the same ``torch.nn.LSTM`` run on each sequence alone,
  without any padding (float64);
- the decoder step with ``torch.nn.LSTMCell`` holding the same weights, its scores compared
  after log-softmax (so raw scores and log-probabilities are both accepted, the same rule as 12);
- the loss with a plain loop over every real target token of every sequence (running the
  decoder on all of ``tgt`` and dropping the last logits is accepted: the decoder is causal);
- greedy decoding with a scripted decoder whose every output is known in advance, and
  which notices when it is fed the wrong token, a stale state, or called too often.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .core import Check, CheckFailure, as_array, fmt_shape, parameters

__all__ = ["check_encode", "check_seq2seq_decoder_step", "check_teacher_forced_loss", "check_greedy_decode"]

PAD, BOS, EOS = 0, 1, 2


def _modules(seed, vocab, emb, hidden, out=None):
    """Float64 embedding (padding_idx=PAD), batch-first LSTM and optional output layer, seeded in private."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        embed = torch.nn.Embedding(vocab, emb, padding_idx=PAD, dtype=torch.float64)
        lstm = torch.nn.LSTM(emb, hidden, batch_first=True, dtype=torch.float64)
        layer = torch.nn.Linear(hidden, out, dtype=torch.float64) if out else None
        with torch.no_grad():  # larger weights than torch's default, so mistakes change the numbers clearly
            for p in lstm.parameters():
                p.mul_(3.0)
    return embed, lstm, layer


def _padded(seqs, extra=0):
    """list of lists of ids -> (batch, max_len + extra) long tensor padded with PAD, and lengths (batch,)."""
    lengths = torch.tensor([len(s) for s in seqs])
    out = torch.full((len(seqs), int(lengths.max()) + extra), PAD, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.tensor(s)
    return out, lengths


def _pair(value, what, chk, case, cause):
    """Unpack a learner's (a, b) return value or fail with a clear message."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        chk.fail(case, f"{what} should be a pair, got {type(value).__name__}"
                       + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else "") + ".", cause)
    return value


# --------------------------------------------------------------------- encode

def _encode_cases():
    rng = np.random.default_rng(1101)
    V = 9

    def seqs(lengths):
        return [list(rng.integers(3, V, size=n)) for n in lengths]

    return {  # (sequences, vocabulary, embedding size, hidden size, extra PAD columns after the longest row)
        "batch of 4, lengths 5, 2, 7, 4 (not sorted)": (seqs([5, 2, 7, 4]), V, 5, 6, 0),
        "batch of 1, no padding": (seqs([6]), V, 4, 3, 0),
        "a sequence of length 1 beside one of length 6": (seqs([1, 6]), V, 3, 5, 0),
        "batch of 3, all of length 3 (no padding at all)": (seqs([3, 3, 3]), V, 4, 4, 0),
        "batch of 2, lengths 3 and 2, src 5 wide (two columns of PAD after the longest row)":
            (seqs([3, 2]), V, 4, 3, 2),
    }


def _lstm_alone(embed, lstm, seq):
    """The reference: the LSTM run on one sequence alone, no padding. Returns outputs (n, H), h (H,), c (H,)."""
    with torch.no_grad():
        out, (h, c) = lstm(embed(torch.tensor(seq)[None]))
    return out[0], h[0, 0], c[0, 0]


def check_encode(encode):
    """Check encode(embed, lstm, src, lengths) -> (outputs, (h_n, c_n)): the state at each sequence's last valid step."""
    chk = Check("encode", reference="the LSTM run on each sequence alone, without padding")
    for k, (case, (seqs, V, E, H, extra)) in enumerate(_encode_cases().items()):
        embed, lstm, _ = _modules(110 + k, V, E, H)
        src, lengths = _padded(seqs, extra)
        B, S = src.shape
        got = chk.call(encode, embed, lstm, src.clone(), lengths.clone(), case=case,
                       cause="the LSTM is batch-first and wants embedded vectors, and pack_padded_sequence wants "
                             "the lengths on the CPU and, as they are not sorted here, its enforce_sorted argument "
                             "(read its docstring); the LSTM accepts the packed batch as it is.")
        outputs, state = _pair(got, "encode's return value", chk, case,
                               "return outputs and the final state as the LSTM does: `return outputs, (h_n, c_n)`.")
        h_n, c_n = _pair(state, "the state (second item of the return value)", chk, case,
                         "the state is the pair (h_n, c_n), each of shape (1, batch, hidden_dim).")
        ref = [_lstm_alone(embed, lstm, s) for s in seqs]
        want_h = torch.stack([r[1] for r in ref])[None]
        want_c = torch.stack([r[2] for r in ref])[None]
        with torch.no_grad():
            pad_out, (pad_h, pad_c) = lstm(embed(src))
        at_padding = "the state was taken after the padding (the end of the padded batch) instead of at each " \
                     "sequence's own last step. Pack the batch (pack_padded_sequence) so the LSTM stops at each length."
        mistakes_h = {at_padding: pad_h,
                      "h_n is the output one step before the last valid one: the last valid index is lengths - 1.":
                          lambda: torch.stack([pad_out[b, max(int(n) - 2, 0)] for b, n in enumerate(lengths)])[None],
                      "the state has lost its leading layer axis: h_n should be (1, batch, hidden_dim), as nn.LSTM "
                      "returns it.": want_h[0],
                      "the states are in the order of the sorted lengths: pass enforce_sorted=False (torch then "
                      "puts them back in batch order), or undo your sort.":
                          lambda: want_h[:, torch.argsort(lengths, descending=True, stable=True)]}
        shape = "(1, batch, hidden_dim)"
        chk.expect_close(h_n, want_h, case=case, name="h_n", shape_meaning=shape, atol=1e-9, mistakes=mistakes_h,
                         cause="compare with the LSTM run on each sequence alone: h_n[0, b] must be the state "
                               "after token lengths[b] - 1 of sequence b.")
        chk.expect_close(c_n, want_c, case=case, name="c_n", shape_meaning=shape, atol=1e-9,
                         mistakes={"c_n was taken after the padding although h_n is right: a gather of the outputs "
                                   "gives h only. Pack the batch so that the LSTM itself stops at each length and "
                                   "returns the right c_n.": pad_c,
                                   "c_n holds h_n: the LSTM's state is (h, c), two different vectors.": want_h},
                         cause="c_n[0, b] must be the cell state after token lengths[b] - 1 of sequence b.")
        out = as_array(outputs)
        n_max = int(lengths.max())
        if out is not None and S > n_max and out.shape == (B, n_max, H):
            chk.fail(case, f"outputs has shape {fmt_shape(out.shape)}, expected {fmt_shape((B, S, H))} = "
                           f"(batch, src_len, hidden_dim): it stops at the longest row ({n_max}), but src is {S} wide.",
                     "unpacking pads only up to the longest row unless it is told the width to restore: "
                     "pad_packed_sequence has an argument for that (total_length), so outputs line up with src.")
        chk.expect(out is not None and out.shape == (B, S, H), case=case,
                   what=f"outputs has shape {fmt_shape(out.shape) if out is not None else type(outputs).__name__}, "
                        f"expected {fmt_shape((B, S, H))} = (batch, src_len, hidden_dim).",
                   cause="unpack the LSTM's packed outputs (pad_packed_sequence, batch first) to one padded tensor "
                         "as wide as src: every position of the batch, zeros after each row's end.")
        for b, (o, _, _) in enumerate(ref):
            n = int(lengths[b])
            chk.expect_close(out[b, :n], o, case=case, name=f"outputs[{b}, :{n}] (the valid steps of sequence {b})",
                             atol=1e-9, cause="the outputs at the valid steps are the LSTM's hidden states h_1 ... h_n.")
    chk.done()


# --------------------------------------------------------------- decoder_step

def _cell_step(embed, lstm, layer, y_prev, h, c):
    """Reference: torch.nn.LSTMCell with the LSTM's weights, then the output layer."""
    cell = torch.nn.LSTMCell(lstm.input_size, lstm.hidden_size, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(lstm.weight_ih_l0)
        cell.weight_hh.copy_(lstm.weight_hh_l0)
        cell.bias_ih.copy_(lstm.bias_ih_l0)
        cell.bias_hh.copy_(lstm.bias_hh_l0)
        h_next, c_next = cell(embed(y_prev), (h, c))
        return layer(h_next), h_next, c_next


def _log_softmax(a):
    a = np.asarray(a, dtype=np.float64)
    m = a.max(axis=-1, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis=-1, keepdims=True))


def _captioning_style(fn) -> bool:
    """True when fn has notebook 12's signature decoder_step(model, words, state)."""
    found = parameters(fn)
    return found is not None and (len(found[0]) == 3 or {"model", "words"} <= found[1])


def check_seq2seq_decoder_step(decoder_step):
    """Check decoder_step(embed, lstm, out_layer, y_prev, state) -> (logits, (h, c)) against torch.nn.LSTMCell."""
    chk = Check("decoder_step", reference="torch.nn.LSTMCell", check_name="check_seq2seq_decoder_step")
    if callable(decoder_step) and _captioning_style(decoder_step):
        chk.fail(None, "your decoder_step takes (model, words, state): that is notebook 12's decoder step. "
                       "check_seq2seq_decoder_step is notebook 11's check, and it calls "
                       "decoder_step(embed, lstm, out_layer, y_prev, state) with the three parts passed apart.",
                 "in notebook 12, check your decoder_step with check_decoder_step; in notebook 11, write "
                 "decoder_step(embed, lstm, out_layer, y_prev, state) (Exercise 2).")
    rng = np.random.default_rng(1102)
    cases = {"batch of 3, a non-zero state": (3, 7, 4, 5, 0.8),
             "batch of 1": (1, 6, 3, 4, 0.8),
             "zero state (the first step of a decoder started from nothing)": (2, 5, 4, 3, 0.0),
             "hidden_dim = embedding size": (4, 8, 4, 4, 0.8)}
    for k, (case, (B, V, E, H, scale)) in enumerate(cases.items()):
        embed, lstm, layer = _modules(120 + k, V, E, H, out=V)
        y_prev = torch.as_tensor(rng.integers(1, V, size=B))
        h = torch.as_tensor(rng.normal(0, scale, size=(1, B, H)))
        c = torch.as_tensor(rng.normal(0, 2 * scale, size=(1, B, H)))
        got = chk.call(decoder_step, embed, lstm, layer, y_prev.clone(), (h.clone(), c.clone()), case=case,
                       cause="y_prev is (batch,) token ids, and a batch_first LSTM wants (batch, time, emb): "
                             "one step is a time axis of length 1, at position 1; the LSTM also takes the state.")
        logits, state = _pair(got, "decoder_step's return value", chk, case,
                              "return the logits and the new state: `return logits, (h, c)`.")
        h_new, c_new = _pair(state, "the new state", chk, case, "the state is the pair (h, c).")
        want, want_h, want_c = _cell_step(embed, lstm, layer, y_prev, h[0], c[0])
        with torch.no_grad():
            zero_logits, _, _ = _cell_step(embed, lstm, layer, y_prev, 0 * h[0], 0 * c[0])
            from_c = layer(want_c)
        got_logits = as_array(logits)
        if got_logits is not None and got_logits.shape == tuple(want.shape):
            probs = want.softmax(-1).numpy()
            chk.expect(not np.allclose(got_logits, probs, atol=1e-8), case=case,
                       what="logits are probabilities (they sum to 1 in every row).",
                       cause="return the raw scores of out_layer (or their log_softmax, which is accepted too); "
                             "cross_entropy applies log-softmax itself, so probabilities would be squashed twice.")
        # scores and log-probabilities are both accepted: compared after log-softmax, which leaves log-probs as they are
        chk.expect_close(_log_softmax(got_logits) if got_logits is not None and got_logits.ndim >= 1 else got_logits,
                         _log_softmax(want.numpy()), case=case, name="logits (compared after log-softmax)",
                         shape_meaning="(batch, vocab)", atol=1e-9,
                         mistakes={"the state passed in was ignored (the LSTM started from zeros): "
                                   "call lstm(x, state).": _log_softmax(zero_logits.numpy()),
                                   "out_layer was applied to the cell state c; the prediction is made from h.":
                                       _log_softmax(from_c.numpy())},
                         shape_cause="logits are (batch, vocab): the LSTM's output still has its time axis of "
                                     "length 1; drop it before out_layer.",
                         cause="logits = out_layer(h_next), where h_next is the LSTM's output for this one step.")
        for name, value, ref, old in [("h", h_new, want_h[None], h), ("c", c_new, want_c[None], c)]:
            chk.expect_close(value, ref, case=case, name=f"the new state's {name}", shape_meaning="(1, batch, hidden_dim)",
                             atol=1e-9,
                             mistakes={f"the state returned is the one passed in: return the LSTM's new state, "
                                       f"so the next step continues from it.": old},
                             cause="return the (h, c) that lstm(x, state) returns.")
    chk.done()


# -------------------------------------------------------- teacher_forced_loss

class _Recorder:
    """A small float64 LSTM decoder (ids -> logits) that records what it was given."""

    def __init__(self, seed, V, E=4, H=5):
        self.embed, self.lstm, self.layer = _modules(seed, V, E, H, out=V)
        self.inputs = []

    def __call__(self, dec_in):
        self.inputs.append(dec_in.detach().clone() if isinstance(dec_in, torch.Tensor) else dec_in)
        return self.logits(dec_in)

    def logits(self, dec_in):
        """The decoder's logits (batch, T, V) for dec_in (batch, T), without recording the call."""
        out, _ = self.lstm(self.embed(dec_in))
        return self.layer(out)

    def params(self):
        return list(self.embed.parameters()) + list(self.lstm.parameters()) + list(self.layer.parameters())


def _loss_cases():
    rng = np.random.default_rng(1103)
    V = 8

    def tgt(lengths):  # each target: <bos> y_1 ... y_n <eos>
        return [[BOS] + list(rng.integers(3, V, size=n)) + [EOS] for n in lengths]

    return {
        "batch of 3, target lengths 4, 1, 6 (padded)": (tgt([4, 1, 6]), V),
        "batch of 1, no padding": (tgt([5]), V),
        "an empty target (<bos> <eos>) beside a long one": (tgt([0, 7]), V),
        "batch of 4, two rows padded": (tgt([3, 3, 6, 2]), V),
    }


def _loss_reference(logits_of, tgt_rows):
    """Mean over every real target token y_{t+1} of -log p(y_{t+1} | <bos> y_1 .. y_t), by a loop."""
    total, count = 0.0, 0
    per_seq = []
    for row in tgt_rows:
        logits = logits_of(row)  # (len(row) - 1, V) for the inputs row[:-1]
        logp = _log_softmax(logits)
        nll = [-logp[t, row[t + 1]] for t in range(len(row) - 1)]
        total += sum(nll)
        count += len(nll)
        per_seq.append(np.mean(nll))
    return total / count, per_seq


def check_teacher_forced_loss(teacher_forced_loss):
    """Check teacher_forced_loss(decoder_logits, tgt) -> scalar: inputs tgt[:, :-1], targets tgt[:, 1:], PAD masked."""
    chk = Check("teacher_forced_loss", reference="a loop over every real target token")
    for k, (case, (rows, V)) in enumerate(_loss_cases().items()):
        dec = _Recorder(130 + k, V)
        tgt, lengths = _padded(rows)

        def logits_of(row, dec=dec):
            with torch.no_grad():
                out, _ = dec.lstm(dec.embed(torch.tensor(row[:-1])[None]))
                return dec.layer(out)[0].numpy()

        want, per_seq = _loss_reference(logits_of, rows)
        got = chk.call(teacher_forced_loss, dec, tgt.clone(), case=case,
                       cause="decoder_logits takes (batch, T) ids and returns (batch, T, vocab) logits; "
                             "cross_entropy wants the scores as (N, vocab) and the targets as (N,).")
        # what was the decoder given?
        chk.expect(len(dec.inputs) >= 1, case=case, what="decoder_logits was never called.",
                   cause="the loss must come from the decoder's logits: logits = decoder_logits(tgt[:, :-1]).")
        given = dec.inputs[-1]
        T = tgt.shape[1]
        # The decoder is causal: its logits for tgt[:, :-1] are the first T - 1 of its logits for the whole tgt.
        # So feeding all of tgt and dropping the last logits is a correct alternative; the value decides.
        whole = isinstance(given, torch.Tensor) and given.shape == tgt.shape and torch.equal(given, tgt)
        if isinstance(given, torch.Tensor) and given.shape == (tgt.shape[0], T - 1) and torch.equal(given, tgt[:, 1:]):
            chk.fail(case, "the decoder was given tgt[:, 1:], which starts after <bos>.",
                     "shifted the wrong way: the decoder's input is tgt[:, :-1] (starting with <bos>) and its "
                     "targets are tgt[:, 1:] (ending with <eos>).")
        chk.expect(whole or (isinstance(given, torch.Tensor) and given.shape == (tgt.shape[0], T - 1)
                             and torch.equal(given, tgt[:, :-1])), case=case,
                   what=f"the decoder was given ids of shape "
                        f"{fmt_shape(given.shape) if isinstance(given, torch.Tensor) else type(given).__name__}"
                        f", expected tgt[:, :-1] of shape {fmt_shape((tgt.shape[0], T - 1))}.",
                   cause="teacher forcing: the decoder's input at step t is the true token t (starting with <bos>).")
        chk.expect(isinstance(got, torch.Tensor), case=case,
                   what=f"the loss is a {type(got).__name__}, expected a torch tensor.",
                   cause="return the tensor itself (not .item() or a float), so loss.backward() can train the model.")
        chk.expect(got.dim() == 0, case=case, what=f"the loss has shape {fmt_shape(got.shape)}, expected a scalar ().",
                   cause="average the per-token losses into one number.")
        chk.expect(got.requires_grad, case=case, what="the loss does not require a gradient: it cannot train anything.",
                   cause="compute it with torch operations on the logits, without .detach(), .item() or NumPy.")
        with torch.no_grad():
            logits = dec.logits(tgt[:, :-1]).numpy()
            logits_whole = dec.logits(tgt).numpy()
        logp = _log_softmax(logits)
        target = tgt[:, 1:].numpy()
        nll = -np.take_along_axis(logp, target[..., None], axis=-1)[..., 0]
        real = target != PAD
        same_as_input = -np.take_along_axis(logp, tgt[:, :-1].numpy()[..., None], axis=-1)[..., 0]
        in_mask = tgt[:, :-1].numpy() != PAD
        # all of tgt fed, the first logits dropped: the logits after reading y_t are asked for y_t itself
        echo = -np.take_along_axis(_log_softmax(logits_whole[:, 1:]), target[..., None], axis=-1)[..., 0]
        chk.expect_close(got, want, case=case, name="the loss", atol=1e-9, mistakes={
            "padding is in the loss: the mean runs over every position, PAD targets included. Mask them out "
            "(mask = targets != PAD) and divide by the number of real tokens.": nll.mean(),
            "d2l's padding bug: the PAD positions are zeroed but the mean still divides by every position, padding "
            "included, as the MaskedSoftmaxCELoss of the older (0.x) editions of d2l does. Divide the masked sum "
            "by the number of real target tokens (the mask's sum).": (nll * real).mean(),
            "the targets are not shifted: at each step the decoder is asked for the token it was just given "
            "(the first target is <bos>). The targets are tgt[:, 1:].": (same_as_input * in_mask).sum() / in_mask.sum(),
            "the decoder read all of tgt and its first logits were dropped, so the logits after reading y_t are "
            "asked for y_t itself. Keep the logits of the first T - 1 steps (the last ones, after <eos>, are the "
            "ones no target needs).": (echo * real).sum() / real.sum(),
            "<eos> is left out of the loss: the model must learn to predict <eos>, or decoding never stops.":
                (nll * (real & (target != EOS))).sum() / max((real & (target != EOS)).sum(), 1),
            "the loss is summed, not averaged over the real tokens.": (nll * real).sum(),
            "the loss is averaged per sequence, then over the batch: average over all real target tokens, "
            "so every token counts the same.": float(np.mean(per_seq)),
            "the mask was built from the inputs tgt[:, :-1] instead of the targets tgt[:, 1:]: the step that "
            "reads <eos> counts too, so every padded row puts one PAD target into the loss. The mask says which "
            "targets are real: tgt[:, 1:] != PAD.":
                (nll * in_mask).sum() / in_mask.sum(),
        }, cause="the loss is the mean of -log p(target token) over the positions where tgt[:, 1:] != PAD.")
        for p in dec.params():
            p.grad = None
        try:
            got.backward()
        except RuntimeError as e:
            chk.fail(case, f"loss.backward() failed: {e}", "keep the loss connected to the decoder's logits.")
        chk.expect(any(p.grad is not None and bool(torch.any(p.grad != 0)) for p in dec.params()), case=case,
                   what="loss.backward() gives no gradient to the decoder's weights.",
                   cause="compute the loss from the logits decoder_logits returned, with torch operations.")
    chk.done()


# -------------------------------------------------------------- greedy_decode

class _Scripted:
    """A decoder step whose outputs are fixed in advance: row b emits script[b][k] at its step k.

    The step counter travels in the state (h holds it), so a decoder fed a stale state
    repeats itself; a decoder fed another token than its last prediction emits a wrong
    token; after a row's script ends it keeps emitting non-<eos> filler tokens, as a
    real model may. It counts its calls and refuses to run past a limit.
    """

    def __init__(self, scripts, V, limit):
        self.scripts, self.V, self.limit = scripts, V, limit
        self.calls = 0
        self.stale = False
        self.wrong_feed = None  # (step, row, fed, expected)
        self.bad_batch = None

    def initial_state(self):
        B = len(self.scripts)
        return torch.zeros(1, B, 3, dtype=torch.float64), torch.ones(1, B, 3, dtype=torch.float64)

    def __call__(self, y_prev, state):
        self.calls += 1
        if self.calls > self.limit:
            raise _TooManySteps(self.calls)
        h, c = state
        y_prev = torch.as_tensor(y_prev)
        B = len(self.scripts)
        if y_prev.shape != (B,):
            self.bad_batch = tuple(y_prev.shape)
            raise ValueError(f"y_prev should be (batch,) = ({B},) token ids, got shape {tuple(y_prev.shape)}")
        k = h[0, :, 0].round().long()
        if int(k.max()) < self.calls - 1:
            self.stale = True
        logits = torch.zeros(B, self.V, dtype=torch.float64)
        for b in range(B):
            step = int(k[b])
            script = self.scripts[b]
            expected_prev = BOS if step == 0 else (script[step - 1] if step - 1 < len(script) else None)
            if expected_prev is not None and int(y_prev[b]) != expected_prev and self.wrong_feed is None \
                    and (step == 0 or EOS not in script[:step]):
                self.wrong_feed = (step, b, int(y_prev[b]), expected_prev)
            if step < len(script) and (expected_prev is None or int(y_prev[b]) == expected_prev):
                tok = script[step]
            elif step < len(script):
                tok = 3 + (int(y_prev[b]) * 5 + step) % (self.V - 3)  # fed the wrong token: say something else
            else:
                tok = 3 + (b + step) % (self.V - 3)  # after the script: filler, never <eos>
            logits[b, tok] = 4.0
            logits[b] += 0.01 * torch.arange(self.V, dtype=torch.float64) / self.V  # no ties, ids > tok lose anyway
        return logits, (h + 1, c)


class _TooManySteps(Exception):
    pass


def _decode_cases():
    return {
        "3 rows ending with <eos> after 3, 5 and 2 tokens": ([[4, 5, EOS], [6, 6, 7, 4, EOS], [5, EOS]], 9, 8),
        "a row that never emits <eos> (stop at max_len = 6)": ([[4, EOS], [5, 6, 7, 8, 4, 5, 6, 7]], 9, 6),
        "batch of 1, <eos> at once": ([[EOS]], 6, 5),
        "batch of 2, both end after 4 tokens": ([[3, 4, 5, EOS], [5, 4, 3, EOS]], 7, 10),
    }


def _expected_decode(scripts, max_len):
    ends = [s.index(EOS) + 1 if EOS in s[:max_len] else max_len for s in scripts]
    L = max(ends)
    out = np.full((len(scripts), L), PAD, dtype=np.int64)
    for b, s in enumerate(scripts):
        out[b, :ends[b]] = s[:ends[b]]
    return out


def check_greedy_decode(greedy_decode):
    """Check greedy_decode(step, state, batch_size, max_len) -> (batch, L) token ids, <eos> then PAD, L <= max_len."""
    chk = Check("greedy_decode", reference="a scripted decoder with known outputs")
    for case, (scripts, V, max_len) in _decode_cases().items():
        dec = _Scripted(scripts, V, limit=max_len + 3)
        want = _expected_decode(scripts, max_len)
        L = want.shape[1]
        try:
            got = chk.call(greedy_decode, dec, dec.initial_state(), len(scripts), max_len, case=case,
                           cause="step(y_prev, state) takes (batch,) ids and returns (logits (batch, vocab), state).")
        except CheckFailure as failure:
            cause = failure.__cause__
            if isinstance(cause, _TooManySteps):
                chk.fail(case, f"decoding never stops: step was called more than {max_len + 3} times with "
                               f"max_len = {max_len}.",
                         "loop at most max_len times, and stop earlier once every row has produced <eos>.")
            if dec.bad_batch is not None:
                chk.fail(case, f"step was called with y_prev of shape {dec.bad_batch}, expected ({len(scripts)},).",
                         "y_prev holds one id per row, (batch,): <bos> for every row at the first step, then each "
                         "row's own most likely token (the argmax over the vocabulary axis).")
            raise
        arr = as_array(got)
        chk.expect(arr is not None and arr.ndim == 2 and arr.shape[0] == len(scripts), case=case,
                   what=f"the result has shape {fmt_shape(arr.shape) if arr is not None else type(got).__name__}, "
                        f"expected (batch, steps) = {fmt_shape(want.shape)}.",
                   cause="put the (batch,) ids of the steps side by side along a new axis 1, giving (batch, steps).")
        chk.expect(not (arr.shape[1] >= 1 and np.all(arr[:, 0] == BOS)), case=case,
                   what="the result starts with <bos> in every row.",
                   cause="<bos> is the decoder's first input, never an output: return only the predicted tokens.")
        if dec.stale:
            chk.fail(case, "step was given a stale state: the decoder started over instead of continuing.",
                     "pass on the state that step returns: `logits, state = step(y, state)`.")
        if dec.wrong_feed is not None:
            s, b, fed, exp = dec.wrong_feed
            chk.fail(case, f"at step {s} row {b} was fed token {fed}, but the decoder's previous prediction was {exp}.",
                     "greedy decoding feeds back its own prediction: y = logits.argmax(-1), then step(y, state).")
        chk.expect(arr.shape[1] <= max_len, case=case,
                   what=f"the result has {arr.shape[1]} steps, more than max_len = {max_len}.",
                   cause="stop after max_len steps even if some row has not produced <eos>.")
        if arr.shape[1] > L:
            chk.fail(case, f"decoding did not stop when every row had produced <eos>: it ran {dec.calls} steps, "
                           f"all rows had finished after {L}.",
                     "stop the loop as soon as every row is finished; a long batch would otherwise always run "
                     "to max_len.")
        chk.expect(arr.shape[1] == L, case=case,
                   what=f"the result has {arr.shape[1]} steps, expected {L}.",
                   cause=f"decode until every row has produced <eos>, or max_len = {max_len} steps.")
        for b in range(len(scripts)):
            row, exp = arr[b], want[b]
            if not np.array_equal(row, exp):
                n = int(np.argmax(row != exp))
                after_eos = EOS in list(exp[:n])
                own_eos_lost = exp[n] == EOS and row[n] == PAD
                if own_eos_lost:
                    cause = ("the row's own <eos> was replaced by PAD: the row was marked finished by the <eos> it "
                             "had just predicted, before that <eos> was written down. A row counts as finished "
                             "only from the step after its <eos>: write the step's tokens first, then update "
                             "which rows are finished.")
                elif after_eos:
                    cause = ("a row keeps writing after its <eos>: once a row is finished, its later positions "
                             "must be PAD (0), whatever the decoder predicts for it.")
                else:
                    cause = "each step takes the argmax of the logits and feeds it back."
                chk.fail(case, f"row {b} is {row.tolist()}, expected {exp.tolist()} (first difference at step {n}).",
                         cause)
        chk.expect(dec.calls == L, case=case,
                   what=f"step was called {dec.calls} times for a result of {L} steps.",
                   cause="call step once per output position.")
    chk.done()

