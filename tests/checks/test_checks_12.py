"""The checks of notebook 12 (captioning): the solution passes, the stub says "not implemented",
and plausible wrong answers fail with a message that names the mistake."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from utils.checks.captioning import (check_caption_loss, check_decoder_step, check_generate, check_ImageEncoder,
                                     check_sample_next)
from utils.synthetic.scenes import BOS, EOS, PAD

torch.set_num_threads(1)   # tiny models: one thread avoids OpenMP contention on a busy machine


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- ImageEncoder ---------------------------------------------------------------------------

class ImageEncoder(nn.Module):
    def __init__(self, hidden_dim):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1)
        self.to_h = nn.Linear(32 * 8 * 8, hidden_dim)
        self.to_c = nn.Linear(32 * 8 * 8, hidden_dim)

    def features(self, images):
        return F.relu(self.conv2(F.relu(self.conv1(images)))).flatten(1)

    def forward(self, images):
        f = self.features(images)
        return torch.tanh(self.to_h(f)).unsqueeze(0), self.to_c(f).unsqueeze(0)


class EncNoRelu1(ImageEncoder):
    def features(self, images):
        return F.relu(self.conv2(self.conv1(images))).flatten(1)


class EncNoTanh(ImageEncoder):
    def forward(self, images):
        f = self.features(images)
        return self.to_h(f).unsqueeze(0), self.to_c(f).unsqueeze(0)


class EncSwapped(ImageEncoder):
    def forward(self, images):
        h, c = super().forward(images)
        return c, h


class EncNoLayerAxis(ImageEncoder):
    def forward(self, images):
        h, c = super().forward(images)
        return h[0], c[0]


class EncGlobalPool(ImageEncoder):
    def __init__(self, hidden_dim):
        super().__init__(hidden_dim)
        self.to_h = nn.Linear(32, hidden_dim)
        self.to_c = nn.Linear(32, hidden_dim)

    def features(self, images):
        return F.relu(self.conv2(F.relu(self.conv1(images)))).mean(dim=(2, 3))


class EncNoStride(ImageEncoder):
    def __init__(self, hidden_dim):
        super().__init__(hidden_dim)
        self.conv1 = nn.Conv2d(3, 16, kernel_size=4, padding=1)


class EncTanhBoth(ImageEncoder):
    def forward(self, images):
        h, c = super().forward(images)
        return h, torch.tanh(c)


def test_encoder_solution_passes(capsys):
    check_ImageEncoder(ImageEncoder)
    assert capsys.readouterr().out.startswith("✓ ImageEncoder: 4/4 cases match")


def test_encoder_does_not_touch_global_rng():
    torch.manual_seed(1)
    a = torch.rand(3)
    torch.manual_seed(1)
    check_ImageEncoder(ImageEncoder)
    assert torch.equal(torch.rand(3), a)


def test_encoder_stub_not_implemented():
    class Stub(nn.Module):
        def __init__(self, hidden_dim):
            super().__init__()
            raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check_ImageEncoder(Stub)

    class StubForward(ImageEncoder):
        def forward(self, images):
            raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check_ImageEncoder(StubForward)


@pytest.mark.parametrize("wrong, words", [
    (EncNoRelu1, "ReLU after conv1 is missing"),
    (EncNoTanh, "tanh on h0 is missing"),
    (EncSwapped, "h0 and c0 are swapped"),
    (EncNoLayerAxis, r"\(num_layers, batch, hidden_dim\)"),
    (EncGlobalPool, "throws away WHERE the objects are"),
    (EncNoStride, "stride"),
    (EncTanhBoth, "tanh is applied to c0 too"),
])
def test_encoder_wrong_named(wrong, words):
    with pytest.raises(AssertionError, match=words):
        check_ImageEncoder(wrong)


# --- decoder_step ---------------------------------------------------------------------------

def decoder_step(model, words, state):
    out, state = model.lstm(model.embed(words).unsqueeze(1), state)
    return model.out(out[:, 0]), state


def step_no_state(model, words, state):
    out, new = model.lstm(model.embed(words).unsqueeze(1))
    return model.out(out[:, 0]), new


def step_old_state(model, words, state):
    out, _ = model.lstm(model.embed(words).unsqueeze(1), state)
    return model.out(out[:, 0]), state


def step_softmax(model, words, state):
    logits, state = decoder_step(model, words, state)
    return torch.softmax(logits, -1), state


def step_from_c(model, words, state):
    _, (h, c) = model.lstm(model.embed(words).unsqueeze(1), state)
    return model.out(c[0]), (h, c)


def step_no_time_axis(model, words, state):
    out, state = model.lstm(model.embed(words), state)
    return model.out(out), state


def step_swapped_state(model, words, state):
    logits, (h, c) = decoder_step(model, words, state)
    return logits, (c, h)


def test_decoder_step_solution_passes(capsys):
    check_decoder_step(decoder_step)
    assert capsys.readouterr().out.startswith("✓ decoder_step: 4/4 cases match")


def test_decoder_step_stub_not_implemented():
    with pytest.raises(NotImplementedError):
        check_decoder_step(stub)


@pytest.mark.parametrize("wrong, words", [
    (step_no_state, "state is not passed to the LSTM"),
    (step_old_state, "the one passed in"),
    (step_softmax, "softmax applied"),
    (step_from_c, "from the cell state c"),
    (step_no_time_axis, "time axis of length 1"),
    (step_swapped_state, "h and c are swapped"),
])
def test_decoder_step_wrong_named(wrong, words):
    with pytest.raises(AssertionError, match=words):
        check_decoder_step(wrong)


# --- caption_loss ---------------------------------------------------------------------------

def _run(model, inputs, state=None):
    hs, _ = model.lstm(model.embed(inputs), state)
    return model.out(hs)


def caption_loss(model, images, captions):
    inputs, targets = captions[:, :-1], captions[:, 1:]
    logits = _run(model, inputs, model.encoder(images))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=PAD)


def caption_loss_masked(model, images, captions):  # another correct answer: an explicit mask
    inputs, targets = captions[:, :-1], captions[:, 1:]
    logits = _run(model, inputs, model.encoder(images))
    per_token = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    mask = (targets != PAD).to(per_token.dtype)
    return (per_token * mask).sum() / mask.sum()


def loss_not_shifted(model, images, captions):
    inputs = captions[:, :-1]
    logits = _run(model, inputs, model.encoder(images))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), inputs.reshape(-1), ignore_index=PAD)


def loss_wrong_way(model, images, captions):
    inputs, targets = captions[:, 1:], captions[:, :-1]
    logits = _run(model, inputs, model.encoder(images))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=PAD)


def loss_with_padding(model, images, captions):
    inputs, targets = captions[:, :-1], captions[:, 1:]
    logits = _run(model, inputs, model.encoder(images))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def loss_no_encoder(model, images, captions):
    inputs, targets = captions[:, :-1], captions[:, 1:]
    logits = _run(model, inputs)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=PAD)


def loss_sum(model, images, captions):
    inputs, targets = captions[:, :-1], captions[:, 1:]
    logits = _run(model, inputs, model.encoder(images))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=PAD,
                           reduction="sum")


def loss_per_caption(model, images, captions):
    inputs, targets = captions[:, :-1], captions[:, 1:]
    logits = _run(model, inputs, model.encoder(images))
    per_token = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    mask = (targets != PAD).to(per_token.dtype)
    return ((per_token * mask).sum(1) / mask.sum(1)).mean()


def loss_no_eos(model, images, captions):
    inputs, targets = captions[:, :-1], captions[:, 1:]
    logits = _run(model, inputs, model.encoder(images))
    per_token = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    mask = ((targets != PAD) & (targets != EOS)).to(per_token.dtype)
    return (per_token * mask).sum() / mask.sum()


def loss_detached(model, images, captions):
    with torch.no_grad():
        return caption_loss(model, images, captions)


def test_caption_loss_solution_passes(capsys):
    check_caption_loss(caption_loss)
    check_caption_loss(caption_loss_masked)
    assert capsys.readouterr().out.startswith("✓ caption_loss: 4/4 cases match")


def test_caption_loss_stub_not_implemented():
    with pytest.raises(NotImplementedError):
        check_caption_loss(stub)


@pytest.mark.parametrize("wrong, words", [
    (loss_not_shifted, "targets are not shifted"),
    (loss_wrong_way, "<bos> is predicted as an output"),
    (loss_with_padding, "padding is counted in the loss"),
    (loss_no_encoder, "encoder's output is not used to initialise the LSTM state"),
    (loss_sum, "summed over tokens"),
    (loss_per_caption, "averaged per caption first"),
    (loss_no_eos, "<eos> is left out"),
    (loss_detached, "through autograd"),
])
def test_caption_loss_wrong_named(wrong, words):
    with pytest.raises(AssertionError, match=words):
        check_caption_loss(wrong)


# --- sample_next ---------------------------------------------------------------------------

def sample_next(logits, temperature, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits / temperature, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


def sample_multiply(logits, temperature, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits * temperature, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


def sample_ignores_t(logits, temperature, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1)
    return torch.multinomial(torch.softmax(logits, -1), 1, generator=generator).squeeze(1)


def sample_always_greedy(logits, temperature, generator=None):
    return logits.argmax(dim=-1)


def sample_divide_by_zero(logits, temperature, generator=None):
    probs = torch.softmax(logits / temperature, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


def sample_keepdim(logits, temperature, generator=None):
    return sample_next(logits, temperature, generator).unsqueeze(1)


def sample_no_generator(logits, temperature, generator=None):
    if temperature == 0:
        return logits.argmax(dim=-1)
    return torch.multinomial(torch.softmax(logits / temperature, -1), 1).squeeze(1)


def sample_probs(logits, temperature, generator=None):
    return torch.softmax(logits / max(temperature, 1e-9), dim=-1)


def test_sample_next_solution_passes(capsys):
    check_sample_next(sample_next)
    assert capsys.readouterr().out.startswith("✓ sample_next: 6/6 cases match")


def test_sample_next_stub_not_implemented():
    with pytest.raises(NotImplementedError):
        check_sample_next(stub)


@pytest.mark.parametrize("wrong, words", [
    (sample_multiply, "temperature multiplies the logits"),
    (sample_ignores_t, "temperature is ignored"),
    (sample_always_greedy, "always the argmax"),
    (sample_divide_by_zero, "do not divide by 0"),
    (sample_keepdim, "squeeze"),
    (sample_no_generator, "pass the generator on"),
    (sample_probs, "not probabilities"),
])
def test_sample_next_wrong_named(wrong, words):
    with pytest.raises(AssertionError, match=words):
        check_sample_next(wrong)


# --- generate ---------------------------------------------------------------------------

def _generate(model, images, max_len, temperature=0.0, generator=None, *, stop=True, bos_out=False,
              zero_state=False, feed_back=True, keep_eos=True, pad_after=True, sampler=sample_next):
    state = model.encoder(images)
    if zero_state:
        state = tuple(torch.zeros_like(s) for s in state)
    words = torch.full((len(images),), BOS, dtype=torch.long)
    done = torch.zeros(len(images), dtype=torch.bool)
    out = [words] if bos_out else []
    for _ in range(max_len):
        logits, state = decoder_step(model, words, state)
        nxt = sampler(logits, temperature, generator)
        if pad_after:
            nxt = torch.where(done, torch.full_like(nxt, PAD), nxt)
        if not keep_eos:
            nxt = torch.where(nxt == EOS, torch.full_like(nxt, PAD), nxt)
        out.append(nxt)
        if feed_back:
            words = nxt
        done = done | (nxt == EOS)
        if stop and bool(done.all()):
            break
    return torch.stack(out, dim=1)


def generate(model, images, max_len, temperature=0.0, generator=None):
    with torch.no_grad():
        return _generate(model, images, max_len, temperature, generator)


def gen_never_stops(model, images, max_len, temperature=0.0, generator=None):
    return _generate(model, images, max_len, temperature, generator, stop=False, pad_after=False)


def gen_runs_max_len(model, images, max_len, temperature=0.0, generator=None):
    return _generate(model, images, max_len, temperature, generator, stop=False)


def gen_bos_out(model, images, max_len, temperature=0.0, generator=None):
    return _generate(model, images, max_len, temperature, generator, bos_out=True)


def gen_zero_state(model, images, max_len, temperature=0.0, generator=None):
    return _generate(model, images, max_len, temperature, generator, zero_state=True)


def gen_no_feedback(model, images, max_len, temperature=0.0, generator=None):
    return _generate(model, images, max_len, temperature, generator, feed_back=False)


def gen_multiply(model, images, max_len, temperature=0.0, generator=None):
    return _generate(model, images, max_len, temperature, generator, sampler=sample_multiply)


def test_generate_solution_passes(capsys):
    check_generate(generate)
    assert capsys.readouterr().out.startswith("✓ generate: 4/4 cases match")


def test_generate_stub_not_implemented():
    with pytest.raises(NotImplementedError):
        check_generate(stub)


@pytest.mark.parametrize("wrong, words", [
    (gen_never_stops, "decoding never stops"),
    (gen_runs_max_len, "always runs max_len steps"),
    (gen_bos_out, "<bos> token is part of the output"),
    (gen_zero_state, "encoder's output is not used"),
    (gen_no_feedback, "not fed back"),
    (gen_multiply, "temperature that multiplies"),
])
def test_generate_wrong_named(wrong, words):
    with pytest.raises(AssertionError, match=words):
        check_generate(wrong)


def test_generate_reference_model_ends_at_different_steps():
    from utils.checks.captioning import _generate_model, _greedy_ref
    model, images = _generate_model()
    with torch.no_grad():
        rows = _greedy_ref(model, images, 12)
    lengths = [len(r) for r in rows]
    assert all(r[-1] == EOS for r in rows) and len(set(lengths)) >= 3 and min(lengths) >= 2, rows
    assert not {PAD, BOS} & {w for r in rows for w in r}
