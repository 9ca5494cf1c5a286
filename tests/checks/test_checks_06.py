"""Tests of the checks of 06_sentiment: the solution passes, the stub is "not attempted",
and plausible wrong answers fail with a message that names the mistake."""

from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence

from utils.checks import (CheckFailure, check_build_vocab, check_embeddings, check_encode_batch,
                          check_last_valid_state, check_SentimentRNN)


# ------------------------------------------------------------------ solutions

def build_vocab(sentences, min_count, op=lambda c, m: c >= m, specials=("<pad>", "<unk>"), key=None):
    counts = Counter(w for s in sentences for w in s)
    kept = sorted((w for w, c in counts.items() if op(c, min_count)), key=key or (lambda w: (-counts[w], w)))
    return {w: i for i, w in enumerate(list(specials) + kept)}


def encode_batch(sentences, stoi, unk="<unk>", left=False, count_pads=False):
    lengths = torch.tensor([len(s) for s in sentences])
    T = int(lengths.max())
    ids = torch.zeros(len(sentences), T, dtype=torch.long)
    for b, s in enumerate(sentences):
        row = torch.tensor([stoi.get(w, stoi[unk] if unk else 0) for w in s])
        if left:
            ids[b, T - len(s):] = row
        else:
            ids[b, :len(s)] = row
    return ids, (torch.full_like(lengths, T) if count_pads else lengths)


def one_hot_embed(ids, W_xh):
    return np.eye(W_xh.shape[1])[ids] @ W_xh.T


def lookup_embed(ids, W_xh):
    return W_xh.T[ids]


def last_valid_state(hs, lengths):
    return hs[torch.arange(hs.shape[0]), lengths - 1]


class SentimentRNN(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim, n_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = nn.RNN(embed_dim, hidden_dim, batch_first=True)
        self.out = nn.Linear(hidden_dim, n_classes)

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.embedding(ids), lengths, batch_first=True, enforce_sorted=False)
        _, h_n = self.rnn(packed)
        return self.out(h_n[0])


class GatherRNN(SentimentRNN):
    def forward(self, ids, lengths):
        hs, _ = self.rnn(self.embedding(ids))
        return self.out(last_valid_state(hs, lengths))


def stub(*args, **kwargs):
    raise NotImplementedError()


def test_solutions_pass(capsys):
    check_build_vocab(build_vocab)
    check_encode_batch(encode_batch)
    check_embeddings(one_hot_embed, lookup_embed)
    check_last_valid_state(last_valid_state)
    check_SentimentRNN(SentimentRNN)
    check_SentimentRNN(GatherRNN)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✓ build_vocab: 5/5 cases match collections.Counter"
    assert out[1].startswith("✓ encode_batch: 5/5 cases match a row-by-row loop")
    assert out[2].startswith("✓ embeddings: 10/10 cases match a NumPy one-hot product")
    assert out[3].startswith("✓ last_valid_state: 4/4 cases match pack_padded_sequence's h_n")
    assert out[4].startswith("✓ SentimentRNN: 5/5 cases match a packed torch.nn.RNN")


class StubModel(nn.Module):
    def __init__(self, *args):
        super().__init__()
        raise NotImplementedError()


@pytest.mark.parametrize("run", [lambda: check_build_vocab(stub), lambda: check_encode_batch(stub),
                                 lambda: check_embeddings(stub, stub), lambda: check_embeddings(one_hot_embed, stub),
                                 lambda: check_last_valid_state(stub), lambda: check_SentimentRNN(StubModel)])
def test_stub_is_not_attempted(run):
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        run()


def _fails(check, *fns, match):
    with pytest.raises(CheckFailure, match=match):
        check(*fns)


# ------------------------------------------------------------------ build_vocab

@pytest.mark.parametrize("wrong, match", [
    (lambda s, m: build_vocab(s, m, op=lambda c, k: c > k), "count >= min_count, not > min_count"),
    (lambda s, m: build_vocab(s, m, specials=("<unk>", "<pad>")), "swapped"),
    (lambda s, m: {**build_vocab(s, m), "<unk>": 0}, "<unk> has id 0, the id of <pad>"),
    (lambda s, m: build_vocab(s, m, specials=()), "<pad> and <unk> are missing"),
    (lambda s, m: build_vocab(s, m, key=lambda w: w), "not sorted by count"),
    (lambda s, m: list(build_vocab(s, m)), "expected a dict"),
    (lambda s, m: build_vocab([sorted(set(x)) for x in s], m), "counts the sentences a word occurs in"),
])
def test_build_vocab_mistakes(wrong, match):
    _fails(check_build_vocab, wrong, match=match)


