"""Write solutions/11_seq2seq.ipynb (cells with stable ids)."""
from pathlib import Path
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = []


def md(cid, text):
    cells.append(new_markdown_cell(text.strip("\n"), id=cid))


def code(cid, text, tags=None, nbgrader=None):
    c = new_code_cell(text.strip("\n"), id=cid)
    if tags:
        c.metadata["tags"] = tags
    if nbgrader:
        c.metadata["nbgrader"] = nbgrader
    cells.append(c)


def answer(cid, gid, text):
    code(cid, text, nbgrader={"grade": False, "grade_id": gid, "locked": False, "schema_version": 3,
                              "solution": True, "task": False})


def check(cid, gid, points, text):
    code(cid, text, nbgrader={"grade": True, "grade_id": gid, "locked": True, "points": points,
                              "schema_version": 3, "solution": False, "task": False})


IGNORE = ["nbval-ignore-output"]

md("title", r"""
# 11 · Sequence to sequence: encoder, decoder, attention

Until now every output was lined up with an input: one label per sequence (06) or one
tag per token (07, 08). Translation breaks that: "3 March 2024" has 12 characters and
"2024-03-03" has 10, and "2024년 3월 3일" has 12 again, in another order. You will build
the **encoder-decoder**: one LSTM reads the input and hands its final state to a second
LSTM, which writes the output one token at a time until it says `<eos>`. You build its
four working parts, train it to turn dates written in ten English and Korean formats
into ISO `YYYY-MM-DD`, watch the difference between training with the true previous token
(teacher forcing) and running on its own predictions, measure what squeezing the whole
input through one state vector costs, add dot-product attention and measure what it buys,
and finally try real Korean-to-English messages, where a few thousand short pairs are
simply not enough, and the numbers say so.

**Learning objectives**
- Encode a padded batch and take each sequence's state at its **last valid** step
  (`pack_padded_sequence`), and say what goes wrong when the padding is read too.
- Write one decoder step, the teacher-forced loss (targets shifted by one, `<bos>` and
  `<eos>`, padding masked) and greedy decoding that stops at `<eos>` or a maximum length.
- Explain teacher forcing and exposure bias from a measured gap between the two.
- Measure the bottleneck of one state vector, and what dot-product attention changes.
- Report a real translation result honestly: exact match, a character-level F-score and
  the examples behind them.

**Before this:** 06 (embeddings, the last valid state), 07 (masked per-token loss), 08
(sampling one token at a time), 09 (`torch.nn.LSTM` computes your LSTM cell).

**Time:** about 45 minutes; the notebook runs in about a minute on a laptop CPU (seven
small trainings).
""")

code("setup", r"""
%matplotlib inline
import time
import datetime as dt
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import matplotlib.pyplot as plt
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from tqdm.auto import tqdm

from utils import set_seed
from utils.checks import check_encode, check_seq2seq_decoder_step, check_teacher_forced_loss, check_greedy_decode
from utils.data import load_ko_en
from utils.diagrams import draw_seq2seq
from utils.synthetic.dates import FORMATS, TRAIN_FORMATS, HELD_OUT_FORMAT, make_dates, format_date
from utils.train import bucket_by_length
rng = set_seed(0)
""")

md("sec1-task", r"""
## 1. The task: dates in many formats, one ISO answer

A seeded generator (`utils/synthetic/dates.py`) writes any day from 1950 to 2049 in ten
formats. Two-digit years are read with a pivot (50-99 are 19xx, 00-49 are 20xx), so
every string names exactly one date. The days themselves are split once into disjoint
pools (80 % train, 10 % validation, 10 % test): a test date never appears in training, in
any format. One format, `Mon d, yyyy` ("Mar 3, 2024"), is **held out of training
entirely**; section 7 asks whether the model can read it anyway.
""")

code("show-formats", r"""
day = dt.date(2024, 3, 3)
for name in FORMATS:
    note = "   <- held out of training" if name == HELD_OUT_FORMAT else ""
    print(f"{name:>22s}:  {format_date(day, name)}{note}")
print(f"{'target':>22s}:  {day.isoformat()}")
""")

md("sec1-data", r"""
20,000 training pairs in the nine training formats; 500 validation pairs (they chose the
learning rate and the number of steps, nothing else); 2,000 test pairs on test-pool dates,
and 1,000 test-pool dates in the held-out format. Test pairs are used only for the
numbers reported at the end.
""")

code("make-data", r"""
train_pairs = make_dates(20000, "train", TRAIN_FORMATS, seed=0)
val_pairs = make_dates(500, "val", TRAIN_FORMATS, seed=1)
test_pairs = make_dates(2000, "test", TRAIN_FORMATS, seed=2)
held_pairs = make_dates(1000, "test", [HELD_OUT_FORMAT], seed=3)
for p in train_pairs[:4]:
    print(f"{p.text!r:28s} -> {p.iso}   ({p.format})")
print(len(train_pairs), len(val_pairs), len(test_pairs), len(held_pairs))
""")

md("sec1-vocab", r"""
The model reads and writes **characters**. Three ids are reserved in both vocabularies:
`PAD = 0` fills the end of short sequences, `<bos>` (begin of sequence, 1) is the
decoder's first input, `<eos>` (end, 2) is the token the decoder writes to say it is
done. The source vocabulary holds the characters of every format (the held-out format's
characters included: it uses only characters the other formats use too, and a model
cannot read a character it has no id for). The target vocabulary is the eleven
characters of ISO dates.
""")

code("vocab", r'''
PAD, BOS, EOS = 0, 1, 2


class CharVocab:
    """Characters <-> ids, with <pad> = 0, <bos> = 1, <eos> = 2 reserved."""

    def __init__(self, texts):
        self.itos = ["<pad>", "<bos>", "<eos>"] + sorted(set("".join(texts)))
        self.stoi = {ch: i for i, ch in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, texts, bos=False):
        """A list of strings -> ids (batch, max_len) padded with PAD, each ending in <eos>; and lengths (batch,)."""
        seqs = [([BOS] if bos else []) + [self.stoi[ch] for ch in t] + [EOS] for t in texts]
        ids = torch.full((len(seqs), max(map(len, seqs))), PAD)
        for i, s in enumerate(seqs):
            ids[i, :len(s)] = torch.tensor(s)
        return ids, torch.tensor([len(s) for s in seqs])

    def decode(self, ids):
        """One row of ids -> the string up to the first <eos> (special ids dropped)."""
        out = []
        for i in ids.tolist():
            if i == EOS:
                break
            if i > EOS:
                out.append(self.itos[i])
        return "".join(out)


src_vocab = CharVocab([p.text for p in train_pairs] + [format_date(day, HELD_OUT_FORMAT)])
tgt_vocab = CharVocab("0123456789-")
assert all(ch in src_vocab.stoi for p in held_pairs for ch in p.text), "the held-out format uses a new character"
src_train, len_train = src_vocab.encode([p.text for p in train_pairs])
tgt_train, _ = tgt_vocab.encode([p.iso for p in train_pairs], bos=True)
print("source vocabulary:", len(src_vocab), " target vocabulary:", len(tgt_vocab))
print("src", tuple(src_train.shape), " tgt", tuple(tgt_train.shape), " (batch, max_len)")
print("first target row:", tgt_train[0].tolist(), "=", "<bos>", tgt_vocab.decode(tgt_train[0, 1:]), "<eos>")
''')

