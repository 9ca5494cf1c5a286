"""Checks for 06_sentiment: a vocabulary, padded ids with lengths, one-hot x W_xh as a
lookup, the last valid hidden state, and a many-to-one RNN classifier.

References are independent of the learner's code: collections.Counter for the
vocabulary, a row-by-row loop for the encoding, the one-hot product computed by NumPy,
``torch.nn.utils.rnn.pack_padded_sequence`` for the last valid state, and a packed
``torch.nn.RNN`` holding the learner's own weights for the classifier.

Two checks also look at *how* the answer was computed, because a later cell depends on it:
``check_encode_batch`` hands over lists (and a vocabulary) it keeps and compares them after
the call (a function that pads the caller's lists in place pads the notebook's data again at
every run), and ``check_embeddings`` gives W_xh a NaN in the column of a word absent from
the batch: a real one-hot product multiplies that column by zeros, and 0 x NaN = NaN spreads
to every entry, while a lookup never reads it (the cost cells after the exercise measure the
one-hot product, so it must really be one).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from .core import Check, as_array, fmt_shape

__all__ = ["check_build_vocab", "check_encode_batch", "check_embeddings", "check_last_valid_state",
           "check_SentimentRNN"]

PAD, UNK = "<pad>", "<unk>"


# ------------------------------------------------------------------ build_vocab

def _ref_vocab(sentences, min_count):
    counts = Counter(w for s in sentences for w in s)
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return {w: i for i, w in enumerate([PAD, UNK] + kept)}


def _vocab_cases():
    return {
        "a word repeated inside one sentence": ([["so", "so", "good"], ["good", "bad"]], 2),
        "min_count 2": ([["good", "film"], ["bad", "film"], ["good", "good", "plot"], ["bad"]], 2),
        "min_count 1 keeps every word": ([["not", "bad"], ["bad", "at", "all"]], 1),
        "min_count 3, ties broken alphabetically": (
            [["b", "a", "c"], ["a", "b", "c", "d"], ["b", "a", "c", "d", "d"], ["e"]], 3),
        "one sentence": ([["so", "so", "so"]], 2),
    }


def _vocab_mistakes(sentences, min_count):
    counts = Counter(w for s in sentences for w in s)
    def order(ws): return sorted(ws, key=lambda w: (-counts[w], w))
    gt = order(w for w, c in counts.items() if c > min_count)
    ge = order(w for w, c in counts.items() if c >= min_count)
    m = {}
    if gt != ge:
        m["words seen exactly min_count times are dropped: keep a word when count >= min_count, not > min_count."] = \
            {w: i for i, w in enumerate([PAD, UNK] + gt)}
    m["<unk> has id 0, the id of <pad>: <pad> is 0 and <unk> is 1, so an unknown word is not mistaken for padding."] = \
        {**{w: i + 2 for i, w in enumerate(ge)}, PAD: 0, UNK: 0}
    m["<pad> and <unk> are swapped: <pad> must be 0 (nn.Embedding's padding_idx) and <unk> 1."] = \
        {**{w: i + 2 for i, w in enumerate(ge)}, PAD: 1, UNK: 0}
    m["<pad> and <unk> are missing: ids 0 and 1 are reserved for them, the words start at 2."] = \
        {w: i for i, w in enumerate(ge)}
    m["the words are not sorted by count (most frequent first, ties alphabetically)."] = \
        {w: i for i, w in enumerate([PAD, UNK] + sorted(ge))}
    sentence_counts = Counter(w for s in sentences for w in set(s))
    m["this counts the sentences a word occurs in (set(s)), not its occurrences: a word used twice in one "
      "sentence counts twice. Count every occurrence."] = \
        {w: i for i, w in enumerate([PAD, UNK] + sorted((w for w, c in sentence_counts.items() if c >= min_count),
                                                        key=lambda w: (-sentence_counts[w], w)))}
    return m


def check_build_vocab(build_vocab):
    """Check build_vocab(sentences, min_count) -> {word: id} against collections.Counter."""
    chk = Check("build_vocab", reference="collections.Counter")
    for case, (sentences, min_count) in _vocab_cases().items():
        got = chk.call(build_vocab, [list(s) for s in sentences], min_count, case=case)
        expected = _ref_vocab(sentences, min_count)
        chk.expect(isinstance(got, dict), case=case,
                   what=f"build_vocab returned a {type(got).__name__}, expected a dict {{word: id}}.",
                   cause="return the dictionary that maps every kept word (and <pad>, <unk>) to its id.")
        if got != expected:
            mistake = next((d for d, wrong in _vocab_mistakes(sentences, min_count).items() if got == wrong), None)
            missing = sorted(set(expected) - set(got))
            extra = sorted(set(got) - set(expected))
            wrong_id = [w for w in expected if w in got and got[w] != expected[w]]
            if missing:
                what = f"words missing from the vocabulary: {missing[:5]}."
            elif extra:
                what = f"words that should not be in the vocabulary (seen fewer than {min_count} times): {extra[:5]}."
            else:
                w = wrong_id[0]
                what = f"'{w}' has id {got[w]!r}, expected {expected[w]}."
            chk.fail(case, what, mistake or "ids: <pad> 0, <unk> 1, then the words counted at least min_count "
                                            "times, most frequent first, ties alphabetically.")
    chk.done()


# ----------------------------------------------------------------- encode_batch

_STOI = {PAD: 0, UNK: 1, "the": 2, "film": 3, "was": 4, "not": 5, "good": 6, "bad": 7}


def _ref_encode(sentences, stoi):
    T = max(len(s) for s in sentences)
    ids = np.zeros((len(sentences), T), dtype=np.int64)
    for r, s in enumerate(sentences):
        for t, w in enumerate(s):
            ids[r, t] = stoi[w] if w in stoi else stoi[UNK]
    return ids, np.array([len(s) for s in sentences], dtype=np.int64)


def _encode_cases():
    return {
        "ragged batch of 3": [["the", "film", "was", "good"], ["not", "good"], ["bad", "film", "was"]],
        "unknown words": [["the", "plot", "was", "dull"], ["good"]],
        "batch of 1": [["the", "film"]],
        "all the same length": [["not", "bad"], ["so", "good"]],
        "a one-word sentence": [["bad"], ["the", "film", "was", "not", "good"]],
    }


def check_encode_batch(encode_batch):
    """Check encode_batch(sentences, stoi) -> (ids, lengths) against a row-by-row loop."""
    chk = Check("encode_batch", reference="a row-by-row loop")
    for case, sentences in _encode_cases().items():
        # The learner gets lists the check keeps, as the notebook passes its own token lists:
        # a function that pads or extends them in place must be seen doing it.
        given, given_stoi = [list(s) for s in sentences], dict(_STOI)
        got = chk.call(encode_batch, given, given_stoi, case=case, copy_args=False)
        chk.expect(given == [list(s) for s in sentences], case=case,
                   what=f"encode_batch changed the sentences it was given: {sentences!r} became {given!r}.",
                   cause="pad the rows of the ids tensor, never the caller's lists: `s += [...]` or `s.append` "
                         "extends the list in place, so running the cell twice pads the data twice, and the "
                         "pads are counted as words by the next build_vocab.")
        chk.expect(given_stoi == _STOI, case=case,
                   what="encode_batch changed stoi: "
                        f"{sorted(set(given_stoi.items()) ^ set(_STOI.items()))[:4]} were added or changed.",
                   cause="read stoi without writing to it: stoi.get(w, stoi['<unk>']) leaves the vocabulary as "
                         "it is; stoi.setdefault(w, ...) or stoi[w] = ... adds the unknown words to it.")
        chk.expect(isinstance(got, tuple) and len(got) == 2, case=case,
                   what=f"encode_batch returned {type(got).__name__}, expected a pair (ids, lengths).",
                   cause="end with `return ids, lengths`.")
        ids, lengths = got
        exp_ids, exp_len = _ref_encode(sentences, _STOI)
        for name, value in (("ids", ids), ("lengths", lengths)):
            chk.expect(isinstance(value, torch.Tensor) and not value.is_floating_point(), case=case,
                       what=f"{name} should be a torch tensor of integers (torch.long), got "
                            f"{type(value).__name__}{' of ' + str(value.dtype) if hasattr(value, 'dtype') else ''}.",
                       cause="nn.Embedding takes integer ids: build them with dtype=torch.long.")
        T = exp_ids.shape[1]
        left = np.zeros_like(exp_ids)
        for r, s in enumerate(sentences):
            left[r, T - len(s):] = exp_ids[r, :len(s)]
        unk_as_pad = exp_ids.copy()
        unk_as_pad[[[w not in _STOI for w in s] + [False] * (T - len(s)) for s in sentences]] = 0
        chk.expect_close(ids, exp_ids, case=case, name="ids", shape_meaning="(batch, longest length)", atol=0,
                         mistakes={"the padding is on the left; pad at the END of each row (right padding), so "
                                   "position t is the t-th word of every sentence.": left,
                                   "unknown words are given id 0, the padding id: use stoi['<unk>'] (1).": unk_as_pad},
                         shape_cause="ids has one row per sentence and as many columns as the longest sentence.",
                         cause="ids[r, t] is the id of word t of sentence r, stoi['<unk>'] for a word not in "
                               "stoi, and 0 (<pad>) after the sentence ends.")
        chk.expect_close(lengths, exp_len, case=case, name="lengths", shape_meaning="(batch,)", atol=0,
                         mistakes={"lengths counts the pads: every row is the longest length. lengths[r] is the "
                                   "number of real words in sentence r.": np.full_like(exp_len, T),
                                   "lengths is one short: it is the number of words, not the index of the last.":
                                       exp_len - 1},
                         cause="lengths[r] = len(sentences[r]).")
    chk.done()


# ------------------------------------------------------------------- embeddings

def _emb_cases():
    rng = np.random.default_rng(606)
    cases = {}
    cases["batch 2, T 3, |V| 7, d 4"] = (rng.integers(0, 7, size=(2, 3)), rng.normal(size=(4, 7)))
    cases["batch of 1, length 1"] = (np.array([[5]]), rng.normal(size=(3, 6)))
    cases["|V| = d = 5 (a transpose keeps the shape)"] = (rng.integers(0, 5, size=(3, 4)), rng.normal(size=(5, 5)))
    cases["ids 0 and |V|-1 (the first and last word)"] = (np.array([[0, 8, 0], [8, 8, 1]]), rng.normal(size=(2, 9)))
    return cases


def _nan_column_case():
    """A case whose W_xh holds NaN in the column of a word absent from the batch.

    The one-hot product multiplies EVERY column of W_xh, by 0 for the absent words, and
    0 x NaN is NaN: its whole result is NaN. A lookup reads only the columns of the words
    present: its result is finite. So the case tells a product from a lookup in disguise,
    whatever library computes it.
    """
    rng = np.random.default_rng(607)
    V, d = 12, 3
    ids = np.array([[2, 5, 0, 0], [7, 2, 9, 1]])
    W_xh = rng.normal(size=(d, V))
    W_xh[:, 11] = np.nan                            # word 11 is in no sentence of the batch
    return ids, W_xh


def check_embeddings(one_hot_embed, lookup_embed):
    """Check one_hot_embed(ids, W_xh) and lookup_embed(ids, W_xh) -> (batch, T, d), both equal to
    the one-hot product computed by NumPy, to 1e-12; one_hot_embed must really multiply by every
    column of W_xh (a NaN in an unused column spreads), lookup_embed must read only the columns
    it needs."""
    chk = Check("embeddings", reference="a NumPy one-hot product")
    for case, (ids, W_xh) in _emb_cases().items():
        d, V = W_xh.shape
        onehot = np.eye(V)[ids]                         # (batch, T, V)
        expected = onehot @ W_xh.T                      # (batch, T, d)
        mistakes = {"W_xh is used without its transpose: W_xh is (d, |V|) in torch layout, so the "
                    "product is one_hot @ W_xh.T, and a lookup takes COLUMNS of W_xh (rows of W_xh.T).":
                        lambda: onehot @ W_xh,
                    "the ids are shifted by one (one_hot of ids - 1 or ids + 1).":
                        lambda: np.eye(V)[(ids + 1) % V] @ W_xh.T}
        for fn, name in ((one_hot_embed, "one_hot_embed"), (lookup_embed, "lookup_embed")):
            got = chk.call(fn, ids.copy(), W_xh.copy(), case=f"{name}: {case}",
                           cause="W_xh is (d, |V|) in torch layout: used without its transpose the shapes do not "
                                 "match. The product is one_hot @ W_xh.T; the lookup takes columns W_xh[:, i].")
            _expect_float64(chk, got, case=f"{name}: {case}", name=name)
            chk.expect_close(got, expected, case=f"{name}: {case}", name=f"{name}'s output",
                             shape_meaning="(batch, T, d)", atol=1e-12, mistakes=mistakes,
                             shape_cause="W_xh is (d, |V|): the embedding of word i is W_xh[:, i], of size d.",
                             cause="one_hot(ids) is (batch, T, |V|) with a single 1 per row; times W_xh.T it "
                                   "picks column ids[b, t] of W_xh.")

    ids, W_xh = _nan_column_case()
    case = "W_xh holds NaN in the column of word 11, which is in no sentence of the batch"
    got = as_array(chk.call(one_hot_embed, ids.copy(), W_xh.copy(), case=f"one_hot_embed: {case}"))
    chk.expect(got is not None and got.shape == ids.shape + (W_xh.shape[0],) and bool(np.isnan(got).all()),
               case=f"one_hot_embed: {case}",
               what="one_hot_embed's output is finite here, so it never multiplied by column 11 of W_xh. The "
                    "one-hot product multiplies every column (by 0 for the words absent from the batch), and "
                    "0 x NaN = NaN, so every entry of a real product is NaN in this case.",
               cause="one_hot_embed picks the columns directly, as lookup_embed does. Build the one-hot tensor "
                     "(batch, T, |V|) and multiply it by W_xh.T: the next cells measure what that costs.")
    expected = W_xh.T[ids]                              # finite: only the columns of the words present
    got = chk.call(lookup_embed, ids.copy(), W_xh.copy(), case=f"lookup_embed: {case}")
    chk.expect_close(got, expected, case=f"lookup_embed: {case}", name="lookup_embed's output",
                     shape_meaning="(batch, T, d)", atol=1e-12,
                     cause="NaN means lookup_embed multiplied by every column of W_xh, as the one-hot product "
                           "does: a lookup reads only the columns ids[b, t] and never touches the others.")
    chk.done(extra="one-hot product == lookup; the product multiplies every column, the lookup reads only "
                   "the columns of the words present")


def _expect_float64(chk, got, *, case, name):
    """A float32 result loses the digits the 1e-12 comparison needs: say so, not "values differ"."""
    arr = as_array(got)
    if arr is not None and arr.dtype in (np.float32, np.float16):
        chk.fail(case, f"{name} returned {arr.dtype} values; W_xh is float64.",
                 "your result is float32 (a one-hot, W_xh or tensor made in float32, e.g. torch's default): "
                 "keep float64 all the way, as W_xh is.")


# -------------------------------------------------------------- last_valid_state

def _state_cases():
    """Hidden states of a real torch.nn.RNN run over right-padded inputs (pads are zeros)."""
    cases = {}
    with torch.random.fork_rng():
        torch.manual_seed(6)
        for case, lengths, T in (("ragged batch of 4", [5, 2, 3, 1], 5),
                                 ("batch of 1, no padding", [4], 4),
                                 ("every sentence of length 1", [1, 1, 1], 3),
                                 ("the longest sentence is not first", [2, 6, 4], 6)):
            rnn = torch.nn.RNN(3, 4, batch_first=True, dtype=torch.float64)
            x = torch.randn(len(lengths), T, 3, dtype=torch.float64)
            for r, L in enumerate(lengths):
                x[r, L:] = 0.0
            lengths = torch.tensor(lengths)
            with torch.no_grad():
                hs, _ = rnn(x)                          # the states a padded batch gives, pads included
                _, h_n = rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
            cases[case] = (hs, lengths, h_n[0])
    return cases


def _index_cause(error):
    """The likely cause of an index out of range in last_valid_state: lengths used as indices."""
    if isinstance(error, IndexError) and "out of bounds" in str(error):
        return ("lengths[b] is the number of words of row b, one past the index of its last word (indices run "
                "from 0): the last word of row b is at lengths[b] - 1. A row with no padding has no index lengths[b].")
    return None


def check_last_valid_state(last_valid_state):
    """Check last_valid_state(hs, lengths) -> (batch, hidden_dim) against pack_padded_sequence's h_n."""
    chk = Check("last_valid_state", reference="pack_padded_sequence's h_n")
    for case, (hs, lengths, expected) in _state_cases().items():
        got = chk.call(last_valid_state, hs.clone(), lengths.clone(), case=case, cause=_index_cause)
        B = len(lengths)
        mistakes = {"this is h_T of the padded sequence, hs[:, -1]: the state after the pads. Take the state "
                    "at step lengths[b] - 1 of each row.": hs[:, -1],
                    "off by one in time: the last word of row b is at index lengths[b] - 1, not lengths[b].":
                        lambda: hs[torch.arange(B), torch.clamp(lengths, max=hs.shape[1] - 1)],
                    "this is the first state hs[:, 0], not the last valid one.": hs[:, 0],
                    "this is the mean of the states over time, not the last valid one.": hs.mean(1)}
        chk.expect_close(got, expected, case=case, name="the last valid states", shape_meaning="(batch, hidden_dim)",
                         atol=1e-12, mistakes=mistakes,
                         shape_cause="pick ONE step per row: index the batch axis and the time axis together, "
                                     "with two index tensors of shape (batch,); hs[:, lengths - 1] picks every "
                                     "row's step for every row, (batch, batch, hidden_dim).",
                         cause="row b's answer is hs[b, lengths[b] - 1].")
    chk.done()