# ----------------------------------------------------------------- encode_batch

@pytest.mark.parametrize("wrong, match", [
    (lambda s, v: encode_batch(s, v, left=True), "padding is on the left"),
    (lambda s, v: encode_batch(s, v, unk=None), "unknown words are given id 0"),
    (lambda s, v: encode_batch(s, v, count_pads=True), "lengths counts the pads"),
    (lambda s, v: (encode_batch(s, v)[0], encode_batch(s, v)[1] - 1), "one short"),
    (lambda s, v: (encode_batch(s, v)[0].float(), encode_batch(s, v)[1]), "tensor of integers"),
    (lambda s, v: encode_batch(s, v)[0], "pair"),
    (lambda s, v: pad_in_place(s, v), "encode_batch changed the sentences it was given"),
    (lambda s, v: encode_batch([[v.setdefault(w, 1) and w for w in x] for x in s], v), "encode_batch changed stoi"),
])
def test_encode_batch_mistakes(wrong, match):
    _fails(check_encode_batch, wrong, match=match)


def pad_in_place(sentences, stoi):
    """The review's miss: right values, but the caller's lists are padded (s += ['<pad>'] * k)."""
    T = max(len(s) for s in sentences)
    lengths = torch.tensor([len(s) for s in sentences])
    for s in sentences:
        s += ["<pad>"] * (T - len(s))
    return torch.tensor([[stoi.get(w, stoi["<unk>"]) for w in s] for s in sentences]), lengths


def test_encode_batch_in_place_message_says_why():
    with pytest.raises(CheckFailure, match="running the cell twice pads the data twice"):
        check_encode_batch(pad_in_place)


@pytest.mark.parametrize("alternative", [
    lambda s, v: tuple(t.to(torch.int32) for t in encode_batch(s, v)),          # int32 ids and lengths
    lambda s, v: encode_batch([x + [] for x in s], v),                           # pads its own copies
    lambda s, v: (torch.nn.utils.rnn.pad_sequence([torch.tensor([v.get(w, 1) for w in x]) for x in s],
                                                  batch_first=True), torch.tensor([len(x) for x in s])),
])
def test_encode_batch_correct_alternatives_pass(alternative, capsys):
    check_encode_batch(alternative)
    assert capsys.readouterr().out.startswith("✓ encode_batch: 5/5")


# ------------------------------------------------------------------- embeddings

@pytest.mark.parametrize("fns, match", [
    ((lambda ids, W: np.eye(W.shape[1])[ids] @ W, lookup_embed), "without its transpose"),
    ((one_hot_embed, lambda ids, W: W[ids]), "without its transpose"),
    ((one_hot_embed, lambda ids, W: W.T[(ids + 1) % W.shape[1]]), "shifted by one"),
    ((lambda ids, W: (np.eye(W.shape[1])[ids] @ W.T).astype(np.float32), lookup_embed), "your result is float32"),
    ((lambda ids, W: np.eye(W.shape[1], dtype=np.float32)[ids] @ W.T.astype(np.float32), lookup_embed),
     "keep float64"),
    ((lambda ids, W: W.T[ids], lookup_embed), "never multiplied by column 11"),          # the review's miss
    ((lambda ids, W: np.take(W, ids, axis=1).transpose(1, 2, 0), lookup_embed), "picks the columns directly"),
    ((lambda ids, W: torch.as_tensor(W).T[torch.as_tensor(ids)], lookup_embed), "never multiplied"),
    ((one_hot_embed, one_hot_embed), "lookup_embed multiplied by every column"),
])
def test_embeddings_mistakes(fns, match):
    _fails(check_embeddings, *fns, match=match)


