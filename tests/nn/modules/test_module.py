"""nn.Module registration, iteration, modes, state dicts, hooks and printing."""

from collections import OrderedDict

import numpy as np
import pytest

import ottorch
from ottorch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(3, 1, bias=False)
        self.scale = nn.Parameter(ottorch.ones(1))
        self.register_buffer("steps", ottorch.zeros(1))
        self.register_buffer("scratch", ottorch.zeros(2), persistent=False)
        self.plain = ottorch.zeros(1)  # not registered

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_registration_and_iteration():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert len(list(net.parameters())) == 4
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert len(list(net.modules())) == 4 and len(list(net.children())) == 3
    assert net.fc2.bias is None
    assert net.get_submodule("fc1") is net.fc1 and net.get_parameter("fc1.weight") is net.fc1.weight
    assert list(net.parameters(recurse=False)) == [net.scale]


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4


def test_assignment_rules():
    net = Net()
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'scale'"):
        net.scale = ottorch.ones(1)
    net.scale = None
    assert "scale" in net._parameters and net.scale is None
    net.fc1 = nn.Linear(2, 3)
    del net.act
    assert [n for n, _ in net.named_children()] == ["fc1", "fc2"]
    with pytest.raises(KeyError, match="contain"):
        net.register_buffer("a.b", None)
    with pytest.raises(KeyError, match="already exists"):
        net.register_parameter("plain", None)
    with pytest.raises(AttributeError, match="before Module.__init__"):
        class Bad(nn.Module):
            def __init__(self):
                self.x = 1

        Bad()
    with pytest.raises(ValueError, match="non-leaf"):
        net.register_parameter("w", _non_leaf_parameter())


def _non_leaf_parameter():
    p = nn.Parameter(ottorch.ones(1))
    p._ctx = (ottorch.ones(1, requires_grad=True) * 2).grad_fn
    return p


def test_train_eval_requires_grad_zero_grad_apply():
    net = Net()
    assert net.training and net.fc1.training
    net.eval()
    assert not net.training and not net.fc1.training
    net.train()
    assert net.fc2.training
    net(ottorch.ones(4, 2)).sum().backward()
    assert net.fc1.weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert net.fc1.weight.grad.abs().sum().item() == 0
    net.zero_grad()
    assert net.fc1.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Tanh", "Linear", "Net"]


def test_to_and_dtype_conversion():
    net = Net()
    assert net.to("cpu") is net and net.cpu() is net
    net.double()
    assert net.fc1.weight.dtype == ottorch.float64 and net.steps.dtype == ottorch.float64
    assert net(ottorch.ones(1, 2, dtype=ottorch.float64)).dtype == ottorch.float64
    net.to(ottorch.float32)
    assert net.fc1.weight.dtype == ottorch.float32
    net.float()
    with pytest.raises(ValueError, match="CPU only"):
        net.to("cuda")
    with pytest.raises(TypeError, match="floating point"):
        net.to(ottorch.int64)


def test_state_dict_round_trip_and_strict_errors():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert list(sd) == ["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert all(not t.requires_grad for t in sd.values())
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.fc1.weight.equal(a.fc1.weight) and b.fc1.weight is not a.fc1.weight
    bad = OrderedDict(sd)
    bad.pop("fc1.bias")
    bad["extra"] = ottorch.zeros(1)
    with pytest.raises(RuntimeError, match='(?s)Unexpected key.*"extra".*Missing key.*"fc1.bias"'):
        b.load_state_dict(bad)
    keys = b.load_state_dict(bad, strict=False)
    assert keys.missing_keys == ["fc1.bias"] and keys.unexpected_keys == ["extra"]
    sd["fc1.weight"] = ottorch.zeros(5, 5)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight.*\[5, 5\].*\[3, 2\]"):
        b.load_state_dict(sd)
    assert a.state_dict(keep_vars=True)["fc1.weight"] is a.fc1.weight


def test_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: calls.append(("pre", args[0].shape)))
    h2 = lin.register_forward_hook(lambda m, args, out: out * 0)
    out = lin(ottorch.ones(3, 2))
    assert calls == [("pre", (3, 2))] and out.abs().sum().item() == 0
    h1.remove()
    h2.remove()
    assert lin(ottorch.ones(3, 2)).abs().sum().item() > 0 and len(calls) == 1


def test_repr_like_pytorch():
    seq = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 1)))
    assert repr(seq) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=4, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=4, out_features=1, bias=True)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Identity()) == "Identity()"


def test_forward_missing_raises():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


def test_containers():
    seq = nn.Sequential(OrderedDict([("a", nn.Linear(2, 3)), ("b", nn.ReLU())]))
    assert isinstance(seq.a, nn.Linear) and len(seq) == 2 and seq[-1] is seq.b
    assert isinstance(seq[:1], nn.Sequential) and len(seq[:1]) == 1
    seq.append(nn.Linear(3, 1))
    assert seq(ottorch.ones(4, 2)).shape == (4, 1)
    seq[1] = nn.Tanh()
    assert isinstance(seq.b, nn.Tanh)
    del seq[1]
    assert len(seq) == 2
    assert [type(m).__name__ for m in seq] == ["Linear", "Linear"]

    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    ml.append(nn.ReLU()).extend([nn.Tanh()])
    ml.insert(0, nn.Identity())
    assert isinstance(ml[0], nn.Identity) and isinstance(ml[-1], nn.Tanh) and len(ml) == 6
    del ml[0]
    assert isinstance(ml[0], nn.Linear) and len(ml[1:3]) == 2
    ml[0] = nn.Sigmoid()
    assert isinstance(ml[0], nn.Sigmoid)

    md = nn.ModuleDict({"x": nn.Linear(1, 2)})
    md["y"] = nn.ReLU()
    md.update([("z", nn.Tanh())])
    assert list(md) == ["x", "y", "z"] and "y" in md and len(md) == 3
    assert list(md.keys()) == ["x", "y", "z"] and len(list(md.values())) == 3 and len(list(md.items())) == 3
    assert isinstance(md.pop("y"), nn.ReLU)
    del md["z"]
    assert len(md) == 1
    md.clear()
    assert len(md) == 0


def test_parameter():
    p = nn.Parameter(ottorch.ones(2))
    assert p.requires_grad and p.is_leaf and isinstance(p, ottorch.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor([1., 1.], requires_grad=True)")
    assert not nn.Parameter(ottorch.ones(1), requires_grad=False).requires_grad
    assert type(p * 2) is ottorch.Tensor
    assert nn.Parameter().shape == (0,)
    with pytest.raises(TypeError, match="expects a Tensor"):
        nn.Parameter(np.ones(2))
