"""Tests of the checks of 08_char_lm: the solution passes, the stub is "not attempted",
and plausible wrong answers fail with a message that names the mistake."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from utils.checks import (CheckFailure, check_bits_per_char, check_chunk_step, check_make_chunks,
                          check_sample)


# ------------------------------------------------------------------ solutions

def make_chunks(ids, T, B):
    n_chunks = (len(ids) - 1) // (B * T)
    L = n_chunks * T
    x = ids[:B * L].reshape(B, n_chunks, T).transpose(0, 1)
    y = ids[1:B * L + 1].reshape(B, n_chunks, T).transpose(0, 1)
    return x, y


def chunk_step(model, x, y, h):
    logits, h_last = model(x, h)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    return loss, h_last.detach()


def bits_per_char(logits, targets):
    nats = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    return nats / math.log(2)


def _draw(last, temperature, generator):
    """The right draw: argmax at temperature 0, else a sample of softmax(logits / T)."""
    if temperature == 0:
        return int(torch.argmax(last))
    return int(torch.multinomial(torch.softmax(last / temperature, dim=-1), 1, generator=generator))


def sampler(draw):
    """A sample(model, prompt_ids, n, temperature, generator) that primes, feeds back, and draws with `draw`."""
    def sample(model, prompt_ids, n, temperature=1.0, generator=None):
        with torch.no_grad():
            logits, h = model(torch.tensor([list(prompt_ids)]))
            out = []
            for _ in range(n):
                c = draw(logits[0, -1], temperature, generator)
                out.append(c)
                logits, h = model(torch.tensor([[c]]), h)
        return out
    return sample


sample = sampler(_draw)


def stub(*args, **kwargs):
    raise NotImplementedError()


def test_solutions_pass(capsys):
    check_make_chunks(make_chunks)
    check_chunk_step(chunk_step)
    check_bits_per_char(bits_per_char)
    check_sample(sample)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✓ make_chunks: 6/6 cases match an explicit loop")
    assert out[1].startswith("✓ chunk_step: ")
    assert out[2].startswith("✓ bits_per_char: 5/5 cases match")
    assert out[3].startswith("✓ sample: ")


def test_variants_that_are_right_pass():
    def chunks_stacked(ids, T, B):  # one stream at a time, stacked on a new axis 1
        n = (len(ids) - 1) // (B * T)
        xs = torch.stack([ids[b * n * T:(b + 1) * n * T].reshape(n, T) for b in range(B)], dim=1)
        ys = torch.stack([ids[b * n * T + 1:(b + 1) * n * T + 1].reshape(n, T) for b in range(B)], dim=1)
        return xs, ys
    check_make_chunks(chunks_stacked)

    def chunks_unfold(ids, T, B):  # permute instead of transpose, contiguous copies
        n = (len(ids) - 1) // (B * T)
        x = ids[:B * n * T].view(B, n, T).permute(1, 0, 2).contiguous()
        y = ids[1:B * n * T + 1].view(B, n, T).permute(1, 0, 2).contiguous()
        return x, y
    check_make_chunks(chunks_unfold)

    def step_detach_input(model, x, y, h):  # detach where the state comes in
        logits, h_last = model(x, None if h is None else h.detach())
        return F.cross_entropy(logits.transpose(1, 2), y), h_last
    check_chunk_step(step_detach_input)

    def bits_numpy(logits, targets):
        lp = torch.log_softmax(logits, -1)
        return float(-lp.gather(-1, targets.unsqueeze(-1)).mean() / math.log(2))
    check_bits_per_char(bits_numpy)

    def sample_tiny_temp(model, prompt_ids, n, temperature=1.0, generator=None):  # no special case for 0
        return sample(model, prompt_ids, n, max(temperature, 1e-8), generator)
    check_sample(sample_tiny_temp)

    def sample_with_grad(model, prompt_ids, n, temperature=1.0, generator=None):  # no torch.no_grad()
        logits, h = model(torch.tensor([list(prompt_ids)]))
        out = []
        for _ in range(n):
            last = logits[0, -1].detach()
            if temperature == 0:
                c = int(last.argmax())
            else:
                c = int(torch.multinomial(F.softmax(last / temperature, -1), 1, generator=generator))
            out.append(c)
            logits, h = model(torch.tensor([[c]]), h)
        return out
    check_sample(sample_with_grad)


@pytest.mark.parametrize("check", [check_make_chunks, check_chunk_step, check_bits_per_char, check_sample])
def test_stub_is_not_attempted(check):
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check(stub)


def fails_with(check, fn, *words):
    with pytest.raises(CheckFailure) as info:
        check(fn)
    msg = str(info.value)
    for w in words:
        assert w in msg, msg
    return msg


# ---------------------------------------------------------------- make_chunks

def test_chunks_targets_not_shifted():
    def f(ids, T, B):
        x, _ = make_chunks(ids, T, B)
        return x, x.clone()
    fails_with(check_make_chunks, f, "targets are not shifted")


def test_chunks_shifted_wrong_way():
    def f(ids, T, B):
        x, y = make_chunks(ids, T, B)
        prev = torch.cat([ids[:1], ids[:-1]])
        return x, make_chunks(torch.cat([prev, ids[-1:]]), T, B)[0]
    fails_with(check_make_chunks, f, "shifted the wrong way")


def test_chunks_interleaved():
    def f(ids, T, B):
        n = (len(ids) - 1) // (B * T)
        L = n * T
        x = ids[:B * L].reshape(L, B).T.reshape(B, n, T).transpose(0, 1)
        y = ids[1:B * L + 1].reshape(L, B).T.reshape(B, n, T).transpose(0, 1)
        return x, y
    fails_with(check_make_chunks, f, "interleaved")


def test_chunks_not_contiguous():
    def f(ids, T, B):
        n = (len(ids) - 1) // (B * T)
        return ids[:B * n * T].reshape(n, B, T), ids[1:B * n * T + 1].reshape(n, B, T)
    fails_with(check_make_chunks, f, "do not continue each other")


def test_chunks_off_by_one_count():
    def f(ids, T, B):
        n = len(ids) // (B * T)
        L = n * T
        y = torch.cat([ids, ids[-1:]])[1:B * L + 1]
        return ids[:B * L].reshape(B, n, T).transpose(0, 1), y.reshape(B, n, T).transpose(0, 1)
    fails_with(check_make_chunks, f, "n_chunks = (len(ids) - 1) // (B * T)")


def test_chunks_numpy_arrays():
    """NumPy x, y pass every value test, then break the model's nn.Embedding: rejected."""
    def f(ids, T, B):
        x, y = make_chunks(ids, T, B)
        return x.numpy(), y.numpy()
    fails_with(check_make_chunks, f, "expected a torch.Tensor", "not NumPy arrays")


