"""PyTorch's type promotion: dimensioned tensors outrank 0-d tensors, which outrank Python scalars,
and a lower-ranked operand decides the dtype only when its category (bool < integer < floating) is
higher than that of every higher-ranked operand.

Every expected dtype below is PyTorch 2.13's, checked against torch once by hand. Operands are
written as dtype names: "int32" is a dimensioned tensor, "int32()" a 0-d one; Python scalars are
themselves.
"""

import numpy as np
import pytest

import ottorch

OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b,
    "floordiv": lambda a, b: a // b,
    "mod": lambda a, b: a % b,
    "pow": lambda a, b: a**b,
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b,
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "maximum": lambda a, b: ottorch.maximum(a, b),
    "minimum": lambda a, b: ottorch.minimum(a, b),
    "clamp_min": lambda a, b: ottorch.clamp(a, min=b),
    "clamp_max": lambda a, b: ottorch.clamp(a, max=b),
    "where": lambda a, b: ottorch.where(ottorch.tensor([True, False, True]), a, b),
}

CASES = [
    # dimensioned vs 0-d: the 0-d tensor decides only from a higher category, with its own dtype
    ("float32", "float64()", "add", "float32"),
    ("float64()", "float32", "add", "float32"),
    ("float16", "float64()", "add", "float16"),
    ("float64", "float16()", "add", "float64"),
    ("int32", "float64()", "add", "float64"),
    ("float64()", "int32", "add", "float64"),
    ("int64", "float16()", "add", "float16"),
    ("uint8", "float16()", "mul", "float16"),
    ("float16", "int64()", "add", "float16"),
    ("int8", "int64()", "add", "int8"),
    ("int64()", "int8", "add", "int8"),
    ("uint8", "int8()", "add", "uint8"),
    ("int8", "uint8()", "add", "int8"),
    ("uint8", "int64()", "add", "uint8"),
    ("int16", "int32()", "sub", "int16"),
    ("int8", "int16()", "sub", "int8"),
    ("bool", "int32()", "add", "int32"),
    ("int32()", "bool", "add", "int32"),
    ("bool", "uint8()", "add", "uint8"),
    ("bool", "float16()", "add", "float16"),
    ("bool", "float64()", "mul", "float64"),
    ("bool", "bool()", "add", "bool"),
    ("int64", "bool()", "add", "int64"),
    ("float32", "bool()", "add", "float32"),
    # dimensioned vs Python scalars: bool -> bool, int -> int64, float -> the default dtype
    ("bool", 2, "add", "int64"),
    (2, "bool", "add", "int64"),
    ("bool", 2.5, "add", "float32"),
    (2.5, "bool", "mul", "float32"),
    ("bool", True, "add", "bool"),
    ("bool", True, "mul", "bool"),
    ("uint8", 2, "add", "uint8"),
    (2, "uint8", "add", "uint8"),
    ("int8", 2, "mul", "int8"),
    ("int16", 2.5, "add", "float32"),
    ("int32", 2.5, "add", "float32"),
    (2.5, "int32", "sub", "float32"),
    (2.5, "uint8", "sub", "float32"),
    ("int64", True, "add", "int64"),
    ("float16", 2.5, "add", "float16"),
    (2.5, "float16", "add", "float16"),
    ("float16", 2, "mul", "float16"),
    ("float64", 2.5, "add", "float64"),
    ("float32", True, "add", "float32"),
    # 0-d vs Python scalars: the same rule one rank down
    ("int32()", 2, "add", "int32"),
    (2, "int32()", "add", "int32"),
    ("int32()", 2.5, "add", "float32"),
    (2.5, "int32()", "add", "float32"),
    ("float16()", 2.5, "add", "float16"),
    ("float64()", 2, "add", "float64"),
    ("bool()", 2, "add", "int64"),
    ("bool()", 2.5, "add", "float32"),
    ("uint8()", 2, "add", "uint8"),
    ("int8()", True, "add", "int8"),
    # two 0-d tensors, two dimensioned tensors: ordinary promotion
    ("int32()", "float16()", "add", "float16"),
    ("uint8()", "int8()", "add", "int16"),
    ("int8()", "uint8()", "add", "int16"),
    ("float16()", "float64()", "add", "float64"),
    ("bool()", "int8()", "add", "int8"),
    ("int64()", "float32()", "add", "float32"),
    ("uint8", "int8", "add", "int16"),
    ("int32", "float16", "add", "float16"),
    ("int64", "float16", "mul", "float16"),
    ("float16", "float32", "add", "float32"),
    ("bool", "int8", "add", "int8"),
    ("int16", "int32", "add", "int32"),
    ("uint8", "int16", "add", "int16"),
    ("bool", "bool", "add", "bool"),
    # true division: a bool or integer result becomes the default float dtype
    ("int32", "int64()", "truediv", "float32"),
    ("int8", 2, "truediv", "float32"),
    (2, "int32", "truediv", "float32"),
    ("bool", "bool()", "truediv", "float32"),
    ("uint8()", "int16()", "truediv", "float32"),
    ("int32", "float64()", "truediv", "float64"),
    ("int64", "float16()", "truediv", "float16"),
    ("float16", 2, "truediv", "float16"),
    ("float16", "float64()", "truediv", "float16"),
    # floor division, remainder, power
    ("int32", 2, "floordiv", "int32"),
    ("int32", 2.5, "floordiv", "float32"),
    ("int8", "int64()", "floordiv", "int8"),
    ("float16", "float64()", "floordiv", "float16"),
    (7, "int16", "floordiv", "int16"),
    ("int16", 3, "mod", "int16"),
    ("uint8", "int8", "mod", "int16"),
    ("int32", 2.5, "mod", "float32"),
    ("float64", "float32()", "mod", "float64"),
    (7.5, "int64", "mod", "float32"),
    ("int32", 2, "pow", "int32"),
    ("int32", 2.5, "pow", "float32"),
    ("int8", "float64()", "pow", "float64"),
    ("float16", "float64()", "pow", "float16"),
    ("float32", "int64", "pow", "float32"),
    (2, "int16", "pow", "int16"),
    (2.5, "int8", "pow", "float32"),
    ("uint8()", "int8", "pow", "int8"),
    # bitwise operators (bool and integer only)
    ("int8", "int64()", "and", "int8"),
    ("bool", "bool", "or", "bool"),
    ("uint8", "int8", "xor", "int16"),
    ("bool", 1, "and", "int64"),
    ("int16()", "int32()", "or", "int32"),
    # comparisons give bool whatever the operands
    ("int32", 2.5, "lt", "bool"),
    ("uint8", "int8()", "eq", "bool"),
    (2.5, "float16", "lt", "bool"),
    # maximum / minimum
    ("int32", "float64()", "maximum", "float64"),
    ("float16", "float64()", "maximum", "float16"),
    ("float64()", "float16", "minimum", "float16"),
    ("uint8", "int8", "minimum", "int16"),
    ("bool", "int8()", "maximum", "int8"),
    ("int8()", "int16()", "maximum", "int16"),
    # clamp with one bound
    ("int64", 1.5, "clamp_min", "float32"),
    ("int32", 2, "clamp_max", "int32"),
    ("uint8", 2, "clamp_min", "uint8"),
    ("float16", 2.5, "clamp_max", "float16"),
    ("int32", "float64()", "clamp_min", "float64"),
    ("float16", "float64()", "clamp_max", "float16"),
    # where(condition, a, b): the condition takes no part
    ("float32", "float64()", "where", "float32"),
    ("float64()", "float32", "where", "float32"),
    ("float16", "float64()", "where", "float16"),
    ("int32", 2.5, "where", "float32"),
    (2.5, "int32", "where", "float32"),
    ("int64", 2, "where", "int64"),
    ("uint8", 2, "where", "uint8"),
    ("bool", 2, "where", "int64"),
    ("int32()", "float16()", "where", "float16"),
    ("int8()", 2.5, "where", "float32"),
    ("int8()", "int64", "where", "int64"),
    (2, 2.5, "where", "float32"),
    (1, 0, "where", "int64"),
    (True, False, "where", "bool"),
]

