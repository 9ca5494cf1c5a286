"""Tests of the checks of 07_pos_tagging: the solution passes, the stub is "not attempted",
and plausible wrong answers fail with a message that names the mistake."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from utils.checks import (CheckFailure, check_length_mask, check_masked_token_cross_entropy,
                          check_rnn_tagger, check_step_logits, check_token_accuracy)


# ------------------------------------------------------------------ solutions

def length_mask(lengths, T):
    return torch.arange(T)[None, :] < lengths[:, None]


def step_logits(hs, W_hy, b_y):
    return hs @ W_hy.T + b_y


def masked_token_cross_entropy(logits, tags, mask):
    per_token = F.cross_entropy(logits.transpose(1, 2), tags, reduction="none")
    return (per_token * mask).sum() / mask.sum()


def token_accuracy(logits, tags, mask):
    right = (logits.argmax(dim=-1) == tags) & mask
    return right.sum().item() / mask.sum().item()


class RNNTagger(nn.Module):
    def __init__(self, n_words, n_features, n_tags, word_dim=64, feature_dim=16, hidden_dim=32,
                 bidirectional=True, pack=True, order="wf", out_dim=None, use_h_n=False, total_length=True):
        super().__init__()
        self.pack, self.order, self.use_h_n, self.total_length = pack, order, use_h_n, total_length
        self.word_emb = nn.Embedding(n_words, word_dim, padding_idx=0)
        self.feature_emb = nn.Embedding(n_features, feature_dim, padding_idx=0)
        self.rnn = nn.RNN(word_dim + feature_dim, hidden_dim, batch_first=True, bidirectional=bidirectional)
        self.out_dim = out_dim or hidden_dim * (2 if bidirectional else 1)
        self.out = nn.Linear(self.out_dim, n_tags)

    def forward(self, words, features, lengths):
        parts = [self.word_emb(words), self.feature_emb(features)]
        x = torch.cat(parts if self.order == "wf" else parts[::-1], dim=-1)
        if self.pack:
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            hs, h_n = self.rnn(packed)
            kw = {"total_length": words.shape[1]} if self.total_length else {}
            hs, _ = nn.utils.rnn.pad_packed_sequence(hs, batch_first=True, **kw)
        else:
            hs, h_n = self.rnn(x)
        if self.use_h_n:
            last = torch.cat(list(h_n), dim=-1)              # (batch, n_dir * hidden)
            hs = last[:, None].expand(-1, words.shape[1], -1)
        hs = hs[..., :self.out_dim]
        return self.out(hs)


def _fails(check, fn, *fragments):
    with pytest.raises(CheckFailure) as info:
        check(fn)
    msg = str(info.value)
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} not in message:\n{msg}"
    return msg


def _stub(*args, **kwargs):
    raise NotImplementedError()


class StubTagger(nn.Module):
    def __init__(self, *args, **kwargs):
        super().__init__()
        raise NotImplementedError()


def test_solutions_pass(capsys):
    check_length_mask(length_mask)
    check_step_logits(step_logits)
    check_masked_token_cross_entropy(masked_token_cross_entropy)
    check_token_accuracy(token_accuracy)
    check_rnn_tagger(RNNTagger)
    out = capsys.readouterr().out
    assert out.count("✓") == 5
    assert "✓ masked_token_cross_entropy: 5/5 cases" in out and "pads get exactly zero gradient" in out


def test_ignore_index_solution_passes():
    def loss(logits, tags, mask):
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tags.masked_fill(~mask, -100).reshape(-1))
    check_masked_token_cross_entropy(loss)


@pytest.mark.parametrize("check", [check_length_mask, check_step_logits, check_masked_token_cross_entropy,
                                   check_token_accuracy])
def test_stub_not_attempted(check):
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check(_stub)


def test_stub_tagger_not_attempted():
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check_rnn_tagger(StubTagger)


# ------------------------------------------------------------------ length_mask

def test_mask_less_equal():
    _fails(check_length_mask, lambda lengths, T: torch.arange(T)[None] <= lengths[:, None], "built with <=")


def test_mask_inverted():
    _fails(check_length_mask, lambda lengths, T: torch.arange(T)[None] >= lengths[:, None], "marks the pads")


def test_mask_transposed():
    _fails(check_length_mask, lambda lengths, T: torch.arange(T)[:, None] < lengths[None, :], "transposed")


def test_mask_left_padding():
    _fails(check_length_mask, lambda lengths, T: torch.arange(T)[None] >= T - lengths[:, None],
           "put at the end of the row")


def test_mask_float():
    _fails(check_length_mask, lambda lengths, T: (torch.arange(T)[None] < lengths[:, None]).float(),
           "dtype torch.float32, expected torch.bool")


def test_mask_numpy():
    _fails(check_length_mask, lambda lengths, T: (torch.arange(T)[None] < lengths[:, None]).numpy(),
           "should be a torch tensor")


# ------------------------------------------------------------------ step_logits

def test_logits_no_transpose():
    def f(hs, W, b):
        return hs @ W + b if W.shape[0] == W.shape[1] else hs @ W.T + b
    _fails(check_step_logits, f, "without its transpose")


def test_logits_missing_bias():
    _fails(check_step_logits, lambda hs, W, b: hs @ W.T, "bias b_y is missing")


def test_logits_softmax():
    _fails(check_step_logits, lambda hs, W, b: torch.softmax(hs @ W.T + b, -1), "a softmax was applied")


def test_logits_last_step_only():
    _fails(check_step_logits, lambda hs, W, b: (hs[:, -1:] @ W.T + b).expand(-1, hs.shape[1], -1),
           "only the last step is classified")


def test_logits_time_first():
    _fails(check_step_logits, lambda hs, W, b: (hs @ W.T + b).transpose(0, 1), "time and batch axes are swapped")


def test_logits_flattened():
    _fails(check_step_logits, lambda hs, W, b: (hs @ W.T + b).reshape(-1, W.shape[0]), "flattened")


# ------------------------------------------------------- masked cross-entropy

def _per_token(logits, tags):
    return F.cross_entropy(logits.transpose(1, 2), tags, reduction="none")


def test_loss_averaged_over_pads():
    _fails(check_masked_token_cross_entropy, lambda z, y, m: (_per_token(z, y) * m).sum() / m.numel(),
           "averaged over all batch x T positions, pads included (the known d2l bug)")


def test_loss_not_masked():
    _fails(check_masked_token_cross_entropy, lambda z, y, m: _per_token(z, y).mean(), "pads are not masked")


def test_loss_summed():
    _fails(check_masked_token_cross_entropy, lambda z, y, m: (_per_token(z, y) * m).sum(), "summed, not averaged")


def test_loss_per_sentence_mean():
    _fails(check_masked_token_cross_entropy,
           lambda z, y, m: ((_per_token(z, y) * m).sum(1) / m.sum(1)).mean(), "mean of per-sentence means")


def test_loss_softmax_over_time():
    def f(z, y, m):
        lp = torch.log_softmax(z, dim=1)
        return -(lp.gather(-1, y[..., None])[..., 0] * m).sum() / m.sum()
    _fails(check_masked_token_cross_entropy, f, "softmax is taken over the time axis")


def test_loss_unstable_log_softmax():
    def f(z, y, m):
        p = torch.exp(z) / torch.exp(z).sum(-1, keepdim=True)
        return -(torch.log(p.gather(-1, y[..., None])[..., 0]) * m).sum() / m.sum()
    _fails(check_masked_token_cross_entropy, f, 'case "large logits')


def test_loss_no_transpose_crashes():
    _fails(check_masked_token_cross_entropy, lambda z, y, m: F.cross_entropy(z, y),
           "your function raised", "classes on dim 1")


def test_loss_item():
    _fails(check_masked_token_cross_entropy,
           lambda z, y, m: torch.tensor(((_per_token(z, y) * m).sum() / m.sum()).item()),
           "does not require a gradient")


def test_loss_reduction_none():
    _fails(check_masked_token_cross_entropy, lambda z, y, m: _per_token(z, y) * m, "expected one number")


def test_loss_gradient_into_pads():
    # right value, but the pads' losses still reach the gradient (a leak through a detached correction)
    def f(z, y, m):
        ce = _per_token(z, y)
        leak = (ce * ~m).sum()
        return (ce * m).sum() / m.sum() + leak - leak.detach()
    _fails(check_masked_token_cross_entropy, f, "the pads receive a gradient")


# ------------------------------------------------------------- token_accuracy

def test_acc_counts_pads():
    _fails(check_token_accuracy, lambda z, y, m: (z.argmax(-1) == y).float().mean().item(), "pads are counted")


def test_acc_per_sentence():
    _fails(check_token_accuracy,
           lambda z, y, m: (((z.argmax(-1) == y) & m).sum(1) / m.sum(1)).mean().item(), "per-sentence accuracies")


def test_acc_count():
    _fails(check_token_accuracy, lambda z, y, m: ((z.argmax(-1) == y) & m).sum().item(), "number of right tokens")


def test_acc_divided_by_positions():
    # with the pads predicted wrong this equals counting the pads; the message names the pads
    _fails(check_token_accuracy, lambda z, y, m: ((z.argmax(-1) == y) & m).sum().item() / m.numel(),
           "pads are counted")


def test_acc_tensor_ok():
    check_token_accuracy(lambda z, y, m: ((z.argmax(-1) == y) & m).sum() / m.sum())


# ------------------------------------------------------------------- tagger

def _tagger(**options):
    class Wrong(RNNTagger):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs, **options)
    return Wrong


def test_tagger_not_packed():
    _fails(check_rnn_tagger, _tagger(pack=False), "not packed", "backward direction started on the padding")


def test_tagger_one_direction_only():
    class OneHalf(RNNTagger):
        def __init__(self, n_words, n_features, n_tags, word_dim=64, feature_dim=16, hidden_dim=32,
                     bidirectional=True):
            super().__init__(n_words, n_features, n_tags, word_dim, feature_dim, hidden_dim, bidirectional,
                             out_dim=hidden_dim)
    _fails(check_rnn_tagger, OneHalf, 'case "bidirectional', "uses one direction only")


def test_tagger_h_n():
    _fails(check_rnn_tagger, _tagger(use_h_n=True), "only the final state h_n")


def test_tagger_embedding_order():
    _fails(check_rnn_tagger, _tagger(order="fw"), "concatenated the other way round")


def test_tagger_no_total_length():
    _fails(check_rnn_tagger, _tagger(total_length=False), "total_length=words.shape[1]")


def test_tagger_ignores_bidirectional_flag():
    class Always(RNNTagger):
        def __init__(self, n_words, n_features, n_tags, word_dim=64, feature_dim=16, hidden_dim=32,
                     bidirectional=True):
            super().__init__(n_words, n_features, n_tags, word_dim, feature_dim, hidden_dim, True)
    _fails(check_rnn_tagger, Always, "rnn.bidirectional is True, but the model was built with bidirectional=False")


def test_tagger_sorted_packing_crashes():
    class Sorted(RNNTagger):
        def forward(self, words, features, lengths):
            x = torch.cat([self.word_emb(words), self.feature_emb(features)], dim=-1)
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True)
            hs, _ = self.rnn(packed)
            hs, _ = nn.utils.rnn.pad_packed_sequence(hs, batch_first=True, total_length=words.shape[1])
            return self.out(hs)
    _fails(check_rnn_tagger, Sorted, "your function raised", "enforce_sorted=False")


def test_tagger_lstm():
    class LSTMTagger(RNNTagger):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.rnn = nn.LSTM(self.rnn.input_size, self.rnn.hidden_size, batch_first=True,
                               bidirectional=self.rnn.bidirectional)
    _fails(check_rnn_tagger, LSTMTagger, "self.rnn should be a torch.nn.RNN")


def test_tagger_not_batch_first():
    class TimeFirst(RNNTagger):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.rnn = nn.RNN(self.rnn.input_size, self.rnn.hidden_size, bidirectional=self.rnn.bidirectional)
    _fails(check_rnn_tagger, TimeFirst, "without batch_first=True")


def test_tagger_not_a_class():
    _fails(check_rnn_tagger, RNNTagger(30, 9, 5), "expected a class")


def test_tagger_diagram_draws():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from utils.diagrams import draw_tagger
    for fig in [draw_tagger(["a", "b"]), draw_tagger(["a", "b", "c"], ["DET", "NOUN", "VERB"], bidirectional=True)]:
        assert fig.axes
        plt.close(fig)
    with pytest.raises(ValueError):
        draw_tagger([])
    with pytest.raises(ValueError):
        draw_tagger(["a"], ["DET", "NOUN"])


def test_tagging_helpers():
    import numpy as np

    from utils.data import UNIVERSAL_TAGS
    from utils.tagging import TAG_MEANINGS, confusion_matrix, word_feature
    assert list(TAG_MEANINGS) == list(UNIVERSAL_TAGS)
    assert word_feature("Running") == "Aa~ing" and word_feature("1961") == "9~961" and word_feature(",") == ".~,"
    assert word_feature("of") == "a~of"
    counts = confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), 3)
    assert counts.tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 0]]
    with pytest.raises(ValueError):
        confusion_matrix(np.array([0, 1]), np.array([0]), 2)
