"""Neurons, layers and MLPs: micrograd's published demo, names, reprs and edge cases."""

import math
import random

import numpy as np
import pytest
from sklearn.datasets import make_moons

from micrograd import Value
from micrograd.nn import MLP, Layer, Neuron


def demo_data_and_model():
    """micrograd's demo.ipynb setup: seeds, moons, labels in {-1, 1}, the model."""
    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    model = MLP(2, [16, 16, 1])  # 2-layer neural network
    return X, y, model


def demo_loss(X, y, model):
    """The demo's loss(): SVM max-margin loss plus L2, and accuracy."""
    inputs = [
        list(map(Value, xrow)) for xrow in X
    ]  # numpy float64 scalars, as in the demo
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (s.data > 0) for yi, s in zip(y, scores, strict=True)]
    return total_loss, sum(accuracy) / len(accuracy)


def test_published_demo_reproduces_the_loss_at_step_0_and_step_99():
    X, y, model = demo_data_and_model()
    history = []
    for k in range(100):
        total_loss, acc = demo_loss(X, y, model)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((total_loss.data, acc))
    assert history[0][0] == 0.8958441028683222
    assert history[99] == (0.010978370135492717, 1.0)


def test_demo_model_has_337_parameters():
    _, _, model = demo_data_and_model()
    assert len(model.parameters()) == 337  # 2*16+16 + 16*16+16 + 16+1


def test_named_parameters_follow_parameters_and_match_labels():
    _, _, model = demo_data_and_model()
    named = list(model.named_parameters())
    assert [p for _, p in named] == model.parameters()
    assert all(p.label == name for name, p in named)
    names = [name for name, _ in named]
    assert names[:3] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
    ]
    assert names[3 * 3 + 1] == "layers.0.neurons.3.w.1"
    assert names[-1] == "layers.2.neurons.0.b"
    assert len(set(names)) == 337


def test_a_one_neuron_hidden_layer_feeds_the_next_layer():
    # micrograd issue #13: a one-neuron layer returns a bare Value, which broke the next
    random.seed(3)
    model = MLP(2, [1, 3, 1])
    x = [0.5, -1.5]
    out = model(x)
    out.backward()
    (n0,), hidden, (last,) = (layer.neurons for layer in model.layers)

    # the same network in plain floats
    def relu(t):
        return max(t, 0.0)

    h = relu(sum(w.data * xi for w, xi in zip(n0.w, x, strict=True)) + n0.b.data)
    hs = [relu(n.w[0].data * h + n.b.data) for n in hidden]
    expected = sum(w.data * hi for w, hi in zip(last.w, hs, strict=True)) + last.b.data
    assert isinstance(out, Value)
    assert math.isclose(out.data, expected, rel_tol=1e-12)
    assert last.b.grad == 1.0
    assert [w.grad for w in last.w] == pytest.approx(hs)


def test_wrong_input_length_raises():
    random.seed(0)
    model = MLP(2, [3, 1])
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        model([1.0, 2.0, 3.0])


def test_tanh_neuron():
    random.seed(0)
    n = Neuron(2, nonlin="tanh")
    out = n([0.5, -1.0])
    pre = n.w[0].data * 0.5 - n.w[1].data + n.b.data
    assert out._op == "tanh"
    assert math.isclose(out.data, math.tanh(pre), rel_tol=1e-12)
    assert repr(n) == "TanhNeuron(2)"
    with pytest.raises(ValueError, match="nonlin"):
        Neuron(2, nonlin="softplus")


def test_reprs_match_micrograd():
    random.seed(0)
    assert repr(Neuron(3)) == "ReLUNeuron(3)"
    assert repr(Neuron(3, nonlin=False)) == "LinearNeuron(3)"
    assert repr(Layer(2, 2)) == "Layer of [ReLUNeuron(2), ReLUNeuron(2)]"
    assert repr(MLP(2, [2, 1])) == (
        "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]"
    )


def test_zero_grad_clears_every_parameter():
    random.seed(0)
    model = MLP(2, [3, 1])
    out = model([1.0, -2.0]) * 2
    out.backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_weights_follow_micrograds_random_order():
    random.seed(42)
    n = Neuron(3)
    random.seed(42)
    expected = [random.uniform(-1, 1) for _ in range(3)]
    assert [w.data for w in n.w] == expected
    assert n.b.data == 0.0