# ------------------------------------------------------------------ SentimentRNN

def _ref_logits(model, ids, lengths):
    """The learner's own weights in a fresh packed torch.nn.RNN: the reference logits."""
    W_emb = model.embedding.weight.detach()
    with torch.random.fork_rng():  # its initial weights are overwritten; leave the notebook's stream alone
        rnn = torch.nn.RNN(W_emb.shape[1], model.rnn.hidden_size, batch_first=True, dtype=torch.float64)
    rnn.load_state_dict(model.rnn.state_dict())
    with torch.no_grad():
        x = W_emb[ids]
        _, h_n = rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        hs, _ = rnn(x)
        return model.out(h_n[0]), model.out(hs[:, -1]), model.out(hs[torch.arange(len(ids)), 0])


def check_SentimentRNN(SentimentRNN):
    """SentimentRNN(vocab_size, embed_dim, hidden_dim, n_classes) with .embedding, .rnn, .out;
    forward(ids, lengths) -> logits (batch, n_classes), from the last valid hidden state."""
    chk = Check("SentimentRNN", reference="a packed torch.nn.RNN with your weights")
    V, d, H, C = 11, 4, 5, 2
    build = "building SentimentRNN(11, 4, 5, 2)"
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = chk.call(SentimentRNN, V, d, H, C, case=build)
    chk.expect(isinstance(model, torch.nn.Module), case=build,
               what=f"SentimentRNN(...) gave a {type(model).__name__}, expected an nn.Module.",
               cause="SentimentRNN must be a class that subclasses torch.nn.Module.")
    for attr, kind, shape, meaning in (("embedding", torch.nn.Embedding, (V, d), "(vocab_size, embed_dim)"),
                                       ("rnn", torch.nn.RNN, (H, d), "(hidden_dim, embed_dim)"),
                                       ("out", torch.nn.Linear, (C, H), "(n_classes, hidden_dim)")):
        layer = getattr(model, attr, None)
        chk.expect(type(layer) is kind, case=build,
                   what=f"self.{attr} should be a torch.nn.{kind.__name__}, got {type(layer).__name__}.",
                   cause=f"create it in __init__ as self.{attr} = nn.{kind.__name__}(...)"
                         + (" (the LSTM comes in notebook 09)." if attr == "rnn" else "."))
        weight = layer.weight if attr != "rnn" else layer.weight_ih_l0
        chk.expect(tuple(weight.shape) == shape, case=build,
                   what=f"the weight of self.{attr} has shape {fmt_shape(weight.shape)}, expected {fmt_shape(shape)} "
                        f"= {meaning}.",
                   cause="check the order of the arguments you pass to the layer.")
    chk.expect(model.rnn.batch_first, case=build, what="self.rnn reads (T, batch, ...) inputs.",
               cause="ids are (batch, T): create the RNN with batch_first=True.")
    chk.expect(model.embedding.padding_idx == 0, case=build,
               what=f"self.embedding.padding_idx is {model.embedding.padding_idx}, expected 0.",
               cause="pass padding_idx=0 so the <pad> vector stays zero and gets no gradient.")
    model = model.double().eval()
    with torch.no_grad():
        model.out.bias.copy_(torch.tensor([0.3, -0.2], dtype=torch.float64))

    def batch(rows, extra_pads=0):
        T = max(len(r) for r in rows) + extra_pads
        ids = torch.zeros(len(rows), T, dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, :len(r)] = torch.tensor(r)
        return ids, torch.tensor([len(r) for r in rows])

    cases = {
        "ragged batch of 3": batch([[2, 3, 4, 5], [6, 7], [8, 9, 10]]),
        "batch of 1, length 1": batch([[4]]),
        "the same batch with 6 extra pads at the end": batch([[2, 3, 4, 5], [6, 7], [8, 9, 10]], extra_pads=6),
        "one long and one short sentence": batch([[1, 2, 3, 4, 5, 6, 7, 8], [9]]),
    }
    for case, (ids, lengths) in cases.items():
        expected, at_pad, first = _ref_logits(model, ids, lengths)
        with torch.no_grad():
            got = chk.call(model, ids.clone(), lengths.clone(), case=case)
        chk.expect_close(got, expected, case=case, name="the logits", shape_meaning="(batch, n_classes)",
                         atol=1e-10,
                         mistakes={"the logits come from h_T of the padded sequence (hs[:, -1]), the state after "
                                   "the pads: use last_valid_state(hs, lengths) or pack_padded_sequence.": at_pad,
                                   "the logits come from the first state, hs[:, 0].": first,
                                   "forward returns probabilities (softmax); return the raw logits.":
                                       lambda: torch.softmax(expected, -1)},
                         cause="embed the ids, run self.rnn, take the last valid state of each row, apply self.out.")
    chk.done(extra="extra padding does not change the logits")