@pytest.mark.parametrize("one_hot", [
    one_hot_embed,
    lambda ids, W: torch.nn.functional.one_hot(torch.as_tensor(ids), W.shape[1]).double() @ torch.as_tensor(W).T,
    lambda ids, W: np.einsum("btv,dv->btd", np.eye(W.shape[1])[ids], W),
    lambda ids, W: (np.eye(W.shape[1])[ids][..., None] * W.T).sum(axis=-2),
])
def test_embeddings_correct_products_pass(one_hot, capsys):
    """Any real one-hot product passes, a float64 torch tensor included (the review's alternative)."""
    check_embeddings(one_hot, lookup_embed)
    assert capsys.readouterr().out.startswith("✓ embeddings: 10/10")


def test_embeddings_transposed_lookup_is_named():
    """W_xh[ids] on the square case gives the right shape and wrong values: the message names it."""
    def lookup_rows(ids, W):
        return W[ids] if W.shape[0] == W.shape[1] else W.T[ids]
    _fails(check_embeddings, one_hot_embed, lookup_rows, match="without its transpose")


# -------------------------------------------------------------- last_valid_state

@pytest.mark.parametrize("wrong, match", [
    (lambda hs, L: hs[:, -1], "h_T of the padded sequence"),
    (lambda hs, L: hs[torch.arange(len(L)), torch.clamp(L, max=hs.shape[1] - 1)], "off by one"),
    (lambda hs, L: hs[:, 0], "first state"),
    (lambda hs, L: hs.mean(1), "mean of the states"),
    (lambda hs, L: hs[:, L - 1], "hs\\[:, lengths - 1\\]"),
    (lambda hs, L: hs[torch.arange(len(L)), L], "IndexError(.|\\n)*lengths\\[b\\] - 1"),     # the review's row
])
def test_last_valid_state_mistakes(wrong, match):
    _fails(check_last_valid_state, wrong, match=match)


def test_last_valid_state_loop_passes(capsys):
    """A Python loop is slower but right: the spec's "without a loop" is advice, not graded."""
    check_last_valid_state(lambda hs, L: torch.stack([hs[b, int(L[b]) - 1] for b in range(len(L))]))
    assert capsys.readouterr().out.startswith("✓ last_valid_state: 4/4")


def test_last_valid_state_other_crashes_get_no_index_cause():
    def crashes(hs, L):
        raise ValueError("something else")
    with pytest.raises(CheckFailure) as info:
        check_last_valid_state(crashes)
    assert "lengths[b] - 1" not in str(info.value)


# ------------------------------------------------------------------ SentimentRNN

class PaddedLast(SentimentRNN):
    def forward(self, ids, lengths):
        hs, _ = self.rnn(self.embedding(ids))
        return self.out(hs[:, -1])


class Softmaxed(SentimentRNN):
    def forward(self, ids, lengths):
        return torch.softmax(super().forward(ids, lengths), -1)


class FirstState(SentimentRNN):
    def forward(self, ids, lengths):
        hs, _ = self.rnn(self.embedding(ids))
        return self.out(hs[:, 0])


class WithLSTM(SentimentRNN):
    def __init__(self, V, d, H, C=2):
        super().__init__(V, d, H, C)
        self.rnn = nn.LSTM(d, H, batch_first=True)


class NoPaddingIdx(SentimentRNN):
    def __init__(self, V, d, H, C=2):
        super().__init__(V, d, H, C)
        self.embedding = nn.Embedding(V, d)


class TimeFirst(SentimentRNN):
    def __init__(self, V, d, H, C=2):
        super().__init__(V, d, H, C)
        self.rnn = nn.RNN(d, H)


class TransposedEmbedding(SentimentRNN):
    def __init__(self, V, d, H, C=2):
        super().__init__(V, d, H, C)
        self.embedding = nn.Embedding(d, V, padding_idx=0)


@pytest.mark.parametrize("cls, match", [
    (PaddedLast, "h_T of the padded sequence"),
    (Softmaxed, "probabilities"),
    (FirstState, "first state"),
    (WithLSTM, "should be a torch.nn.RNN"),
    (NoPaddingIdx, "padding_idx"),
    (TimeFirst, "batch_first=True"),
    (TransposedEmbedding, "self.embedding has shape \\(4, 11\\), expected \\(11, 4\\)"),
])
def test_SentimentRNN_mistakes(cls, match):
    _fails(check_SentimentRNN, cls, match=match)


def test_check_does_not_disturb_the_random_stream():
    torch.manual_seed(3)
    a = torch.rand(1)
    torch.manual_seed(3)
    check_SentimentRNN(SentimentRNN)
    assert torch.equal(torch.rand(1), a)
