"""gradcheck and torch_crosscheck pass on correct graphs and point at wrong ones."""

import math
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_moons

from micrograd import Value, gradcheck, torch_crosscheck
from micrograd.nn import MLP


def cube(x, slope=None):
    """x^3 as a custom op; `slope` replaces its derivative 3x^2 to plant a bug."""
    d = 3 * x.data**2 if slope is None else slope
    return Value(x.data**3, (x,), "cube", local_grads=(d,))


# ------------------------------------------------------------------ gradcheck


def every_op(xs):
    a, b, c, d = xs
    return (
        (a * b + c).tanh() * d.exp()
        + (b - a) / (c * c + 1)
        + d.sigmoid() ** 2
        + (c * c + 0.5).log()
        + (a + 2).relu() * b
        + a ** b.tanh()
        + 2**d
        + cube(b)
    )


def test_gradcheck_passes_on_correct_ops():
    result = gradcheck(every_op, [0.7, Value(-1.3, label="b"), 0.4, 0.2])
    assert result.ok and result
    assert len(result.checks) == 4
    assert result.worst.rel_err < 1e-6
    assert str(result).startswith("gradcheck passed on 4 inputs; worst input ")


def test_gradcheck_names_the_input_behind_a_wrong_custom_op():
    def f(xs):
        a, b, c, w = xs
        half = Value(w.data * 0.5, (w,), "half", local_grads=(0.25,))  # should be 0.5
        return a * b + c.tanh() + half

    result = gradcheck(f, [1.0, 2.0, 3.0, Value(4.0, label="w.1")])
    assert not result.ok and not result
    assert (result.worst.index, result.worst.label) == (3, "w.1")
    assert str(result.worst) == "input 3 (w.1): analytic 0.25, numeric 0.5, rel err 0.5"
    assert str(result).startswith("gradcheck FAILED on 4 inputs; worst input 3 (w.1)")
    assert repr(result) == str(result)
    assert [c.index for c in result.checks] == [0, 1, 2, 3]


def test_gradcheck_leaves_the_callers_values_alone():
    x = Value(1.5, label="x")
    gradcheck(lambda xs: xs[0] * xs[0], [x])
    assert (x.data, x.grad) == (1.5, 0.0)


@pytest.mark.parametrize(
    "f, inputs, error, words",
    [
        (3, [1.0], TypeError, "function"),
        (every_op, "abcd", TypeError, "list of numbers"),
        (every_op, 5, TypeError, "list of numbers"),
        (every_op, Value(1.0), TypeError, "list of numbers"),
        (every_op, [1.0, "a"], TypeError, r"inputs\[1\].*str"),
        (lambda xs: 1.0, [1.0], TypeError, "must return a Value, got 1.0"),
        (every_op, [], ValueError, "at least one input"),
    ],
)
def test_gradcheck_rejects_bad_arguments(f, inputs, error, words):
    with pytest.raises(error, match=words):
        gradcheck(f, inputs)


# ------------------------------------------------------------------ torch_crosscheck