# (tensor, operand, op, dtype kept or the error PyTorch raises)
IN_PLACE = [
    ("int8", "int64()", "iadd", "int8"),
    ("uint8", "int8", "iadd", "uint8"),
    ("float16", "float64", "iadd", "float16"),
    ("float32", "float64()", "imul", "float32"),
    ("int32", "int64", "isub", "int32"),
    ("float32", 2, "idiv", "float32"),
    ("int64", True, "iadd", "int64"),
    ("float16", 2.5, "pow_", "float16"),
    ("int16", "int8()", "mul_", "int16"),
    ("int64", 2.5, "iadd", "result type Float can't be cast to the desired output type Long"),
    ("int64", 2.5, "add_", "result type Float can't be cast to the desired output type Long"),
    ("int32", "float32()", "iadd", "result type Float can't be cast to the desired output type Int"),
    ("int64", 2, "idiv", "result type Float can't be cast to the desired output type Long"),
    ("int64", "int64", "div_", "result type Float can't be cast to the desired output type Long"),
    ("bool", 2, "iadd", "result type Long can't be cast to the desired output type Bool"),
    ("bool", "uint8()", "mul_", "result type Byte can't be cast to the desired output type Bool"),
    ("int16", "float64()", "imul", "result type Double can't be cast to the desired output type Short"),
    ("uint8", "float16", "isub", "result type Half can't be cast to the desired output type Byte"),
    ("int8", 1.5, "sub_", "result type Float can't be cast to the desired output type Char"),
    ("int32", 2.5, "pow_", "result type Float can't be cast to the desired output type Int"),
]


