"""Tests of the checks of 11_seq2seq: the solution passes, the stub is "not attempted",
and plausible wrong answers fail with a message that names the mistake."""

import pytest
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from utils.checks import (CheckFailure, check_encode, check_greedy_decode, check_seq2seq_decoder_step,
                          check_teacher_forced_loss)

PAD, BOS, EOS = 0, 1, 2


# ------------------------------------------------------------------ solutions

def encode(embed, lstm, src, lengths):
    packed = pack_padded_sequence(embed(src), lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, (h_n, c_n) = lstm(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
    return out, (h_n, c_n)


def decoder_step(embed, lstm, out_layer, y_prev, state):
    out, state = lstm(embed(y_prev)[:, None], state)
    return out_layer(out[:, 0]), state


def teacher_forced_loss(decoder_logits, tgt):
    dec_in, target = tgt[:, :-1], tgt[:, 1:]
    logits = decoder_logits(dec_in)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=PAD)


def greedy_decode(step, state, batch_size, max_len):
    y = torch.full((batch_size,), BOS, dtype=torch.long)
    finished = torch.zeros(batch_size, dtype=torch.bool)
    tokens = []
    for _ in range(max_len):
        logits, state = step(y, state)
        y = torch.where(finished, torch.full_like(y, PAD), logits.argmax(-1))
        tokens.append(y)
        finished = finished | (y == EOS)
        if finished.all():
            break
    return torch.stack(tokens, dim=1)


def stub(*args, **kwargs):
    raise NotImplementedError()


def _fails(check, fn, *fragments):
    with pytest.raises(AssertionError) as info:
        check(fn)
    assert isinstance(info.value, CheckFailure)
    msg = str(info.value)
    for fragment in fragments:
        assert fragment in msg, msg
    return msg


@pytest.mark.parametrize("check, solution", [(check_encode, encode),
                                             (check_seq2seq_decoder_step, decoder_step),
                                             (check_teacher_forced_loss, teacher_forced_loss),
                                             (check_greedy_decode, greedy_decode)])
def test_solution_passes(check, solution, capsys):
    check(solution)
    assert capsys.readouterr().out.startswith("✓ ")


@pytest.mark.parametrize("check", [check_encode, check_seq2seq_decoder_step, check_teacher_forced_loss,
                                   check_greedy_decode])
def test_stub_is_not_attempted(check):
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check(stub)


# --------------------------------------------------------------------- encode

def test_encode_gather_alternative_passes_for_h_but_names_c(capsys):
    def gather(embed, lstm, src, lengths):  # the gather gives the right h_n but c_n from the padded end
        out, (h, c) = lstm(embed(src))
        h_n = out[torch.arange(len(src)), lengths - 1][None]
        return out, (h_n, c)
    _fails(check_encode, gather, "c_n was taken after the padding although h_n is right")


def test_encode_state_at_padded_end():
    def padded(embed, lstm, src, lengths):
        return lstm(embed(src))
    _fails(check_encode, padded, 'case "batch of 4', "the state was taken after the padding")


def test_encode_last_output_column():
    def last_column(embed, lstm, src, lengths):
        out, (h, c) = lstm(embed(src))
        return out, (out[:, -1][None], c)
    _fails(check_encode, last_column, "the state was taken after the padding")


def test_encode_off_by_one():
    def early(embed, lstm, src, lengths):
        out, (h, c) = encode(embed, lstm, src, lengths)
        return out, (out[torch.arange(len(src)), (lengths - 2).clamp(min=0)][None], c)
    _fails(check_encode, early, "one step before the last valid one")


def test_encode_enforce_sorted():
    def sorted_only(embed, lstm, src, lengths):
        packed = pack_padded_sequence(embed(src), lengths, batch_first=True)
        out, state = lstm(packed)
        return pad_packed_sequence(out, batch_first=True)[0], state
    _fails(check_encode, sorted_only, "your function raised RuntimeError", "enforce_sorted=False")


def test_encode_sorted_not_restored():
    def sorted_batch(embed, lstm, src, lengths):
        order = torch.argsort(lengths, descending=True, stable=True)
        return encode(embed, lstm, src[order], lengths[order])
    _fails(check_encode, sorted_batch, "in the order of the sorted lengths")


def test_encode_no_layer_axis():
    def squeezed(embed, lstm, src, lengths):
        out, (h, c) = encode(embed, lstm, src, lengths)
        return out, (h[0], c[0])
    _fails(check_encode, squeezed, "h_n has shape (4, 6), expected (1, 4, 6)", "lost its leading layer axis")


def test_encode_outputs_cut_short():
    def short(embed, lstm, src, lengths):
        packed = pack_padded_sequence(embed(src), lengths, batch_first=True, enforce_sorted=False)
        out, state = lstm(packed)
        return pad_packed_sequence(out, batch_first=True)[0][:, :-1], state
    _fails(check_encode, short, "outputs has shape", "as wide as src")


def test_encode_without_total_length():
    """Unpacked without total_length, outputs stop at the longest row: caught on src with trailing PAD columns."""
    def no_total_length(embed, lstm, src, lengths):
        packed = pack_padded_sequence(embed(src), lengths, batch_first=True, enforce_sorted=False)
        out, state = lstm(packed)
        return pad_packed_sequence(out, batch_first=True)[0], state
    _fails(check_encode, no_total_length, "two columns of PAD", "outputs has shape (2, 3, 3), expected (2, 5, 3)",
           "total_length")


def test_encode_crash_cause_does_not_give_the_answer():
    def crash(embed, lstm, src, lengths):
        raise TypeError("something went wrong")
    msg = _fails(check_encode, crash, "your function raised TypeError", "enforce_sorted")
    for line in ("batch_first=True, enforce_sorted=False", "total_length=src.shape[1]", "pack_padded_sequence(x"):
        assert line not in msg, msg


def test_encode_returns_only_state():
    _fails(check_encode, lambda e, l, s, n: encode(e, l, s, n)[1][0], "should be a pair")


# --------------------------------------------------------------- decoder_step

def test_step_state_ignored():
    def fresh(embed, lstm, out_layer, y_prev, state):
        out, new = lstm(embed(y_prev)[:, None])
        return out_layer(out[:, 0]), new
    _fails(check_seq2seq_decoder_step, fresh, 'case "batch of 3', "the state passed in was ignored")


def test_step_softmax():
    def probs(embed, lstm, out_layer, y_prev, state):
        logits, state = decoder_step(embed, lstm, out_layer, y_prev, state)
        return logits.softmax(-1), state
    _fails(check_seq2seq_decoder_step, probs, "logits are probabilities")


def test_step_log_softmax_is_fine(capsys):
    """The course's rule (11 and 12): a decoder step may return raw scores or their log_softmax."""
    def log_probs(embed, lstm, out_layer, y_prev, state):
        logits, state = decoder_step(embed, lstm, out_layer, y_prev, state)
        return logits.log_softmax(-1), state
    check_seq2seq_decoder_step(log_probs)  # the same prediction and the same loss: accepted
    assert capsys.readouterr().out.startswith("✓ ")


def test_step_probabilities_say_log_softmax_is_accepted():
    def probs(embed, lstm, out_layer, y_prev, state):
        logits, state = decoder_step(embed, lstm, out_layer, y_prev, state)
        return logits.softmax(-1), state
    _fails(check_seq2seq_decoder_step, probs, "logits are probabilities", "or their log_softmax")


def test_step_old_state_returned():
    def old(embed, lstm, out_layer, y_prev, state):
        logits, _ = decoder_step(embed, lstm, out_layer, y_prev, state)
        return logits, state
    _fails(check_seq2seq_decoder_step, old, "the state returned is the one passed in")


def test_step_logits_from_c():
    def from_c(embed, lstm, out_layer, y_prev, state):
        _, (h, c) = lstm(embed(y_prev)[:, None], state)
        return out_layer(c[0]), (h, c)
    _fails(check_seq2seq_decoder_step, from_c, "applied to the cell state c")


def test_step_time_axis_missing():
    def no_axis(embed, lstm, out_layer, y_prev, state):
        out, state = lstm(embed(y_prev)[:, None], state)
        return out_layer(out), state
    _fails(check_seq2seq_decoder_step, no_axis, "logits (compared after log-softmax) has shape (3, 1, 7)",
           "time axis of length 1; drop it")


def test_step_time_axis_first():
    def time_first(embed, lstm, out_layer, y_prev, state):
        out, state = lstm(embed(y_prev)[None], state)
        return out_layer(out[0]), state
    msg = _fails(check_seq2seq_decoder_step, time_first, "your function raised", "(batch, time, emb)",
                 "time axis of length 1")
    assert "x[:, None]" not in msg and "out[:, 0]" not in msg, msg


# -------------------------------------------------------- teacher_forced_loss

def _loss(shift=True, mask="targets", reduce="mean"):
    def loss(decoder_logits, tgt):
        dec_in = tgt[:, :-1]
        target = tgt[:, 1:] if shift else tgt[:, :-1]
        logits = decoder_logits(dec_in)
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none")
        nll = nll.reshape(target.shape)
        m = {"targets": target != PAD, "none": torch.ones_like(target, dtype=torch.bool),
             "inputs": dec_in != PAD, "no_eos": (target != PAD) & (target != EOS)}[mask]
        if reduce == "sum":
            return (nll * m).sum()
        if reduce == "per_seq":
            return ((nll * m).sum(1) / m.sum(1)).mean()
        return (nll * m).sum() / m.sum()
    return loss


def test_loss_padding_included():
    _fails(check_teacher_forced_loss, _loss(mask="none"), 'case "batch of 3', "padding is in the loss")


def test_loss_not_shifted():
    _fails(check_teacher_forced_loss, _loss(shift=False), "the targets are not shifted", "<bos>")


def test_loss_whole_target_last_logits_dropped_is_correct(capsys):
    """The decoder is causal, so running it on all of tgt and dropping the last logits gives the same loss."""
    def whole(decoder_logits, tgt):
        logits = decoder_logits(tgt)[:, :-1]
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt[:, 1:].reshape(-1), ignore_index=PAD)
    check_teacher_forced_loss(whole)
    assert capsys.readouterr().out.startswith("✓ ")