def demo_loss():
    """One forward pass of micrograd's demo: 100 moons, SVM loss + L2."""
    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    model = MLP(2, [16, 16, 1])
    scores = [model(list(map(Value, xrow))) for xrow in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    return data_loss + 1e-4 * sum(p * p for p in model.parameters()), model


def test_crosscheck_passes_on_the_demo_and_gives_leaves_their_grads_back():
    loss, model = demo_loss()
    for p in model.parameters():
        p.grad = 0.125  # accumulated from some earlier backward
    report = torch_crosscheck(loss)
    assert report.ok and report
    assert report.nodes == 65_818  # as counted for micrograd 0.1.0's demo step
    assert report.mismatches == () and report.unchecked == ()
    assert str(report) == "torch_crosscheck passed: all 65818 grads match torch"
    assert all(p.grad == 0.125 for p in model.parameters())


def test_crosscheck_cannot_check_an_unknown_custom_op_and_says_so():
    x = Value(2.0, label="x")
    root = cube(x, slope=6.0) * 3 + x  # the true slope is 12
    report = torch_crosscheck(root)
    assert report.ok
    assert report.unchecked == ("node 3 (cube)",)
    assert "unchecked custom ops (own local_grads): node 3 (cube)" in str(report)


def test_crosscheck_flags_a_wrong_custom_op_given_its_torch_twin():
    x = Value(2.0, label="x")
    root = cube(x, slope=6.0) * 3 + x
    report = torch_crosscheck(root, ops={"cube": lambda t: t**3})
    assert not report.ok and report.unchecked == ()
    (m,) = report.mismatches
    assert (m.name, m.micrograd, m.torch) == ("x", 19.0, 37.0)  # 3*6 + 1 vs 3*12 + 1
    assert m.enters_via == ("node 3 (cube)",)
    assert str(report) == (
        "torch_crosscheck FAILED: 1 of 5 grads differ:\n"
        "  node 4 (x): micrograd 19, torch 37, rel err 0.486; enters via node 3 (cube)"
    )


def test_crosscheck_flags_a_wrong_builtin_derivative_worst_first(monkeypatch):
    def bad_tanh(self):  # forgets the square: 1 - t instead of 1 - t^2
        t = math.tanh(self.data)
        return Value(t, (self,), "tanh", local_grads=(1 - t,))

    monkeypatch.setattr(Value, "tanh", bad_tanh)
    x = Value(0.5, label="x")
    h = x * x
    h.label = "h"
    root = h.tanh() + x * 10
    report = torch_crosscheck(root)
    assert not report.ok
    # x's grad also has a correct part (10) through x * 10, so its error is smaller
    assert [m.name for m in report.mismatches] == ["h", "x"]
    assert report.mismatches[0].rel_err > report.mismatches[1].rel_err
    assert report.mismatches[0].enters_via == ("node 3 (tanh)",)
    assert report.mismatches[1].enters_via == ()  # its consumer h is wrong already


def test_crosscheck_text_stays_short_when_many_nodes_differ():
    xs = [Value(i / 10) for i in range(20)]
    s = sum(x * x for x in xs)
    root = Value(math.tanh(s.data), (s,), "tanh", local_grads=(0.5,))
    report = torch_crosscheck(root)
    text = str(report)
    assert len(report.mismatches) > 20
    assert len(text.splitlines()) == 12
    assert text.splitlines()[-1] == f"  ... and {len(report.mismatches) - 10} more"


def test_crosscheck_rejects_a_non_value():
    with pytest.raises(TypeError, match="needs a Value .*got float"):
        torch_crosscheck(1.0)


def test_crosscheck_without_torch_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(
        sys.modules, "torch", None
    )  # import torch now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'mgdebug\[torch\]'"):
        torch_crosscheck(Value(1.0))


def test_importing_micrograd_never_imports_torch():
    code = (
        "import sys, micrograd, micrograd.nn, micrograd.check\n"
        "from micrograd import gradcheck, torch_crosscheck\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


def test_crosscheck_replays_closure_nodes_by_op_name_and_finds_a_wrong_closure():
    from test_lecture import Closures

    a, b = Closures(0.5, label="a"), Closures(-1.5, label="b")
    assert torch_crosscheck((a * b + a).tanh())
    x = Closures(2.0, label="x")
    y = x * x
    y._backward = lambda: setattr(x, "grad", x.grad + y.grad * x.data)  # half of 2x
    report = torch_crosscheck(y + 0.0)
    assert not report and report.mismatches[0].name == "x"
    assert report.mismatches[0].enters_via == ("node 2 (*)",)  # its closure ran wrong


def test_crosscheck_asks_for_a_twin_of_a_closure_op_torch_does_not_know():
    x = Value(2.0)
    cube = Value(8.0, (x,), "cube")
    cube._backward = lambda: setattr(x, "grad", x.grad + 12.0 * cube.grad)
    with pytest.raises(ValueError, match="ops=.*cube"):
        torch_crosscheck(cube)
    assert torch_crosscheck(cube, ops={"cube": lambda t: t**3})


def test_crosscheck_takes_a_value_of_your_own_micrograd_style_class():
    from test_engines import Value as Lecture
    from test_engines import lecture_neuron

    o, leaves = lecture_neuron()
    o.backward()
    o.backward()  # the lecture's backward accumulates: the check starts from zeros
    held = {k: v.grad for k, v in leaves.items()}
    report = torch_crosscheck(o)
    assert report and report.nodes == 10
    assert {k: v.grad for k, v in leaves.items()} == held  # leaves keep theirs
    buggy = Lecture(3.0, label="z")
    twice = buggy + buggy  # the lecture's bug: d(z+z)/dz comes out 1, not 2
    twice._backward = lambda: setattr(buggy, "grad", 1.0 * twice.grad)
    assert not torch_crosscheck(twice)
