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
                 features_per_word=3, bidirectional=True, pack=True, order="wf", out_dim=None, use_h_n=False,
                 total_length=True, cat_dim=-1):
        super().__init__()
        self.pack, self.order, self.use_h_n, self.total_length = pack, order, use_h_n, total_length
        self.cat_dim = cat_dim
        self.word_emb = nn.Embedding(n_words, word_dim, padding_idx=0)
        self.feature_emb = nn.Embedding(n_features, feature_dim, padding_idx=0)
        self.rnn = nn.RNN(word_dim + features_per_word * feature_dim, hidden_dim, batch_first=True,
                          bidirectional=bidirectional)
        self.out_dim = out_dim or hidden_dim * (2 if bidirectional else 1)
        self.out = nn.Linear(self.out_dim, n_tags)

    def embed(self, words, features):
        f = self.feature_emb(features)                                   # (batch, T, K, feature_dim)
        if self.order == "interleaved":
            f = f.transpose(2, 3)
        parts = [self.word_emb(words), f.flatten(2)]
        return torch.cat(parts[::-1] if self.order == "fw" else parts, dim=self.cat_dim)

    def forward(self, words, features, lengths):
        x = self.embed(words, features)
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


def test_boolean_selection_solution_passes():
    check_masked_token_cross_entropy(lambda z, y, m: F.cross_entropy(z[m], y[m]))


def test_log_softmax_by_hand_passes():
    def loss(z, y, m):
        lp = torch.log_softmax(z, dim=-1).gather(-1, y[..., None])[..., 0]
        return -(lp * m).sum() / m.sum()
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
    _fails(check_masked_token_cross_entropy, f, 'case "large logits', "log(softmax(...)) is unstable",
           "torch.log_softmax or F.cross_entropy")


def test_loss_log_of_torch_softmax():
    # the max-shifted softmax still rounds far-from-best tags to 0: log gives -inf, the loss inf
    def f(z, y, m):
        p = torch.softmax(z, dim=-1).gather(-1, y[..., None])[..., 0]
        return -(torch.log(p) * m).sum() / m.sum()
    _fails(check_masked_token_cross_entropy, f, 'case "large logits', "log(softmax(...)) is unstable")


def test_loss_ignore_index_zero():
    _fails(check_masked_token_cross_entropy,
           lambda z, y, m: F.cross_entropy(z.transpose(1, 2), y, ignore_index=0),
           "ignore_index=0 drops every real NOUN token", "pads, whose tags can be anything, still count")


def test_loss_ignore_index_zero_pads_filled():
    _fails(check_masked_token_cross_entropy,
           lambda z, y, m: F.cross_entropy(z.transpose(1, 2), y.masked_fill(~m, 0), ignore_index=0),
           "ignore_index=0 drops every real NOUN token: tag 0 is NOUN")


def test_loss_ignore_index_zero_then_masked():
    def f(z, y, m):
        per_token = F.cross_entropy(z.transpose(1, 2), y, ignore_index=0, reduction="none")
        return (per_token * m).sum() / m.sum()
    _fails(check_masked_token_cross_entropy, f, "ignore_index=0 drops every real NOUN token",
           "still count in the mean")


def test_loss_no_transpose_crashes():
    _fails(check_masked_token_cross_entropy, lambda z, y, m: F.cross_entropy(z, y),
           "your function raised", "classes on dim 1")


def test_loss_unrelated_crash_gets_no_guess():
    def f(z, y, m):
        raise KeyError("tags")
    msg = _fails(check_masked_token_cross_entropy, f, "your function raised KeyError")
    assert "Likely cause" not in msg, msg


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
                     features_per_word=3, bidirectional=True):
            super().__init__(n_words, n_features, n_tags, word_dim, feature_dim, hidden_dim, features_per_word,
                             bidirectional, out_dim=hidden_dim)
    _fails(check_rnn_tagger, OneHalf, 'case "bidirectional', "uses one direction only")


def test_tagger_h_n():
    _fails(check_rnn_tagger, _tagger(use_h_n=True), "only the final state h_n")


def test_tagger_embedding_order():
    _fails(check_rnn_tagger, _tagger(order="fw"), "concatenated the other way round")


def test_tagger_no_total_length():
    _fails(check_rnn_tagger, _tagger(total_length=False), "unless it is given total_length")


def test_tagger_ignores_bidirectional_flag():
    class Always(RNNTagger):
        def __init__(self, n_words, n_features, n_tags, word_dim=64, feature_dim=16, hidden_dim=32,
                     features_per_word=3, bidirectional=True):
            super().__init__(n_words, n_features, n_tags, word_dim, feature_dim, hidden_dim, features_per_word, True)
    _fails(check_rnn_tagger, Always, "rnn.bidirectional is True, but the model was built with bidirectional=False")