def _iop(name):
    def apply(a, b):
        if name == "iadd":
            a += b
        elif name == "isub":
            a -= b
        elif name == "imul":
            a *= b
        elif name == "idiv":
            a /= b
        else:
            getattr(a, name)(b)
        return a

    return apply


def make(spec):
    """A tensor for a dtype name ("int32" dimensioned, "int32()" 0-d); a Python scalar as is."""
    if not isinstance(spec, str):
        return spec
    name = spec.removesuffix("()")
    dtype = getattr(ottorch, "bool" if name == "bool" else name)
    if name == "bool":
        return ottorch.tensor(True if spec.endswith("()") else [True, False, True], dtype=dtype)
    return ottorch.tensor(2 if spec.endswith("()") else [1, 2, 3], dtype=dtype)


@pytest.mark.parametrize("a, b, op, expected", CASES)
def test_result_dtype(a, b, op, expected):
    assert OPS[op](make(a), make(b)).dtype == getattr(ottorch, expected)


@pytest.mark.parametrize("a, b, op, expected", [c for c in CASES if c[2] in ("add", "sub", "mul", "where")])
def test_result_type_agrees_with_the_ops(a, b, op, expected):
    assert ottorch.result_type(make(a), make(b)) == getattr(ottorch, expected)


@pytest.mark.parametrize("a, b, op, expected", IN_PLACE)
def test_in_place(a, b, op, expected):
    t = make(a)
    if expected.startswith("result type"):
        with pytest.raises(RuntimeError, match=expected):
            _iop(op)(t, make(b))
        assert t.tolist() == make(a).tolist()  # left untouched
    else:
        assert _iop(op)(t, make(b)) is t
        assert t.dtype == getattr(ottorch, expected)


def test_in_place_computes_in_the_promoted_dtype_and_casts_back():
    t = ottorch.tensor([1, 2, 200], dtype=ottorch.uint8)
    t += ottorch.tensor([1, 2, 100], dtype=ottorch.int8)
    assert t.tolist() == [2, 4, 44]  # 300 wraps around in uint8
    h = ottorch.tensor([1.0, 2.0], dtype=ottorch.float16)
    h *= ottorch.tensor([0.5, 0.25], dtype=ottorch.float64)
    assert h.dtype == ottorch.float16 and h.tolist() == [0.5, 0.5]


def test_in_place_under_autograd_keeps_the_dtype_and_the_gradients():
    w = ottorch.ones(3, requires_grad=True)
    s = ottorch.tensor(2.0, dtype=ottorch.float64, requires_grad=True)
    y = w * 1.0
    y += s
    assert y.dtype == ottorch.float32
    y.sum().backward()
    assert w.grad.dtype == ottorch.float32 and w.grad.tolist() == [1.0, 1.0, 1.0]
    assert s.grad.dtype == ottorch.float64 and s.grad.shape == () and s.grad.item() == 3.0
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        ottorch.ones(3, dtype=ottorch.int64).add_(w)


@pytest.fixture
def float64_default():
    ottorch.set_default_dtype(ottorch.float64)
    try:
        yield
    finally:
        ottorch.set_default_dtype(ottorch.float32)


@pytest.mark.parametrize("a, b, op, expected", [
    ("int32", 2.5, "add", "float64"),
    (2.5, "bool()", "mul", "float64"),
    ("float32", 2.5, "add", "float32"),
    ("float16()", 2.5, "add", "float16"),
    ("int32", "int32", "truediv", "float64"),
    ("int32", "float32()", "add", "float32"),
    (2.5, 1, "where", "float64"),
])
def test_default_dtype_decides_python_floats(float64_default, a, b, op, expected):
    assert OPS[op](make(a), make(b)).dtype == getattr(ottorch, expected)


def test_gradients_come_back_in_each_operands_dtype():
    s = ottorch.tensor(2.0, dtype=ottorch.float64, requires_grad=True)
    x = ottorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = ottorch.tensor([1.0, 1.0, 1.0], dtype=ottorch.float16, requires_grad=True)
    out = x * s + h
    assert out.dtype == ottorch.float32
    out.sum().backward()
    assert s.grad.dtype == ottorch.float64 and s.grad.shape == () and s.grad.item() == 6.0
    assert x.grad.dtype == ottorch.float32 and x.grad.tolist() == [2.0, 2.0, 2.0]
    assert h.grad.dtype == ottorch.float16 and h.grad.tolist() == [1.0, 1.0, 1.0]