md("sec2-encdec", r"""
## 2. The encoder: read everything, keep the last valid state

The encoder is an LSTM over the embedded source characters. Everything the decoder will
ever know about the input is in its final state $(h_S, c_S)$, the state after the last
character. The decoder starts from that state:

$$ (h^{enc}_s, c^{enc}_s) = \text{LSTM}(e(x_s), (h^{enc}_{s-1}, c^{enc}_{s-1})), \qquad
   (h^{dec}_0, c^{dec}_0) = (h^{enc}_S, c^{enc}_S). $$
""")

code("diagram", r"""
draw_seq2seq(list("3 Mar 24"), list("2024"))
plt.show()
""")

md("sec2-padding", r"""
In a padded batch, "last character" means a different position for every row. Run the
LSTM over the padded tensor and its final state is the state *after the padding*: a short
date followed by fifteen `PAD` embeddings is a different state from the short date alone
(PAD's embedding is zero, but the LSTM's biases and recurrent weights still move the state
at every step). That is the bug of PyTorch's own seq2seq tutorial that COURSE.md warns
about. `pack_padded_sequence` tells the LSTM each row's length, so it stops every row at
its own end and returns the right $(h, c)$; `pad_packed_sequence` turns the outputs back
into a padded tensor (zeros after each end). A gather of the outputs at `lengths - 1`
gives the right $h$, but not $c$, which `nn.LSTM` does not return per step.
""")

md("ex1-statement", r"""
### Exercise 1 · `encode` (2 points)

Write `encode(embed, lstm, src, lengths)`:

| name | shape | meaning |
|---|---|---|
| `embed` | `nn.Embedding(vocab, emb)` | character ids -> vectors |
| `lstm` | `nn.LSTM(emb, hidden_dim, batch_first=True)` | the encoder |
| `src` | (batch, src_len) long | ids, padded with PAD at the end |
| `lengths` | (batch,) long | the number of real ids of each row (not sorted) |
| returns `outputs` | (batch, src_len, hidden_dim) | the state at every step (zeros after each end) |
| returns `(h_n, c_n)` | each (1, batch, hidden_dim) | the state after each row's **last valid** step |

The check runs your function on unsorted lengths, a batch of one, a length-1 sequence
beside a long one, and a batch without any padding, and compares with the same LSTM run on
each sequence alone.
""")

answer("ex1-answer", "encode", r'''
def encode(embed, lstm, src, lengths):
    """Run the encoder over a padded batch; return outputs and the state at each row's last valid step.

    src: (batch, src_len) ids padded with PAD    lengths: (batch,) real lengths
    Returns outputs (batch, src_len, hidden_dim) and (h_n, c_n), each (1, batch, hidden_dim).
    """
    ### BEGIN SOLUTION
    x = embed(src)                                            # (batch, src_len, emb)
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    outputs, (h_n, c_n) = lstm(packed)                        # the LSTM stops each row at its length
    outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.shape[1])
    return outputs, (h_n, c_n)
    ### END SOLUTION
''')

check("ex1-check", "check_encode", 2, "check_encode(encode)")

md("ex1-hints", r"""
<details><summary>Hint 1 · where to start</summary>

Embed first, then let torch handle the lengths: `torch.nn.utils.rnn` has a function that
packs a padded batch together with its lengths, and `nn.LSTM` accepts what it returns.

</details>

<details><summary>Hint 2 · the key call</summary>

`pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)`: the batch is
not sorted by length, and with `enforce_sorted=False` torch sorts it inside and returns
`h_n`, `c_n` in your batch order. `pad_packed_sequence(..., total_length=src.shape[1])`
gives the outputs back as a padded tensor of the original width.

</details>

<details><summary>Hint 3 · the shapes, step by step</summary>

`src` (B, S) -> `embed` -> (B, S, emb) -> packed -> `lstm` -> packed outputs and
`(h_n, c_n)`, each (1, B, hidden) -> `pad_packed_sequence` -> (B, S, hidden).

</details>
""")

md("sec3-decoder", r"""
## 3. The decoder, one step at a time

The decoder is a second LSTM with its own embedding of the *target* characters and an
output layer over the target vocabulary. At step $t$ it reads the previous output token
$y_{t-1}$ (at $t = 1$, `<bos>`), updates its state and scores every possible next token:

$$ (h_t, c_t) = \text{LSTM}(e(y_{t-1}), (h_{t-1}, c_{t-1})), \qquad
   \text{logits}_t = W_{hy} h_t + b_y. $$
""")

md("ex2-statement", r"""
### Exercise 2 · `decoder_step` (2 points)

Write `decoder_step(embed, lstm, out_layer, y_prev, state)`: `y_prev` is (batch,) token
ids, `state` is `(h, c)`, each (1, batch, hidden_dim). Return `logits` (batch, vocab),
the raw scores of `out_layer` (no softmax), and the new state `(h, c)`. The LSTM is
batch-first and expects a time axis: one step is a sequence of length 1.
""")

answer("ex2-answer", "decoder_step", r'''
def decoder_step(embed, lstm, out_layer, y_prev, state):
    """One decoder step: embed y_prev, advance the LSTM one step from state, score the next token.

    y_prev: (batch,) ids    state: (h, c), each (1, batch, hidden_dim)
    Returns logits (batch, vocab) and the new state (h, c).
    """
    ### BEGIN SOLUTION
    x = embed(y_prev)[:, None]            # (batch, 1, emb): a sequence of one step
    out, state = lstm(x, state)           # out: (batch, 1, hidden_dim)
    return out_layer(out[:, 0]), state
    ### END SOLUTION
''')

check("ex2-check", "check_seq2seq_decoder_step", 2, "check_seq2seq_decoder_step(decoder_step)")