def test_tagger_sorted_packing_crashes():
    class Sorted(RNNTagger):
        def forward(self, words, features, lengths):
            x = self.embed(words, features)
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True)
            hs, _ = self.rnn(packed)
            hs, _ = nn.utils.rnn.pad_packed_sequence(hs, batch_first=True, total_length=words.shape[1])
            return self.out(hs)
    _fails(check_rnn_tagger, Sorted, "your function raised", "enforce_sorted=False")


def test_tagger_cat_on_time_axis_is_not_blamed_on_sorting():
    msg = _fails(check_rnn_tagger, _tagger(cat_dim=1), "your function raised", "joined on the wrong axis")
    assert "enforce_sorted" not in msg, msg


def test_tagger_features_not_flattened():
    class NotFlat(RNNTagger):
        def embed(self, words, features):
            return torch.cat([self.word_emb(words), self.feature_emb(features)], dim=-1)
    msg = _fails(check_rnn_tagger, NotFlat, "your function raised", "flatten its last two axes")
    assert "enforce_sorted" not in msg, msg


def test_tagger_first_feature_only():
    class FirstOnly(RNNTagger):
        def embed(self, words, features):
            return torch.cat([self.word_emb(words), self.feature_emb(features[..., 0])], dim=-1)
    msg = _fails(check_rnn_tagger, FirstOnly, "your function raised", "all features_per_word feature embeddings")
    assert "enforce_sorted" not in msg, msg


def test_tagger_features_summed():
    class Summed(RNNTagger):
        def __init__(self, n_words, n_features, n_tags, word_dim=64, feature_dim=16, hidden_dim=32,
                     features_per_word=3, bidirectional=True):
            super().__init__(n_words, n_features, n_tags, word_dim, feature_dim, hidden_dim, 1, bidirectional)

        def embed(self, words, features):
            return torch.cat([self.word_emb(words), self.feature_emb(features).sum(2)], dim=-1)
    _fails(check_rnn_tagger, Summed, "expected input_size = word_dim + features_per_word * feature_dim",
           "not summed or averaged")


def test_tagger_features_interleaved():
    _fails(check_rnn_tagger, _tagger(order="interleaved"), "interleaved")


def test_tagger_other_crash_gets_no_sorting_cause():
    class Broken(RNNTagger):
        def forward(self, words, features, lengths):
            raise ValueError("something else")
    msg = _fails(check_rnn_tagger, Broken, "your function raised ValueError: something else")
    assert "Likely cause" not in msg, msg


def test_tagger_alternatives_pass():
    class Reshaped(RNNTagger):              # reshape instead of flatten, cat with a positive dim
        def embed(self, words, features):
            B, T, K = features.shape
            return torch.cat([self.word_emb(words), self.feature_emb(features).reshape(B, T, -1)], dim=2)

    class NoPaddingIdx(RNNTagger):          # padding_idx is not required
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.word_emb = nn.Embedding(self.word_emb.num_embeddings, self.word_emb.embedding_dim)
    for cls in (Reshaped, NoPaddingIdx):
        check_rnn_tagger(cls)


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
    from utils.tagging import (FEATURE_KINDS, TAG_MEANINGS, confusion_matrix, per_tag_scores, word_features,
                               word_shape)
    assert list(TAG_MEANINGS) == list(UNIVERSAL_TAGS)
    shapes = {"Running": "Aa", "the": "a", "1961": "9", "5.5": "9", "mid-1950s": "9-", "well-known": "a-",
              "U.S.": "AA", "NATO": "AA", "I": "Aa", ",": ".", "--": ".", "``": "."}
    assert {w: word_shape(w) for w in shapes} == shapes
    assert word_features("Running") == ["shape:Aa", "suffix2:ng", "suffix3:ing"]
    assert word_features("of") == ["shape:a", "suffix2:of", "suffix3:of"]
    assert len(word_features("1949")) == len(FEATURE_KINDS) == 3
    counts = confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), 3)
    assert counts.tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 0]]
    with pytest.raises(ValueError):
        confusion_matrix(np.array([0, 1]), np.array([0]), 2)
    scores = per_tag_scores(counts)
    assert np.allclose(scores["precision"], [0.5, 1.0, 0.0]) and np.allclose(scores["recall"], [1.0, 0.5, 0.0])
    assert np.allclose(scores["f1"], [2 / 3, 2 / 3, 0.0]) and scores["support"].tolist() == [1, 2, 0]


def test_confusion_plot_is_in_percent():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from utils.tagging import plot_confusion
    fig = plot_confusion(np.array([[3, 1], [0, 4]]), ["A", "B"])
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["100", "25", "75"], texts
    assert fig.axes[0].images[0].get_clim() == (0, 100)
    assert "%" in fig.axes[1].get_ylabel()
    plt.close(fig)
