"""How much does `utils.train.fit` cost over the same plain PyTorch loop? (must be <= 5 %)

    .venv/bin/python tests/bench_train.py [--repeat 5] [--epochs 3]

The model is notebook 03's order-aware model on its watch histories: an embedding, a
`torch.nn.RNN` and a linear read-out of the last state, called with a tuple of inputs
`(items, lengths)`. Both loops see the same batches in the same order, start from the
same weights, and do the same work per step (forward, loss, zero_grad, backward, clip,
step, `loss.item()`); fit also keeps its history and a (disabled) progress bar. Each
repeat times the two loops back to back, alternating which goes first; the overhead is
the median over repeats of fit's time over the plain loop's, in CPU seconds of this
process (wall seconds are printed too; CPU time is what a busy machine disturbs least).
Exit status 1 when the overhead is over the limit. Timings are too noisy for the test
suite; tests/test_train.py checks instead that both loops end with identical weights,
so the difference measured here is fit's bookkeeping and nothing else.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from utils import set_seed  # noqa: E402
from utils.synthetic.watch import make_watch_histories, vocab_size  # noqa: E402
from utils.train import fit  # noqa: E402

LIMIT = 0.05


class LastStateRNN(torch.nn.Module):
    def __init__(self, vocab, d=32, hidden=64):
        super().__init__()
        self.emb = torch.nn.Embedding(vocab, d, padding_idx=0)
        self.rnn = torch.nn.RNN(d, hidden, batch_first=True)
        self.out = torch.nn.Linear(hidden, vocab)

    def forward(self, items, lengths):
        packed = torch.nn.utils.rnn.pack_padded_sequence(self.emb(items), lengths, batch_first=True,
                                                         enforce_sorted=False)
        _, h = self.rnn(packed)
        return self.out(h[-1])


def data(n=4000):
    histories, targets = make_watch_histories(n, seed=0)
    lengths = torch.tensor([len(h) for h in histories])
    items = torch.zeros(n, int(lengths.max()), dtype=torch.long)
    for i, h in enumerate(histories):
        items[i, :len(h)] = torch.as_tensor(h)
    return items, lengths, torch.as_tensor(np.asarray(targets))


def plain_loop(model, items, lengths, y, epochs, batch_size, lr, clip, seed=0):
    """The same training, written out: what fit would be without its bookkeeping."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    loss_fn = torch.nn.functional.cross_entropy
    for _ in range(epochs):
        model.train()
        order = torch.as_tensor(rng.permutation(len(y)))
        for i in range(0, len(y), batch_size):
            idx = order[i:i + batch_size]
            loss = loss_fn(model(items[idx], lengths[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            loss.item()
    return model


def measure(repeat=5, epochs=3, batch_size=64, lr=3e-3, clip=1.0, n=4000):
    set_seed(0)
    items, lengths, y = data(n)
    ratios, rows = [], []
    for r in range(repeat):
        times = {}
        for which in (("fit", "plain") if r % 2 == 0 else ("plain", "fit")):
            set_seed(r)
            model = LastStateRNN(vocab_size())
            c0, w0 = time.process_time(), time.perf_counter()
            if which == "fit":
                fit(model, torch.nn.functional.cross_entropy, ((items, lengths), y), epochs=epochs, lr=lr,
                    batch_size=batch_size, clip_norm=clip, progress=False)
            else:
                plain_loop(model, items, lengths, y, epochs, batch_size, lr, clip)
            times[which] = (time.process_time() - c0, time.perf_counter() - w0)
        ratios.append(times["fit"][0] / times["plain"][0] - 1)
        rows.append(times)
    return float(np.median(ratios)), rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args(argv)
    overhead, rows = measure(args.repeat, args.epochs)
    for i, t in enumerate(rows):
        print(f"repeat {i}: fit {t['fit'][0]:.2f} s CPU ({t['fit'][1]:.2f} s wall), "
              f"plain loop {t['plain'][0]:.2f} s CPU ({t['plain'][1]:.2f} s wall)")
    print(f"fit overhead over the plain loop: {100 * overhead:+.1f} % (median of {args.repeat}; limit {100 * LIMIT:.0f} %)")
    return 0 if overhead <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