md("ex2-hints", r"""
<details><summary>Hint 1 · where to start</summary>

Three modules, used in order: the embedding, the LSTM (given the state), the output layer.
The only trap is the time axis.

</details>

<details><summary>Hint 2 · the key equation</summary>

$(h_t, c_t) = \text{LSTM}(e(y_{t-1}), (h_{t-1}, c_{t-1}))$, logits $= W_{hy} h_t + b_y$:
the prediction is made from $h_t$, never from $c_t$, and the new state is what the LSTM
returns.

</details>

<details><summary>Hint 3 · the shapes, step by step</summary>

`y_prev` (B,) -> `embed` -> (B, emb) -> add the time axis at position 1 -> (B, 1, emb) ->
`lstm(x, state)` -> out (B, 1, hidden) -> take step 0 -> (B, hidden) -> `out_layer` -> (B, vocab).

</details>
""")

md("sec4-tf", r"""
## 4. Training with teacher forcing

Each target is stored as `<bos> y_1 ... y_n <eos>` and padded. During training the
decoder is fed the **true** previous token at every step, whatever it would have
predicted itself: that is **teacher forcing**. Its input is the target without its last
token, and its target at each step is the next token, the same row **shifted by one**:

| position | 0 | 1 | ... | n | n+1.. |
|---|---|---|---|---|---|
| input `tgt[:, :-1]` | `<bos>` | $y_1$ | ... | $y_n$ | PAD |
| target `tgt[:, 1:]` | $y_1$ | $y_2$ | ... | `<eos>` | PAD |

The loss is the cross-entropy of the target tokens, averaged over the **real** ones:
positions whose target is PAD are masked out (averaging them in is d2l's bug). `<eos>` is
a real target: a model never trained to say it never stops. Because every input is known
in advance, the decoder runs over the whole target in **one** fused LSTM call, which is
why teacher forcing is fast.
""")

md("ex3-statement", r"""
### Exercise 3 · `teacher_forced_loss` (2 points)

Write `teacher_forced_loss(decoder_logits, tgt)`. `tgt` is (batch, T) as in the table;
`decoder_logits(dec_in)` runs the decoder with teacher forcing and returns logits
(batch, T_in, vocab) for inputs `dec_in` (batch, T_in). Return the mean cross-entropy
over the real target tokens as a scalar tensor (so `loss.backward()` can train the model).
""")

answer("ex3-answer", "teacher_forced_loss", r'''
def teacher_forced_loss(decoder_logits, tgt):
    """Mean cross-entropy of tgt[:, 1:] given the inputs tgt[:, :-1], over the positions that are not PAD.

    tgt: (batch, T) ids, each row <bos> y_1 ... y_n <eos> PAD ...
    decoder_logits: f(dec_in (batch, T - 1)) -> logits (batch, T - 1, vocab)
    Returns a scalar tensor.
    """
    ### BEGIN SOLUTION
    dec_in, target = tgt[:, :-1], tgt[:, 1:]       # shifted by one
    logits = decoder_logits(dec_in)                 # (batch, T - 1, vocab)
    nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none")
    mask = (target != PAD).reshape(-1).float()      # <eos> counts, PAD does not
    return (nll * mask).sum() / mask.sum()
    ### END SOLUTION
''')

check("ex3-check", "check_teacher_forced_loss", 2, "check_teacher_forced_loss(teacher_forced_loss)")

md("ex3-hints", r"""
<details><summary>Hint 1 · where to start</summary>

Slice `tgt` twice: one slice is what the decoder reads, the other what it must predict.
Then it is the masked per-token loss of notebook 07.

</details>

<details><summary>Hint 2 · the key equation</summary>

$L = \frac{1}{\sum_{b,t} m_{bt}} \sum_{b,t} m_{bt} \, (-\log p(y_{b,t+1} \mid y_{b,\le t}))$
with $m_{bt} = 1$ where `tgt[b, t + 1] != PAD`. `F.cross_entropy(..., ignore_index=PAD)`
computes exactly this mean too.

</details>

<details><summary>Hint 3 · the shapes, step by step</summary>

`tgt` (B, T) -> `dec_in = tgt[:, :-1]` (B, T-1), `target = tgt[:, 1:]` (B, T-1) ->
logits (B, T-1, V) -> `cross_entropy` wants (N, V) and (N,): reshape both to N = B (T-1).

</details>
""")

md("sec5-greedy", r"""
## 5. Greedy decoding: the model on its own

At test time there is no true previous token. The decoder starts from the encoder's state
and `<bos>`, takes the most likely token (the argmax of the logits), feeds it back as the
next input, and repeats. A row is finished once it has written `<eos>`; positions after
that are filled with PAD. Decoding stops as soon as **every** row is finished, or after
`max_len` steps, because a model that never writes `<eos>` must not loop forever.
""")

md("ex4-statement", r"""
### Exercise 4 · `greedy_decode` (2 points)

Write `greedy_decode(step, state, batch_size, max_len)`. `step(y_prev, state)` is one
decoder step (your `decoder_step` with the model's modules filled in): it takes (batch,)
ids and returns `(logits (batch, vocab), state)`. Return the predicted ids
(batch, L) as a long tensor: the tokens after `<bos>` (not `<bos>` itself), each row's
`<eos>` included and PAD after it, with L the number of steps taken (L <= max_len).
""")

answer("ex4-answer", "greedy_decode", r'''
def greedy_decode(step, state, batch_size, max_len):
    """Greedy decoding from <bos> until every row has written <eos>, or max_len steps.

    step: f(y_prev (batch,), state) -> (logits (batch, vocab), state)
    Returns ids (batch, L), L <= max_len: <eos> included, PAD after it, no <bos>.
    """
    ### BEGIN SOLUTION
    y = torch.full((batch_size,), BOS, dtype=torch.long)
    finished = torch.zeros(batch_size, dtype=torch.bool)
    tokens = []
    for _ in range(max_len):
        logits, state = step(y, state)
        y = torch.where(finished, torch.full_like(y, PAD), logits.argmax(-1))   # PAD once a row is done
        tokens.append(y)
        finished = finished | (y == EOS)
        if finished.all():
            break
    return torch.stack(tokens, dim=1)
    ### END SOLUTION
''')

check("ex4-check", "check_greedy_decode", 2, "check_greedy_decode(greedy_decode)")

md("ex4-hints", r"""
<details><summary>Hint 1 · where to start</summary>

A `for` loop of at most `max_len` steps, one call of `step` per step, and a boolean
vector that remembers which rows have already written `<eos>`.

</details>

<details><summary>Hint 2 · the key equation</summary>

$\hat y_t = \arg\max \text{logits}_t$, and $\hat y_t$ is the input of step $t + 1$
(with $\hat y_0 = $ `<bos>`). A finished row gets PAD: `torch.where(finished, PAD, y)`;
leave the loop when `finished.all()`.

</details>

<details><summary>Hint 3 · the shapes, step by step</summary>

`y` starts as `torch.full((batch_size,), BOS)`, (B,). Each step: logits (B, V) ->
argmax (B,) -> appended to a list. At the end `torch.stack(list, dim=1)` is (B, L).

</details>
""")

