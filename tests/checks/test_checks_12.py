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


def step_log_softmax(model, words, state):  # another correct answer: log-probabilities (the rule of 11 and 12)
    logits, state = decoder_step(model, words, state)
    return torch.log_softmax(logits, -1), state


def step_seq2seq_style(embed, lstm, out_layer, y_prev, state):  # notebook 11's interface
    out, state = lstm(embed(y_prev).unsqueeze(1), state)
    return out_layer(out[:, 0]), state


def test_decoder_step_solution_passes(capsys):
    check_decoder_step(decoder_step)
    check_decoder_step(step_log_softmax)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith("✓ decoder_step: 4/4 cases match") for line in out)


def test_decoder_step_of_notebook_11_is_recognised():
    with pytest.raises(AssertionError, match=r"notebook 11's decoder step(.|\n)*check_seq2seq_decoder_step"):
        check_decoder_step(step_seq2seq_style)

    def lambda_style(embed, lstm, layer, words, state):   # other names, five arguments
        return step_seq2seq_style(embed, lstm, layer, words, state)
    with pytest.raises(AssertionError, match="decoder_step\\(model, words, state\\)"):
        check_decoder_step(lambda_style)


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


def loss_d2l_mean(model, images, captions):  # d2l's older MaskedSoftmaxCELoss: zeroed, then .mean()
    inputs, targets = captions[:, :-1], captions[:, 1:]
    logits = _run(model, inputs, model.encoder(images))
    per_token = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    return (per_token * (targets != PAD)).mean()


def loss_mask_from_inputs(model, images, captions):
    inputs, targets = captions[:, :-1], captions[:, 1:]
    logits = _run(model, inputs, model.encoder(images))
    per_token = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    mask = (inputs != PAD).to(per_token.dtype)
    return (per_token * mask).sum() / mask.sum()


def loss_not_flattened(model, images, captions):
    inputs, targets = captions[:, :-1], captions[:, 1:]
    logits = _run(model, inputs, model.encoder(images))
    return F.cross_entropy(logits, targets, ignore_index=PAD)


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
    (loss_d2l_mean, "d2l's older MaskedSoftmaxCELoss"),
    (loss_mask_from_inputs, "mask was built from the inputs"),
    (loss_not_flattened, "flatten the batch and time axes"),
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
              zero_state=False, feed_back=True, keep_eos=True, pad_after=True, sampler=sample_next,
              stop_any=False, eos_to_pad=False, update_state=True, only_unfinished=False, pass_temperature=True,
              pass_generator=True):
    state = model.encoder(images)
    if zero_state:
        state = tuple(torch.zeros_like(s) for s in state)
    words = torch.full((len(images),), BOS, dtype=torch.long)
    done = torch.zeros(len(images), dtype=torch.bool)
    out = [words] if bos_out else []
    first = state
    T = temperature if pass_temperature else 0.0
    g = generator if pass_generator else None
    for _ in range(max_len):
        logits, new_state = decoder_step(model, words, state)
        state = new_state if update_state else first
        if only_unfinished:
            nxt = torch.full((len(images),), PAD, dtype=torch.long)
            if bool((~done).any()):
                nxt[~done] = sampler(logits[~done], T, g)
        else:
            nxt = sampler(logits, T, g)
        if eos_to_pad:
            done = done | (nxt == EOS)
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
        if stop_any and bool(done.any()):
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


def gen_only_unfinished(model, images, max_len, temperature=0.0, generator=None):  # correct: draws fewer numbers
    with torch.no_grad():
        return _generate(model, images, max_len, temperature, generator, only_unfinished=True)


def gen_ignores_temperature(model, images, max_len, temperature=0.0, generator=None):  # sample_next(logits, 0.0)
    return _generate(model, images, max_len, temperature, generator, pass_temperature=False)


def gen_argmax(model, images, max_len, temperature=0.0, generator=None):  # its own argmax, no sample_next
    return _generate(model, images, max_len, temperature, generator, sampler=lambda z, t, g: z.argmax(-1))


def gen_no_generator(model, images, max_len, temperature=0.0, generator=None):
    return _generate(model, images, max_len, temperature, generator, pass_generator=False)


def gen_no_generator_unfinished(model, images, max_len, temperature=0.0, generator=None):
    return _generate(model, images, max_len, temperature, generator, pass_generator=False, only_unfinished=True)


def gen_temperature_one(model, images, max_len, temperature=0.0, generator=None):  # sample_next(logits, 1.0, g)
    return _generate(model, images, max_len, temperature, generator,
                     sampler=lambda z, t, g: sample_next(z, min(t, 1.0), g))