def test_loss_whole_target_first_logits_dropped():
    def echo(decoder_logits, tgt):
        logits = decoder_logits(tgt)[:, 1:]
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt[:, 1:].reshape(-1), ignore_index=PAD)
    _fails(check_teacher_forced_loss, echo, "read all of tgt and its first logits were dropped", "y_t itself")


def test_loss_d2l_padding_bug_is_named():
    """PAD zeroed, then the mean over every position (the older d2l MaskedSoftmaxCELoss)."""
    def d2l(decoder_logits, tgt):
        dec_in, target = tgt[:, :-1], tgt[:, 1:]
        logits = decoder_logits(dec_in)
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none")
        return (nll * (target != PAD).reshape(-1)).mean()
    _fails(check_teacher_forced_loss, d2l, 'case "batch of 3', "d2l's padding bug", "divides by every position")


def test_loss_d2l_per_sequence_form_is_named_too():
    """d2l's own form: the masked loss averaged over all positions of each sequence, then over the batch."""
    def d2l(decoder_logits, tgt):
        dec_in, target = tgt[:, :-1], tgt[:, 1:]
        logits = decoder_logits(dec_in)
        nll = F.cross_entropy(logits.transpose(1, 2), target, reduction="none")     # (batch, T - 1)
        return (nll * (target != PAD)).mean(dim=1).mean()
    _fails(check_teacher_forced_loss, d2l, "d2l's padding bug")