md("sec6-model", r"""
## 6. The model, assembled from your four functions

`Seq2Seq` holds the modules; `encode` runs your encoder, `decoder_logits` the teacher-forced
decoder (one fused call over all target steps, used by your loss), `translate` your
`greedy_decode` with your `decoder_step`. With `attention=True` (section 9) the output
layer also sees a summary of the encoder states; ignore it for now.
""")

code("model", r'''
class Seq2Seq(nn.Module):
    """Character encoder-decoder: embedding + LSTM encoder, embedding + LSTM decoder, linear output layer."""

    def __init__(self, n_src, n_tgt, emb=32, hidden=64, attention=False):
        super().__init__()
        self.src_embed = nn.Embedding(n_src, emb, padding_idx=PAD)
        self.encoder = nn.LSTM(emb, hidden, batch_first=True)
        self.tgt_embed = nn.Embedding(n_tgt, emb, padding_idx=PAD)
        self.decoder = nn.LSTM(emb, hidden, batch_first=True)
        self.attention = attention
        self.out = nn.Linear(2 * hidden if attention else hidden, n_tgt)

    def attend(self, h_dec, enc_out, src_mask):
        """Dot-product attention (section 9). h_dec: (B, T, H), enc_out: (B, S, H), src_mask: (B, S) True where real.

        Returns [h_dec; context] (B, T, 2H) and the weights (B, T, S).
        """
        scores = h_dec @ enc_out.transpose(1, 2)                      # (B, T, S): h_t . e_s
        weights = scores.masked_fill(~src_mask[:, None, :], float("-inf")).softmax(-1)
        return torch.cat([h_dec, weights @ enc_out], dim=-1), weights

    def decoder_logits_fn(self, src, lengths):
        """Encode once; return f(dec_in (B, T)) -> logits (B, T, vocab), teacher forced."""
        enc_out, state = encode(self.src_embed, self.encoder, src, lengths)

        def decoder_logits(dec_in):
            h, _ = self.decoder(self.tgt_embed(dec_in), state)       # all steps in one fused call
            if self.attention:
                h, _ = self.attend(h, enc_out, src != PAD)
            return self.out(h)
        return decoder_logits

    @torch.no_grad()
    def translate(self, src, lengths, max_len):
        """Greedy decoding of a batch: ids (B, L), L <= max_len."""
        was_training = self.training
        self.eval()
        enc_out, state = encode(self.src_embed, self.encoder, src, lengths)
        out_layer = self.out
        if self.attention:   # the output layer sees [h_t; context_t]
            mask = src != PAD
            out_layer = lambda h: self.out(self.attend(h[:, None], enc_out, mask)[0][:, 0])
        step = lambda y, s: decoder_step(self.tgt_embed, self.decoder, out_layer, y, s)
        ids = greedy_decode(step, state, len(src), max_len)
        self.train(was_training)
        return ids
''')

md("sec6-loop", r"""
The training loop is short and visible: random batches of 128, Adam, gradient clipping
at norm 1, a **fixed number of steps** (so the result does not depend on the machine's speed). Every
evaluation step it measures, on the 500 validation dates, both the teacher-forced
token accuracy and the model's own greedy exact match, and it records the training
seconds (CPU time of the training steps only, evaluation excluded). The learning rate
(0.01 over 0.005) was chosen on the validation split. Batches of dates of similar length
(`bucket=True`) would waste less padding, but here they hold mostly one or two formats
each, and in a probe on the validation split that made training much slower per step
taken (about 0.7 instead of 0.98 exact match after 600 steps), so batches are random.
""")

code("train-fn", r'''
def exact_match(model, src_texts, iso, max_len=12):
    """Greedy-decode every string; return the fraction equal to its target and the predictions."""
    src, lengths = src_vocab.encode(src_texts)
    preds = [tgt_vocab.decode(row) for row in model.translate(src, lengths, max_len)]
    return float(np.mean([p == t for p, t in zip(preds, iso)])), preds


def train_seq2seq(model, src, lengths, tgt, steps, lr=0.01, batch_size=128, eval_at=(), val=None, seed=0,
                  snapshot_at=None, bucket=False, desc="training"):
    """Train with teacher forcing for a fixed number of steps; at the steps in eval_at log the loss and both accuracies.

    snapshot_at: a step at which to keep a copy of the weights (log["snapshot"]).
    """
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    order = bucket_by_length(lengths.numpy(), batch_size) if bucket else (
        lambda r: list(torch.as_tensor(r.permutation(len(src))).split(batch_size)))
    rng = np.random.default_rng(seed)
    batches = []
    log = {"step": [], "loss": [], "tf_token_acc": [], "free_exact": [], "seconds": []}
    seconds, losses, last = 0.0, [], 0
    for step in tqdm(range(1, steps + 1), desc=desc, leave=False):
        if not batches:
            batches = order(rng)
        idx = batches.pop()
        idx = idx[torch.argsort(lengths[idx], descending=True)]   # longest first: packing need not reorder
        t0 = time.process_time()
        S, T = int(lengths[idx].max()), int((tgt[idx] != PAD).sum(1).max())
        loss = teacher_forced_loss(model.decoder_logits_fn(src[idx, :S], lengths[idx]), tgt[idx, :T])
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        seconds += time.process_time() - t0
        losses.append(loss.item())
        if snapshot_at == step:
            log["snapshot"] = {k: v.clone() for k, v in model.state_dict().items()}
        if val is not None and step in eval_at:
            v_src, v_len, v_tgt, v_texts, v_iso = val
            with torch.no_grad():
                model.eval()
                logits = model.decoder_logits_fn(v_src, v_len)(v_tgt[:, :-1])
                model.train()
            target = v_tgt[:, 1:]
            real = target != PAD
            log["step"].append(step)
            log["loss"].append(float(np.mean(losses[last:])))
            last = len(losses)
            log["tf_token_acc"].append(((logits.argmax(-1) == target) & real).sum().item() / real.sum().item())
            log["free_exact"].append(exact_match(model, v_texts, v_iso)[0])
            log["seconds"].append(seconds)
    log["train_seconds"] = seconds
    return log


val_src, val_len = src_vocab.encode([p.text for p in val_pairs])
val_tgt, _ = tgt_vocab.encode([p.iso for p in val_pairs], bos=True)
val_data = (val_src, val_len, val_tgt, [p.text for p in val_pairs], [p.iso for p in val_pairs])
''')

md("sec6-train", r"""
The first model has no attention: everything the decoder learns about the input passes
through the encoder's final 64-unit state $(h, c)$.
""")