def test_chunks_off_by_one_count_crashes():
    """n_chunks = len(ids) // (B*T) crashes when len(ids) is a multiple of B*T: the cause is named."""
    def f(ids, T, B):
        n = len(ids) // (B * T)
        L = n * T
        return ids[:B * L].reshape(B, n, T).transpose(0, 1), ids[1:B * L + 1].reshape(B, n, T).transpose(0, 1)
    msg = fails_with(check_make_chunks, f, "raised RuntimeError", "one character is kept back",
                     "(len(ids) - 1) // (B * T)")
    assert "Likely cause" in msg


def test_chunks_swapped():
    def f(ids, T, B):
        x, y = make_chunks(ids, T, B)
        return y, x
    fails_with(check_make_chunks, f, "swapped")


# ---------------------------------------------------------------- chunk_step

def test_step_state_reset():
    def f(model, x, y, h):
        return chunk_step(model, x, y, None)
    fails_with(check_chunk_step, f, "state is reset")


def test_step_not_detached():
    def f(model, x, y, h):
        logits, h_last = model(x, h)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)), h_last
    fails_with(check_chunk_step, f, "not detached")


def test_step_not_detached_retain_graph_hidden():
    """Forgetting detach and hiding the error with retain_graph is still named."""
    def f(model, x, y, h):
        logits, h_last = model(x, h)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        return loss, h_last
    with pytest.raises(CheckFailure, match="not detached"):
        check_chunk_step(f)


def test_step_returns_start_state():
    def f(model, x, y, h):
        loss, h_last = chunk_step(model, x, y, h)
        return loss, (torch.zeros_like(h_last) if h is None else h.detach())
    fails_with(check_chunk_step, f, "state at the chunk's START")


def test_step_sum_loss():
    def f(model, x, y, h):
        logits, h_last = model(x, h)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum"), h_last.detach()
    fails_with(check_chunk_step, f, "summed")


def test_step_loss_item():
    def f(model, x, y, h):
        loss, h_last = chunk_step(model, x, y, h)
        return loss.item(), h_last
    fails_with(check_chunk_step, f, "not loss.item()")


def test_step_calls_backward_itself():
    """Detached state, but backward called inside: the cause is the backward, not the detach."""
    def f(model, x, y, h):
        loss, h_next = chunk_step(model, x, y, h)
        loss.backward()
        return loss, h_next
    msg = fails_with(check_chunk_step, f, "called loss.backward() itself", "leave loss.backward()")
    assert "detach()" not in msg, msg