def test_loss_shifted_wrong_way():
    def wrong_way(decoder_logits, tgt):
        logits = decoder_logits(tgt[:, 1:])
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt[:, :-1].reshape(-1), ignore_index=PAD)
    _fails(check_teacher_forced_loss, wrong_way, "shifted the wrong way")


def test_loss_eos_left_out():
    _fails(check_teacher_forced_loss, _loss(mask="no_eos"), "<eos> is left out of the loss")


def test_loss_mask_from_inputs():
    msg = _fails(check_teacher_forced_loss, _loss(mask="inputs"), "the mask was built from the inputs")
    assert "one PAD target" in msg and "<eos> is lost" not in msg


def test_loss_sum():
    _fails(check_teacher_forced_loss, _loss(reduce="sum"), "summed, not averaged")


def test_loss_per_sequence_mean():
    _fails(check_teacher_forced_loss, _loss(reduce="per_seq"), "averaged per sequence")


def test_loss_item():
    _fails(check_teacher_forced_loss, lambda d, t: teacher_forced_loss(d, t).item(), "expected a torch tensor",
           ".item()")


def test_loss_detached():
    _fails(check_teacher_forced_loss, lambda d, t: teacher_forced_loss(d, t).detach(), "does not require a gradient")


# -------------------------------------------------------------- greedy_decode