code("train-plain", r"""
set_seed(0)
plain = Seq2Seq(len(src_vocab), len(tgt_vocab), emb=32, hidden=64)
n_params = sum(p.numel() for p in plain.parameters())
EVAL_AT = [20, 40, 60, 100, 150, 200, 300, 400]
plain_log = train_seq2seq(plain, src_train, len_train, tgt_train, steps=400, eval_at=EVAL_AT, val=val_data, seed=0,
                          snapshot_at=200, desc="encoder-decoder, no attention")
print(f"{n_params} parameters; {plain_log['seconds'][-1]:.1f} s of training (CPU); "
      f"validation exact match after 400 steps: {plain_log['free_exact'][-1]:.3f}")
""", tags=IGNORE)

md("sec7-results", r"""
## 7. Results on held-out dates

Exact match is the fraction of test strings whose whole ISO date is right. Per field, a
year, month or day counts as right when the predicted string has the form `YYYY-MM-DD`
and that field is equal. The baseline beside it is the best answer that ignores the input:
the most frequent year, month and day of the training targets (a model that did not read
would score about this).
""")

code("eval-fn", r'''
def field_accuracy(preds, iso):
    """Fraction of predictions with the right year, month and day (a malformed prediction is wrong in all)."""
    ok = {"year": [], "month": [], "day": []}
    for p, t in zip(preds, iso):
        well_formed = len(p) == 10 and p[4] == "-" and p[7] == "-"
        for name, sl in [("year", slice(0, 4)), ("month", slice(5, 7)), ("day", slice(8, 10))]:
            ok[name].append(well_formed and p[sl] == t[sl])
    return {k: float(np.mean(v)) for k, v in ok.items()}


def majority_baseline(train_iso, test_iso):
    """Per-field accuracy of always answering the most frequent year, month and day of training."""
    guess = "-".join(Counter(t.split("-")[k] for t in train_iso).most_common(1)[0][0] for k in range(3))
    return field_accuracy([guess] * len(test_iso), test_iso), float(np.mean([guess == t for t in test_iso]))


test_texts, test_iso = [p.text for p in test_pairs], [p.iso for p in test_pairs]
held_texts, held_iso = [p.text for p in held_pairs], [p.iso for p in held_pairs]
plain_test, plain_preds = exact_match(plain, test_texts, test_iso)
plain_fields = field_accuracy(plain_preds, test_iso)
plain_held, plain_held_preds = exact_match(plain, held_texts, held_iso)
base_fields, base_exact = majority_baseline([p.iso for p in train_pairs], test_iso)
''')

code("results-plain", r"""
print(f"no attention, test dates, 9 training formats: exact match {plain_test:.3f}")
print("  per field: " + ", ".join(f"{k} {v:.3f}" for k, v in plain_fields.items()))
print(f"  baseline (most frequent year, month, day): exact {base_exact:.4f}, "
      + ", ".join(f"{k} {v:.3f}" for k, v in base_fields.items()))
print(f"held-out format {HELD_OUT_FORMAT!r} (never seen in training): exact match {plain_held:.3f}")
per_format = {f: np.mean([p == t for p, t, q in zip(plain_preds, test_iso, test_pairs) if q.format == f])
              for f in TRAIN_FORMATS}
print("per training format:", ", ".join(f"{f} {a:.3f}" for f, a in per_format.items()))
""", tags=IGNORE)

code("assert-plain", r"""
assert plain_test >= 0.90, f"the encoder-decoder without attention should get >= 90 % of test dates, got {plain_test:.3f}"
assert min(plain_fields.values()) >= 0.90, f"every field should be >= 90 % right, got {plain_fields}"
assert plain_test > base_exact + 0.9 and min(plain_fields.values()) > max(base_fields.values()) + 0.5
print("no attention, 400 steps: test exact match and every field >= 0.90, far above the majority baseline")
""")

md("sec7-errors", r"""
Which strings does it get wrong, and what does it do with the held-out format?
""")

code("show-errors", r"""
wrong = [(s, t, p) for s, t, p in zip(test_texts, test_iso, plain_preds) if p != t]
print(f"{len(wrong)} wrong of {len(test_texts)} test strings; the first ones:")
for s, t, p in wrong[:6]:
    print(f"  {s!r:30s} expected {t}  got {p}")
print(f"held-out format {HELD_OUT_FORMAT!r}:")
for s, t, p in list(zip(held_texts, held_iso, plain_held_preds))[:6]:
    print(f"  {s!r:30s} expected {t}  got {p}  {'ok' if p == t else 'WRONG'}")
held_fields = field_accuracy(plain_held_preds, held_iso)
print("held-out format per field: " + ", ".join(f"{k} {v:.3f}" for k, v in held_fields.items()))
""", tags=IGNORE)

md("sec7-held-text", r"""
Read the held-out line as a measurement, not a promise. "Mar 3, 2024" is built from parts
the model has seen elsewhere (a three-letter month in "Sunday, 3 Mar 2024", a day followed
by a comma and a four-digit year in "March 3rd, 2024"), but never in this order. Whatever
the number above shows, it is one model trained on nine formats; a format with a new
order of fields, or new characters, would be another question.
""")

md("sec8-tf", r"""
## 8. Teacher forcing against free running, and exposure bias

During training the model only ever saw the true previous token. At test time it sees its
own predictions. The log of section 6 measured both on the validation dates while
training: the **teacher-forced** token accuracy (every step given the true prefix) and the
**free-running** exact match (greedy decoding, its own prefix, all ten characters right).
""")

code("plot-tf", r"""
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.4))
ax1.plot(plain_log["step"], plain_log["loss"], color="C3")
ax1.set_yscale("log")
ax1.set_xlabel("training step")
ax1.set_ylabel("teacher-forced loss (training batches)")
ax1.set_title("The loss the model is trained on")
ax2.plot(plain_log["step"], plain_log["tf_token_acc"], label="teacher forced: token accuracy")
ax2.plot(plain_log["step"], plain_log["free_exact"], label="free running: exact match")
ax2.set_xlabel("training step")
ax2.set_ylabel("validation accuracy")
ax2.set_ylim(0, 1.02)
ax2.set_title("Given the true prefix vs. its own")
ax2.legend(loc="lower right")
plt.tight_layout()
plt.show()
""")

code("tf-gap", r"""
gaps = np.array(plain_log["tf_token_acc"]) - np.array(plain_log["free_exact"])
k = int(np.argmax(gaps))
print(f"largest gap at step {plain_log['step'][k]}: teacher-forced token accuracy {plain_log['tf_token_acc'][k]:.2f}, "
      f"free-running exact match {plain_log['free_exact'][k]:.2f}")
""", tags=IGNORE)