def test_gradient_of_a_0d_operand_that_decides_the_dtype():
    s = ottorch.tensor(0.5, dtype=ottorch.float64, requires_grad=True)
    out = ottorch.tensor([1, 2, 3], dtype=ottorch.int32) * s
    assert out.dtype == ottorch.float64
    out.sum().backward()
    assert s.grad.dtype == ottorch.float64 and s.grad.item() == 6.0


def test_where_gradients_in_each_operands_dtype():
    s = ottorch.tensor(2.0, dtype=ottorch.float64, requires_grad=True)
    x = ottorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = ottorch.where(ottorch.tensor([True, False, True]), s, x)
    assert out.dtype == ottorch.float32 and out.tolist() == [2.0, 2.0, 2.0]
    out.sum().backward()
    assert s.grad.dtype == ottorch.float64 and s.grad.item() == 2.0
    assert x.grad.tolist() == [0.0, 1.0, 0.0]


def test_comparisons_happen_in_the_promoted_dtype():
    # float16 beside a 0-d float64: compared in float16, where 0.1 rounds alike on both sides
    assert (ottorch.tensor([0.1], dtype=ottorch.float16) == ottorch.tensor(0.1, dtype=ottorch.float64)).tolist() == [True]
    # -1 becomes a uint8 (255), as in PyTorch
    assert (ottorch.tensor([255], dtype=ottorch.uint8) == -1).tolist() == [True]
    assert (ottorch.tensor([1, 2, 3]) < 2.5).tolist() == [True, True, False]


def test_scalars_wrap_around_in_narrow_integers():
    assert (ottorch.tensor([100], dtype=ottorch.int8) + 100).tolist() == [-56]
    assert (ottorch.tensor([100], dtype=ottorch.int8) + 1000).tolist() == [76]


def test_three_way_clamp_promotes_once():
    x = ottorch.tensor([1, 2, 3], dtype=ottorch.int32)
    lo = ottorch.tensor(1.5, dtype=ottorch.float64)
    hi = ottorch.tensor([2.0, 2.0, 2.0], dtype=ottorch.float16)
    out = ottorch.clamp(x, min=lo, max=hi)
    assert out.dtype == ottorch.float16 and out.tolist() == [1.5, 2.0, 2.0]


def test_div_rounding_modes_keep_integers():
    a = ottorch.tensor([5, -5, 6, -7])
    assert ottorch.div(a, 2, rounding_mode="trunc").tolist() == [2, -2, 3, -3]
    assert ottorch.div(a, 2, rounding_mode="trunc").dtype == ottorch.int64
    assert ottorch.div(a, 2, rounding_mode="floor").tolist() == [2, -3, 3, -4]
    assert ottorch.div(a, 2.0, rounding_mode="trunc").dtype == ottorch.float32


def test_masked_fill_keeps_the_tensors_dtype():
    m = ottorch.tensor([True, False])
    assert ottorch.tensor([1, 2]).masked_fill(m, 1.5).tolist() == [1, 2]
    assert ottorch.tensor([1.0, 2.0], dtype=ottorch.float16).masked_fill(m, ottorch.tensor(3.0, dtype=ottorch.float64)).dtype == ottorch.float16


def test_cat_promotes_by_category():
    parts = [ottorch.tensor([1], dtype=ottorch.int32), ottorch.tensor([2.0], dtype=ottorch.float16)]
    assert ottorch.cat(parts).dtype == ottorch.float16


def test_result_type_promote_types_can_cast():
    assert ottorch.result_type(1, 1.0) == ottorch.float32
    assert ottorch.result_type(ottorch.tensor(1, dtype=ottorch.int32), 1.0) == ottorch.float32
    assert ottorch.result_type(ottorch.tensor([1], dtype=ottorch.int8), 2**40) == ottorch.int8
    assert ottorch.promote_types(ottorch.int32, ottorch.float16) == ottorch.float16
    assert ottorch.promote_types(ottorch.uint8, ottorch.int8) == ottorch.int16
    assert ottorch.promote_types(ottorch.bool, ottorch.uint8) == ottorch.uint8
    assert ottorch.can_cast(ottorch.float64, ottorch.float16)
    assert ottorch.can_cast(ottorch.int64, ottorch.uint8)
    assert ottorch.can_cast(ottorch.bool, ottorch.float16)
    assert not ottorch.can_cast(ottorch.float32, ottorch.int64)
    assert not ottorch.can_cast(ottorch.int8, ottorch.bool)


def test_unsupported_operands():
    t = ottorch.ones(2)
    with pytest.raises(TypeError):
        t + "a"
    assert (t == "a") is False
    with pytest.raises(TypeError, match="unsupported operand"):
        t + np.array(["a", "b"])