def _decode(stop_early=True, pad_after=True, bos_first=False, feed="argmax", carry=True, limit=True,
            finished_first=False):
    def decode(step, state, batch_size, max_len):
        y = torch.full((batch_size,), BOS, dtype=torch.long)
        finished = torch.zeros(batch_size, dtype=torch.bool)
        tokens = [y] if bos_first else []
        start = state
        n = 0
        while True:
            logits, new_state = step(y if feed == "argmax" else torch.full_like(y, BOS), state)
            state = new_state if carry else start
            pred = logits.argmax(-1)
            if finished_first:  # `finished` updated before the PAD substitution
                finished = finished | (pred == EOS)
            if pad_after:
                pred = torch.where(finished, torch.full_like(pred, PAD), pred)
            tokens.append(pred)
            y = pred
            finished = finished | (pred == EOS)
            n += 1
            if stop_early and finished.all():
                break
            if limit and n >= max_len:
                break
        return torch.stack(tokens, dim=1)
    return decode


def test_decode_never_stops_early():
    _fails(check_greedy_decode, _decode(stop_early=False), "did not stop when every row had produced <eos>")


def test_decode_never_stops_at_all():
    _fails(check_greedy_decode, _decode(limit=False), 'case "a row that never emits <eos>', "decoding never stops")


def test_decode_bos_in_output():
    _fails(check_greedy_decode, _decode(bos_first=True), "starts with <bos>", "never an output")


def test_decode_writes_after_eos():
    _fails(check_greedy_decode, _decode(pad_after=False), "keeps writing after its <eos>")


def test_decode_eos_overwritten_by_pad():
    """`finished` updated before the PAD substitution: each row's own <eos> becomes PAD."""
    msg = _fails(check_greedy_decode, _decode(finished_first=True), "row 0 is [4, 5, 0",
                 "own <eos> was replaced by PAD")
    assert "feeds it back" not in msg, msg


def test_decode_causes_do_not_give_the_line():
    msg = _fails(check_greedy_decode, _decode(pad_after=False), "keeps writing after its <eos>")
    assert "torch.where" not in msg, msg


def test_decode_feeds_bos_every_step():
    _fails(check_greedy_decode, _decode(feed="bos"), "was fed token 1", "feeds back its own prediction")


def test_decode_stale_state():
    _fails(check_greedy_decode, _decode(carry=False), "stale state")


def test_decode_softmax_sampling_shape():
    def flat(step, state, batch_size, max_len):
        return greedy_decode(step, state, batch_size, max_len).reshape(-1)
    _fails(check_greedy_decode, flat, "expected (batch, steps)")


def test_step_called_instead_of_passed_names_the_renamed_check():
    """The check is check_seq2seq_decoder_step (12 has its own check_decoder_step): its hint says so."""
    msg = _fails(check_seq2seq_decoder_step, 42, "expected a function", "check_seq2seq_decoder_step(decoder_step)")
    assert "check_decoder_step(" not in msg, msg


def test_step_of_notebook_12_is_sent_to_its_own_check():
    def decoder_step(model, words, state):  # notebook 12's interface, given to notebook 11's check
        return model(words, state)

    _fails(check_seq2seq_decoder_step, decoder_step, "notebook 12's decoder step", "check_decoder_step")