code("tf-assert", r"""
assert gaps.max() > 0.3, "early in training the teacher-forced number should be far above the free-running one"
assert gaps[-1] < gaps.max() / 3, "the gap should close as the model learns"
print("the gap between teacher-forced and free-running accuracy is large early and closes later")
""")

md("sec8-text", r"""
Two different things make the gap. Part of it is arithmetic: ten characters must all be
right for an exact match, so a token accuracy of 0.9 gives at most about $0.9^{10} \approx
0.35$ when errors are independent. The rest is **exposure bias**: the model was trained
only on true prefixes, so after its own first mistake (say, a wrong decade) it is in a
state it never saw in training, and its later tokens are conditioned on an error it was
never taught to recover from. Teacher forcing is still how seq2seq models are trained,
because it is fast (one fused call over all steps, section 4) and gives a clean signal at
every step; the cure for exposure bias, when it matters, is to feed the model some of its
own predictions in training (scheduled sampling) or to train on whole decoded sequences.
Here, once the model is good, its own prefixes are the true ones and the gap closes.
""")

md("sec9-bottleneck", r"""
## 9. The bottleneck, and attention

Everything the decoder knows about the input is in one 64-unit state $(h, c)$. For a date
that is not much information, but the encoder must *assemble* it while reading: it must
keep the day it saw first ("3 March 2024") until the year arrives, or the year it saw
first ("2024년 3월 3일") until the day arrives, and the decoder must unpack it in ISO order.
Longer inputs give it more steps to keep things in, and more distraction (weekday names).
Accuracy against input length is the first place to look for the squeeze.

**Dot-product attention** removes the single handover. At every decoder step $t$ the
decoder's state $h_t$ scores every encoder state $e_s$ (the `outputs` of your `encode`),
and the output layer sees a weighted summary of them beside $h_t$:

$$ a_{ts} = \frac{\exp(h_t \cdot e_s)}{\sum_{s'} \exp(h_t \cdot e_{s'})}, \qquad
   \text{ctx}_t = \sum_s a_{ts}\, e_s, \qquad
   \text{logits}_t = W [h_t; \text{ctx}_t] + b, $$

with padded positions given weight 0 (their score is set to $-\infty$). Nothing else
changes: the same encoder, decoder, loss and greedy decoding (your `decoder_step` is
called with an output layer that attends first; see `Seq2Seq.translate`).
""")

code("diagram-att", r"""
draw_seq2seq(list("3 Mar 24"), list("2024"), attention=True)
plt.show()
""")

md("sec9-compare", r"""
The comparison, in two parts. First the attention model of seed 0, trained like the model
above (same data, batches and learning rate) for 200 steps, half as many as above, and evaluated on the test dates. Then two more
seeds of each model for 60 steps, so that the early comparison rests on three seeds of
each (the seed-0 runs give their first 60 steps: same seed, same batches, and the
evaluation draws no random numbers).
""")

code("train-att", r"""
set_seed(0)
att_model = Seq2Seq(len(src_vocab), len(tgt_vocab), emb=32, hidden=64, attention=True)
att_log = train_seq2seq(att_model, src_train, len_train, tgt_train, steps=200, eval_at=EVAL_AT[:6], val=val_data,
                        seed=0, desc="encoder-decoder with attention")
att_test, att_preds = exact_match(att_model, test_texts, test_iso)
att_fields = field_accuracy(att_preds, test_iso)
att_held, att_held_preds = exact_match(att_model, held_texts, held_iso)
print(f"attention, 200 steps ({att_log['seconds'][-1]:.1f} s): test exact match {att_test:.3f}; "
      + ", ".join(f"{k} {v:.3f}" for k, v in att_fields.items()))
print(f"attention on the held-out format {HELD_OUT_FORMAT!r}: exact match {att_held:.3f} "
      f"(no attention, 400 steps: {plain_held:.3f})")
""", tags=IGNORE)

code("att-assert", r"""
assert att_test >= 0.98, f"with attention, 200 steps should reach >= 98 % exact match on test dates, got {att_test:.3f}"
assert min(att_fields.values()) >= 0.98 and att_test > plain_test
print("attention: test exact match >= 0.98 in 200 steps, above the model without attention after 400")
""")

code("train-seeds", r"""
def first(log, step):
    return {k: v[:log["step"].index(step) + 1] if isinstance(v, list) else v for k, v in log.items()}

curves = {"no attention": [first(plain_log, 60)], "attention": [first(att_log, 60)]}
for seed in (1, 2):
    for name, attention in [("no attention", False), ("attention", True)]:
        set_seed(seed)
        m = Seq2Seq(len(src_vocab), len(tgt_vocab), emb=32, hidden=64, attention=attention)
        curves[name].append(train_seq2seq(m, src_train, len_train, tgt_train, steps=60, eval_at=EVAL_AT[:3],
                                          val=val_data, seed=seed, desc=f"{name}, seed {seed}"))
early = {name: np.array([log["free_exact"][-1] for log in logs]) for name, logs in curves.items()}
for name, acc in early.items():
    secs = np.mean([log["seconds"][-1] for log in curves[name]])
    print(f"{name:>13s}: validation exact match after 60 steps ({secs:.1f} s) {acc.mean():.3f} ± {acc.std():.3f} "
          f"(seeds {', '.join(f'{a:.3f}' for a in acc)})")
""", tags=IGNORE)

code("seeds-assert", r"""
assert early["attention"].min() > early["no attention"].max() + 0.2, \
    "after 60 steps every attention seed should be far ahead of every no-attention seed"
print("after 60 steps every attention seed is more than 0.2 ahead of every no-attention seed")
""")

code("plot-seconds", r"""
fig, ax = plt.subplots(figsize=(7, 3.6))
for name, log, color in [("no attention", plain_log, "C0"), ("attention", att_log, "C1")]:
    ax.plot(log["seconds"], log["free_exact"], color=color, marker="o", label=f"{name}, seed 0")
    for extra in curves[name][1:]:
        ax.plot(extra["seconds"], extra["free_exact"], color=color, alpha=0.5, ls="--", marker=".")
ax.plot([], [], color="gray", ls="--", label="seeds 1 and 2 (60 steps)")
ax.set_xlabel("training time (CPU seconds, evaluation excluded)")
ax.set_ylabel("validation exact match (greedy)")
ax.set_ylim(0, 1.02)
ax.set_title("Accuracy against training time")
ax.legend(loc="lower right")
plt.show()
""")

md("sec9-length", r"""
Accuracy against input length, on the 2,000 test dates, binned by the number of source
characters: both models after the same 200 steps (a copy of the weights of the model
without attention was kept at step 200), and the model without attention after 400 steps.
""")