def gen_divides_twice(model, images, max_len, temperature=0.0, generator=None):
    return _generate(model, images, max_len, temperature, generator,
                     sampler=lambda z, t, g: sample_next(z / t if t else z, t, g))


def gen_no_pad_after_eos(model, images, max_len, temperature=0.0, generator=None):
    return _generate(model, images, max_len, temperature, generator, pad_after=False)


def gen_eos_becomes_pad(model, images, max_len, temperature=0.0, generator=None):
    return _generate(model, images, max_len, temperature, generator, eos_to_pad=True)


def gen_stops_when_any_ends(model, images, max_len, temperature=0.0, generator=None):
    return _generate(model, images, max_len, temperature, generator, stop_any=True)


def gen_state_not_updated(model, images, max_len, temperature=0.0, generator=None):
    return _generate(model, images, max_len, temperature, generator, update_state=False)


def sample_inverse_cdf(logits, temperature, generator=None):  # a correct sample_next that draws differently
    if temperature == 0:
        return logits.argmax(dim=-1)
    cdf = torch.softmax(logits / temperature, dim=-1).cumsum(-1)
    u = torch.rand(len(logits), 1, generator=generator, dtype=cdf.dtype)
    return (u > cdf).sum(-1).clamp(max=logits.shape[-1] - 1)


def test_generate_solution_passes(capsys):
    check_generate(generate, sample_next)
    check_generate(generate)                      # no sample_next given: the reference draws with torch.multinomial
    check_generate(gen_only_unfinished, sample_next)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and all(line.startswith("✓ generate: 6/6 cases match") for line in out), out
    assert "your sample_next" in out[0] and "torch.multinomial" in out[1]


def test_generate_is_compared_with_the_learners_own_sample_next():
    """A correct generate built on another correct sampler passes when that sampler is given to the check."""
    def gen_inverse_cdf(model, images, max_len, temperature=0.0, generator=None):
        return _generate(model, images, max_len, temperature, generator, sampler=sample_inverse_cdf)
    check_generate(gen_inverse_cdf, sample_inverse_cdf)
    with pytest.raises(AssertionError, match="temperature 1"):
        check_generate(gen_inverse_cdf)           # against torch.multinomial its draws differ


def test_generate_sampling_cases_tell_the_mistakes_apart():
    """At temperature 1 the greedy and unseeded captions differ from the right ones; at 2 also those sampled at
    temperature 1 and those whose logits were divided twice (at temperature 1 both are right)."""
    from utils.checks.captioning import GENERATOR_SEED, _generate_model
    model, images = _generate_model()
    for T in (1.0, 2.0):
        outs = {}
        for name, fn in [("right", generate), ("greedy", gen_ignores_temperature), ("unseeded", gen_no_generator)] + (
                [("at 1", gen_temperature_one), ("twice", gen_divides_twice)] if T > 1 else []):
            with torch.random.fork_rng(), torch.no_grad():
                torch.manual_seed(99)
                outs[name] = fn(model, images, 12, T, torch.Generator().manual_seed(GENERATOR_SEED))
        names = list(outs)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                assert outs[a].shape != outs[b].shape or not torch.equal(outs[a], outs[b]), (T, a, b)


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
    (gen_ignores_temperature, "these are the greedy captions"),
    (gen_argmax, "these are the greedy captions"),
    (gen_no_generator, "generator is not passed on"),
    (gen_no_generator_unfinished, "generator is not passed on"),
    (gen_temperature_one, "temperature is not passed on"),
    (gen_divides_twice, "divided by the temperature twice"),
    (gen_no_pad_after_eos, "a caption that has ended keeps getting words"),
    (gen_eos_becomes_pad, "own <eos> was replaced by <pad>"),
    (gen_stops_when_any_ends, "ANY caption"),
    (gen_state_not_updated, "state is not carried from step to step"),
])
def test_generate_wrong_named(wrong, words):
    with pytest.raises(AssertionError, match=words):
        check_generate(wrong, sample_next)


def test_generate_reference_model_ends_at_different_steps():
    from utils.checks.captioning import _generate_model, _greedy_ref
    model, images = _generate_model()
    with torch.no_grad():
        rows = _greedy_ref(model, images, 12)
    lengths = [len(r) for r in rows]
    assert all(r[-1] == EOS for r in rows) and len(set(lengths)) >= 3 and min(lengths) >= 2, rows
    assert not {PAD, BOS} & {w for r in rows for w in r}
