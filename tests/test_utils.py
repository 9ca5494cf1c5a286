"""Unit tests of the shared helpers: seeding, device, the check framework, gradcheck, training."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from utils import get_device, set_seed
from utils.checks.core import Check, CheckFailure, fmt_shape
from utils.gradcheck import numeric_gradient, relative_error


# -- seeding and device ---------------------------------------------------------------

def test_set_seed_reproduces_every_generator():
    rng = set_seed(3)
    a = (rng.normal(size=3), np.random.rand(2), random.random(), torch.rand(2))
    rng = set_seed(3)
    b = (rng.normal(size=3), np.random.rand(2), random.random(), torch.rand(2))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]
    assert torch.equal(a[3], b[3])
    assert not np.array_equal(set_seed(4).normal(size=3), a[0])


@pytest.mark.parametrize("bad", [1.5, "0", None, True])
def test_set_seed_rejects_non_integers(bad):
    with pytest.raises(TypeError, match="integer seed"):
        set_seed(bad)


def test_get_device_defaults_to_cpu(monkeypatch):
    monkeypatch.delenv("WORKBOOK_DEVICE", raising=False)
    assert get_device().type == "cpu"
    assert get_device("auto").type in ("cpu", "cuda", "mps")
    with pytest.raises(ValueError, match="prefer must be"):
        get_device("tpu")
    monkeypatch.setenv("WORKBOOK_DEVICE", "cpu")
    assert get_device("auto").type == "cpu"


# -- the check framework ------------------------------------------------------------

def _double(x):
    return 2 * x


def _check_double(fn):
    chk = Check("double", reference="2 * x")
    for case, x in {"vector": np.arange(3.0), "batch of 1": np.ones((1, 2))}.items():
        got = chk.call(fn, x, case=case)
        chk.expect_close(got, 2 * x, case=case, name="y", shape_meaning="x.shape",
                         mistakes={"returned x + 2 instead of 2 * x": x + 2})
    chk.done()


def test_check_passes_with_one_line(capsys):
    _check_double(_double)
    out = capsys.readouterr().out
    assert out == "✓ double: 2/2 cases match 2 * x (largest difference 0.0e+00)\n"


def test_check_reports_stub_as_not_implemented():
    def stub(x):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError, match="double is not implemented yet"):
        _check_double(stub)


def test_check_names_case_values_and_the_matching_mistake():
    with pytest.raises(CheckFailure) as e:
        _check_double(lambda x: x + 2)
    msg = str(e.value)
    assert msg.startswith('double, case "vector": y differs from 2 * x at index (0,): got 2, expected 0')
    assert "Likely cause: returned x + 2 instead of 2 * x" in msg


def test_check_reports_shapes_none_crashes_and_nan():
    with pytest.raises(CheckFailure, match=r'y has shape \(3, 1\), expected \(3,\) = x.shape'):
        _check_double(lambda x: (2 * x).reshape(-1, 1))
    with pytest.raises(CheckFailure, match="y is None.\nLikely cause: the function does not `return`"):
        _check_double(lambda x: None)
    with pytest.raises(CheckFailure, match="your function raised ZeroDivisionError"):
        _check_double(lambda x: 1 / 0)
    with pytest.raises(CheckFailure, match="got nan in y"):
        _check_double(lambda x: x * np.nan)
    with pytest.raises(CheckFailure, match="expected a function"):
        _check_double(3)


def test_check_accepts_torch_tensors_and_copies_inputs():
    _check_double(lambda x: torch.as_tensor(2 * x))

    def in_place(x):
        x *= 2
        return x
    _check_double(in_place)  # the reference 2 * x is computed from the caller's unchanged array


def test_expect_equal_and_expect():
    chk = Check("vocab")
    chk.expect_equal({"a": 0}, {"a": 0}, case="c", name="index")
    with pytest.raises(CheckFailure, match=r"index is \{'a': 1\}, expected \{'a': 0\}"):
        chk.expect_equal({"a": 1}, {"a": 0}, case="c", name="index")
    with pytest.raises(CheckFailure, match="lengths is"):
        chk.expect_equal([1, 2], [1, 3], case="c", name="lengths")
    with pytest.raises(CheckFailure, match='vocab, case "c": bad\nLikely cause: why'):
        chk.expect(False, case="c", what="bad", cause="why")


def test_fmt_shape():
    assert fmt_shape((4, 3)) == "(4, 3)" and fmt_shape((5,)) == "(5,)" and fmt_shape(()) == "()"


# -- gradient checking ------------------------------------------------------------------

def test_numeric_gradient_matches_analytic():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(3, 4))
    num = numeric_gradient(lambda W: np.sum(np.tanh(W) ** 2), W)
    exact = 2 * np.tanh(W) * (1 - np.tanh(W) ** 2)
    assert relative_error(num, exact) < 1e-7


def test_numeric_gradient_restores_input_and_needs_float64():
    x = np.array([1.0, -2.0])
    before = x.copy()
    numeric_gradient(lambda v: float(v @ v), x)
    assert np.array_equal(x, before)
    with pytest.raises(TypeError, match="float64"):
        numeric_gradient(lambda v: float(v.sum()), x.astype(np.float32))


def test_relative_error():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([0.0], [0.0]) == 0.0
    assert relative_error([1.0], [-1.0]) == 1.0
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error([1.0], [1.0, 2.0])


def test_relative_error_norm_kind_ignores_near_zero_noise():
    a = np.array([1.0, 0.0])
    b = np.array([1.0, 1e-11])
    assert relative_error(a, b) == 1.0
    assert relative_error(a, b, kind="norm") < 1e-10
    with pytest.raises(ValueError, match="kind must be"):
        relative_error(a, b, kind="mean")


def test_set_seed_uses_one_thread():
    set_seed(0)
    assert torch.get_num_threads() == 1


def test_set_seed_does_not_import_the_compiler_on_the_cpu():
    """torch.use_deterministic_algorithms imports torch._inductor (2 s at every notebook start);
    on the CPU with one thread it buys nothing, so set_seed calls it on a GPU only."""
    import subprocess
    import sys
    code = ("import sys, torch\nfrom utils import set_seed\nset_seed(0)\n"
            "print(torch.cuda.is_available(), 'torch._inductor' in sys.modules, 'torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    if out[0] == "True":
        pytest.skip("a GPU is present: set_seed asks for deterministic algorithms there")
    assert out[1:] == ["False", "False"]


def test_plot_heatmap_labels_its_colour_bar_and_centres_the_scale():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from utils.plots import plot_heatmap
    fig = plot_heatmap(np.array([[0.5, -2.0], [1.0, 0.0]]), cbar_label="value of the unit")
    ax, cbar = fig.axes
    assert cbar.get_ylabel() == "value of the unit"
    assert ax.images[0].get_clim() == (-2.0, 2.0)
    assert plot_heatmap(np.eye(2), colorbar=False).axes[-1].get_ylabel() == ""
    plt.close("all")


def test_check_reads_a_likely_cause_from_the_error():
    """cause= may be a function of the exception: a cause that fits the error, or none at all (no guess)."""
    def explain(error):
        return "lengths are one past the last index" if isinstance(error, IndexError) else None

    chk = Check("f")
    with pytest.raises(CheckFailure) as e:
        chk.call(lambda: [][0], case="empty", cause=explain)
    assert "your function raised IndexError" in str(e.value)
    assert str(e.value).endswith("Likely cause: lengths are one past the last index")
    with pytest.raises(CheckFailure) as e:
        chk.call(lambda: 1 / 0, case="zero", cause=explain)
    assert "ZeroDivisionError" in str(e.value) and "Likely cause" not in str(e.value)


def test_plot_confusion_writes_every_number_in_the_ink_that_stands_out_from_its_cell():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt

    from utils.tagging import plot_confusion

    def contrast(a, b):
        lum = []
        for c in (a, b):
            rgb = np.asarray(mcolors.to_rgb(c))
            lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
            lum.append(float(lin @ [0.2126, 0.7152, 0.0722]))
        return (max(lum) + 0.05) / (min(lum) + 0.05)

    # rows of 65 %, 35 %, 5 % and 100 %: a mid-blue cell (65 %) once got white text at 3.7:1
    fig = plot_confusion(np.array([[65, 35, 0], [0, 95, 5], [0, 0, 100]]), ["A", "B", "C"])
    ax = fig.axes[0]
    im = ax.images[0]
    inks = {}
    for t in ax.texts:
        cell = im.cmap(im.norm(float(t.get_text())))
        inks[t.get_text()] = t.get_color()
        assert contrast(t.get_color(), cell) >= 4.5, (t.get_text(), t.get_color())
    assert inks["65"] == "black" and inks["100"] == "white" and inks["5"] == "black"
    plt.close(fig)