code("length-eval", r"""
def accuracy_by_length(model, bins):
    _, preds = exact_match(model, test_texts, test_iso)
    lengths = np.array([len(s) for s in test_texts])
    right = np.array([p == t for p, t in zip(preds, test_iso)])
    return np.array([right[(lengths >= lo) & (lengths < hi)].mean() for lo, hi in bins])


def from_snapshot(log, attention):
    m = Seq2Seq(len(src_vocab), len(tgt_vocab), emb=32, hidden=64, attention=attention)
    m.load_state_dict(log["snapshot"])
    return m


bins = [(8, 11), (11, 14), (14, 17), (17, 20), (20, 23)]
assert max(len(s) for s in test_texts) < 23
counts = [sum(lo <= len(s) < hi for s in test_texts) for lo, hi in bins]
by_length = {"no attention, 200 steps": accuracy_by_length(from_snapshot(plain_log, False), bins),
             "no attention, 400 steps": accuracy_by_length(plain, bins),
             "attention, 200 steps": accuracy_by_length(att_model, bins)}
fig, ax = plt.subplots(figsize=(7, 3.6))
labels = [f"{lo}-{hi - 1}\n(n={n})" for (lo, hi), n in zip(bins, counts)]
for (name, acc), (color, ls) in zip(by_length.items(), [("C0", "--"), ("C0", "-"), ("C1", "-")]):
    ax.plot(range(len(bins)), acc, color=color, ls=ls, marker="o", label=name)
ax.set_xticks(range(len(bins)), labels)
ax.set_xlabel("input length (characters)")
ax.set_ylabel("test exact match")
ax.set_ylim(0, 1.02)
ax.set_title("Accuracy against input length")
ax.legend(loc="lower left", fontsize=8)
plt.show()
for name, acc in by_length.items():
    print(f"{name:>24s}: " + "  ".join(f"{a:.2f}" for a in acc))
""", tags=IGNORE)

md("sec9-weights", r"""
What does the attention model look at? The weights $a_{ts}$ for one Korean-style
(`yy. m. d.`) and one English test date: each row is one output character, each column one input character.
""")

code("att-weights", r"""
def attention_weights(model, text):
    src, lengths = src_vocab.encode([text])
    pred = model.translate(src, lengths, 12)[0]
    out = tgt_vocab.decode(pred)
    dec_in, _ = tgt_vocab.encode([out], bos=True)
    with torch.no_grad():
        enc_out, state = encode(model.src_embed, model.encoder, src, lengths)
        h, _ = model.decoder(model.tgt_embed(dec_in[:, :-1]), state)
        _, w = model.attend(h, enc_out, src != PAD)
    return out, w[0].numpy()

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for ax, pair in zip(axes, [p for p in test_pairs if p.format == "yy. m. d."][:1]
                    + [p for p in test_pairs if p.format == "Month dth, yyyy"][:1]):
    out, w = attention_weights(att_model, pair.text)
    ax.imshow(w, cmap="Greys", aspect="auto", vmin=0, vmax=1)
    ax.set_xticks(range(len(pair.text) + 1), list(pair.text.replace(" ", "␣")) + ["<eos>"], fontsize=8)
    ax.set_yticks(range(len(out) + 1), list(out) + ["<eos>"], fontsize=8)
    ax.set_xlabel("input character")
    ax.set_ylabel("output character")
    ax.set_title(f"{pair.text!r} -> {out}", fontsize=10)
plt.tight_layout()
plt.show()
""")

md("sec9-text", r"""
The comparison in numbers (printed above): attention learns the task in a fraction of
the steps, on every seed, because no single state has to carry the whole date to the
decoder; each output character can look up the input characters it needs (in the weight
maps, each output digit mostly looks at the input characters of its own field).

Input length itself is not what hurts here. Read the length plot: for the model without
attention the **shortest** inputs, the all-digit formats `20240303` and `03/03/24`, are
among the hardest (see also the per-format accuracies of section 7), because there only
the position of a digit says which field it belongs to, and the encoder must count
positions into its state. At these lengths (at most 22 characters) the single state is
long enough; what it costs is the work of packing the fields into it, which shows as
training time. With more steps the model without attention gets there too
(an external reference probe with 128 units and 30 s of training reached 99.5-99.9 %
without attention): for short, low-information inputs like dates the bottleneck costs
mostly **training time**, not final accuracy. The longer and richer the input (a sentence
rather than a date), the more one state vector has to hold, and that is where attention
became indispensable in machine translation (and where transformers, built from attention
alone, came from).
""")

md("sec10-korean", r"""
## 10. Real Korean to English

The shipped pairs (`load_ko_en()`) are 2,576 user-interface messages of Django, Sphinx
and Wagtail with their Korean translations. To keep training short we take the pairs
whose English and Korean both have at most 20 characters, drop repeated Korean strings,
hold out 15 % of them as a test set, and train the attention model, character by
character, Korean in, English out (64 units, 250 steps).

Two measures on the test pairs: **exact match**, and a **character n-gram F-score**
(chrF-style: the F1 of shared character 1-, 2- and 3-grams between the prediction and the
reference, averaged over n), which gives partial credit to "Delete selected" for
"Delete selected items". The baseline is **retrieval**: answer with the English of the
training pair whose Korean shares the most character bigrams with the test Korean.
""")

code("ko-data", r"""
pairs = load_ko_en()
short, seen = [], set()
for english, korean in pairs:
    if len(english) <= 20 and len(korean) <= 20 and korean not in seen:
        seen.add(korean)
        short.append((korean, english))
order = np.random.default_rng(0).permutation(len(short))
n_test = int(0.15 * len(short))
ko_test = [short[i] for i in order[:n_test]]
ko_train = [short[i] for i in order[n_test:]]
ko_vocab = CharVocab([k for k, _ in short])
en_vocab = CharVocab([e for _, e in short])
print(f"{len(pairs)} pairs, {len(short)} short ones with distinct Korean: {len(ko_train)} train, {len(ko_test)} test")
print(f"vocabulary: {len(ko_vocab)} Korean characters, {len(en_vocab)} English ones")
for k, e in ko_train[:4]:
    print(f"  {k!r:24s} -> {e!r}")
""")