def test_step_backward_inside_retain_graph():
    """backward(retain_graph=True) inside does not crash later, and is still named."""
    def f(model, x, y, h):
        loss, h_next = chunk_step(model, x, y, h)
        loss.backward(retain_graph=True)
        return loss, h_next
    fails_with(check_chunk_step, f, "called loss.backward() itself")


# ------------------------------------------------------------- bits_per_char

def test_bits_natural_log():
    fails_with(check_bits_per_char, lambda lo, t: bits_per_char(lo, t) * math.log(2), "natural log")


def test_bits_log10():
    fails_with(check_bits_per_char, lambda lo, t: bits_per_char(lo, t) * math.log(2) / math.log(10), "log base 10")


def test_bits_summed():
    fails_with(check_bits_per_char, lambda lo, t: bits_per_char(lo, t) * t.numel(), "summed")


def test_bits_wrong_axis():
    def f(lo, t):
        if lo.dim() == 3:
            lp = torch.log_softmax(lo, dim=1)
        else:
            lp = torch.log_softmax(lo, dim=0)
        return -lp.reshape(-1, lo.shape[-1]).gather(1, t.reshape(-1, 1)).mean() / math.log(2)
    fails_with(check_bits_per_char, f, "over the vocabulary")


def test_bits_per_row_not_mean():
    def f(lo, t):
        return F.cross_entropy(lo.reshape(-1, lo.shape[-1]), t.reshape(-1), reduction="none") / math.log(2)
    fails_with(check_bits_per_char, f, "expected one number")


# -------------------------------------------------------------------- sample

def test_sample_temperature_multiplies():
    def draw(last, temperature, generator):
        if temperature == 0:
            return int(torch.argmax(last))
        return int(torch.multinomial(torch.softmax(last * temperature, -1), 1, generator=generator))
    fails_with(check_sample, sampler(draw), "multiplies the logits")


def _draw_probs_power(last, temperature, generator):
    """p ** (1/T), renormalised: the right distribution, but it underflows for a small T."""
    if temperature == 0:
        return int(torch.argmax(last))
    p = torch.softmax(last, -1) ** (1 / temperature)
    return int(torch.multinomial(p / p.sum(), 1, generator=generator))


def test_sample_probs_power_names_the_underflow():
    """Rejected at T = 1e-4 with the true cause (underflow), not 'handle temperature 0'."""
    msg = fails_with(check_sample, sampler(_draw_probs_power), "1e-4", "underflows", "softmax(logits / T)")
    assert "temperature 0 means argmax" not in msg, msg


def test_sample_probs_power_without_renormalising():
    def draw(last, temperature, generator):  # multinomial accepts unnormalised weights, until they are all 0
        if temperature == 0:
            return int(torch.argmax(last))
        return int(torch.multinomial(torch.softmax(last, -1) ** (1 / temperature), 1, generator=generator))
    fails_with(check_sample, sampler(draw), "underflows")


def test_sample_division_by_zero_temperature():
    """No special case for temperature 0: logits / 0 crashes; the cause is temperature 0."""
    def draw(last, temperature, generator):
        return int(torch.multinomial(torch.softmax(last / temperature, -1), 1, generator=generator))
    fails_with(check_sample, sampler(draw), "temperature 0 means argmax")


def test_sample_argmax_always():
    fails_with(check_sample, lambda m, p, n, temperature=1.0, generator=None: sample(m, p, n, 0.0, generator),
               "argmax at every temperature")


def test_sample_temperature_ignored():
    def f(model, prompt_ids, n, temperature=1.0, generator=None):
        return sample(model, prompt_ids, n, 1.0 if temperature > 0 else 0.0, generator)
    fails_with(check_sample, f, "temperature is ignored")


def test_sample_not_primed():
    def f(model, prompt_ids, n, temperature=1.0, generator=None):
        return sample(model, prompt_ids[-1:], n, temperature, generator)
    fails_with(check_sample, f, "does not prime the state")


def test_sample_no_feedback():
    def f(model, prompt_ids, n, temperature=1.0, generator=None):
        with torch.no_grad():
            logits, h = model(torch.tensor([list(prompt_ids)]))
            out = []
            for _ in range(n):
                c = int(torch.argmax(logits[0, -1]))
                out.append(c)
                logits, h = model(torch.tensor([[prompt_ids[-1]]]), h)
        return out
    fails_with(check_sample, f, "not fed back")


def test_sample_includes_prompt():
    def f(model, prompt_ids, n, temperature=1.0, generator=None):
        return list(prompt_ids) + sample(model, prompt_ids, n, temperature, generator)
    fails_with(check_sample, f, "prompt is included")


def test_sample_global_rng():
    def f(model, prompt_ids, n, temperature=1.0, generator=None):
        return sample(model, prompt_ids, n, temperature, None)
    fails_with(check_sample, f, "generator")