code("ko-metric", r'''
def char_f_score(pred, ref, max_n=3):
    """chrF-style: F1 of the character n-grams shared by pred and ref, averaged over n = 1..max_n."""
    scores = []
    for n in range(1, max_n + 1):
        p = Counter(pred[i:i + n] for i in range(len(pred) - n + 1))
        r = Counter(ref[i:i + n] for i in range(len(ref) - n + 1))
        overlap = sum((p & r).values())
        if not p or not r or overlap == 0:
            scores.append(float(pred == ref) if not p and not r else 0.0)
            continue
        precision, recall = overlap / sum(p.values()), overlap / sum(r.values())
        scores.append(2 * precision * recall / (precision + recall))
    return float(np.mean(scores))


def retrieve(queries, train):
    """For each query, the English of the training pair whose Korean shares the most character bigrams with it.

    Similarity: Dice coefficient of the sets of character bigrams, 2 |A & B| / (|A| + |B|), as one matrix product.
    """
    grams = lambda t: {t[i:i + 2] for i in range(len(t) - 1)} or {t}
    index = {g: j for j, g in enumerate(sorted(set().union(*(grams(k) for k, _ in train))))}
    def onehot(texts):
        m = np.zeros((len(texts), len(index)), dtype=np.float32)
        for i, t in enumerate(texts):
            m[i, [index[g] for g in grams(t) if g in index]] = 1
        return m
    R, Q = onehot([k for k, _ in train]), onehot(queries)
    dice = 2 * (Q @ R.T) / (Q.sum(1, keepdims=True) + R.sum(1) + 1e-9)
    return [train[j][1] for j in dice.argmax(1)]


assert char_f_score("Delete", "Delete") == 1.0 and char_f_score("abc", "xyz") == 0.0
print(f"{char_f_score('Delete selected', 'Delete selected items'):.3f}")
''')

code("ko-train", r"""
set_seed(0)
ko_src, ko_len = ko_vocab.encode([k for k, _ in ko_train])
en_tgt, _ = en_vocab.encode([e for _, e in ko_train], bos=True)
translator = Seq2Seq(len(ko_vocab), len(en_vocab), emb=32, hidden=64, attention=True)
ko_log = train_seq2seq(translator, ko_src, ko_len, en_tgt, steps=250, lr=0.005, batch_size=64, seed=0,
                       desc="Korean -> English")

test_src, test_len = ko_vocab.encode([k for k, _ in ko_test])
ko_preds = [en_vocab.decode(r) for r in translator.translate(test_src, test_len, 25)]
ko_refs = [e for _, e in ko_test]
ko_exact = float(np.mean([p == r for p, r in zip(ko_preds, ko_refs)]))
ko_f = float(np.mean([char_f_score(p, r) for p, r in zip(ko_preds, ko_refs)]))
ret_preds = retrieve([k for k, _ in ko_test], ko_train)
ret_exact = float(np.mean([p == r for p, r in zip(ret_preds, ko_refs)]))
ret_f = float(np.mean([char_f_score(p, r) for p, r in zip(ret_preds, ko_refs)]))
train_preds = [en_vocab.decode(r) for r in translator.translate(ko_src[:300], ko_len[:300], 25)]
train_exact = float(np.mean([p == e for p, (_, e) in zip(train_preds, ko_train[:300])]))
print(f"seq2seq with attention: test exact match {ko_exact:.3f}, char F-score {ko_f:.3f} "
      f"(training pairs: exact {train_exact:.3f}); {ko_log['train_seconds']:.1f} s")
print(f"retrieval baseline:     test exact match {ret_exact:.3f}, char F-score {ret_f:.3f}")
common = Counter(e for _, e in ko_train).most_common(1)[0][0]
const_f = float(np.mean([char_f_score(common, r) for r in ko_refs]))
print(f"constant answer {common!r}: char F-score {const_f:.3f}")
print(f"seq2seq minus retrieval, char F-score: {ko_f - ret_f:+.3f}")
""", tags=IGNORE)

code("ko-assert", r"""
assert ko_f > const_f + 0.1, f"the translator should beat a constant answer clearly: {ko_f:.3f} vs {const_f:.3f}"
assert ko_exact < 0.2, "a few hundred steps on a thousand pairs do not give exact translations"
print("the translator's char F-score is clearly above a constant answer; exact matches stay rare")
""")

code("ko-examples", r"""
scored = sorted(zip(ko_test, ko_preds, ret_preds), key=lambda x: -char_f_score(x[1], x[0][1]))
print(f"{'Korean':22s} | {'reference':22s} | {'seq2seq':22s} | retrieval")
for rows, title in [(scored[:6], "best"), (scored[-6:], "worst")]:
    print(f"--- {title} ---")
    for (k, e), p, r in rows:
        print(f"{k[:22]:22s} | {e[:22]:22s} | {p[:22]:22s} | {r[:22]}")
""", tags=IGNORE)

md("sec10-limits", r"""
Read these numbers as what they are. About a thousand short pairs are a tiny corpus
(translation systems learn from millions of sentences), and 250 steps of a 64-unit model
are a small budget: the model has not even learned its training pairs (their exact match
is printed above). It is character-level and has never seen most of the words of a test
message, so what it writes is fragments of training messages: frequent interface words
("Delete", "Add", "Project") come out right, and rare words come out as plausible-looking
English that is wrong. Retrieval (copy the English of the most similar training Korean) is
the comparison to read it against; its difference from the model is printed above, and in
this budget it is not in the model's favour. Single-word strings such as month names
("4월") defeat both: they share nothing with other strings. The strings are also short and
formulaic (buttons, error messages), so even the good cases say little about translating
sentences. The date task worked because its rule is small and the data unlimited; here the
rule is a language and the data are a few pages.
""")

md("summary", r"""
## Summary

- An **encoder-decoder** maps a sequence to a sequence of another length: the encoder's
  state after the **last valid** input step (packing, not the padded end) starts the
  decoder, which writes one token per step until `<eos>`.
- **Teacher forcing** trains the decoder on the true previous tokens: inputs `tgt[:, :-1]`,
  targets `tgt[:, 1:]`, the loss averaged over real tokens only (`<eos>` in, PAD out). It
  is fast (one fused call) but leaves a gap to **free running** on the model's own
  predictions: **exposure bias**, measured in section 8.
- **Greedy decoding** feeds back the argmax, pads finished rows, and stops when every row
  has written `<eos>`, or at `max_len`.
- On dates in nine formats the model without attention reached >= 90 % exact match on
  held-out dates in 400 steps (asserted; it is still improving), and the held-out
  format's result is reported above as measured.
- **One state vector is a bottleneck**; **dot-product attention** lets every output step
  look at every input state: it learned the same task in far fewer steps on every seed,
  and reached >= 98 % exact match on held-out dates in 200 steps (asserted).
- On real Korean-English messages the same machinery, in a few seconds of training on a
  thousand short pairs, gives fragmentary translations (char F-score above a constant
  answer, exact matches rare, retrieval a strong baseline): data and budget are the limit.

**Next:** 12 turns the encoder into a small CNN: the LSTM decoder writes a caption for an
image, one-to-many instead of many-to-many.
""")

nb = new_notebook(cells=cells)
nb.metadata = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    "workbook": {"id": "11_seq2seq"},
}
nbformat.write(nb, Path(__file__).resolve().parent.parent / "solutions" / "11_seq2seq.ipynb")
print("written", len(cells), "cells")
