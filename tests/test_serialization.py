"""ottorch.save / ottorch.load: round trips, sharing, the file format, and refusal of bad objects and files."""

import hashlib
import io
import json
import math
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import ottorch
from ottorch.nn.parameter import Parameter
from ottorch.serialization import HEADER_MEMBER, LoadError, load, save


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return load(buf, **load_kwargs)


def to_bytes(obj) -> bytes:
    buf = io.BytesIO()
    save(obj, buf)
    return buf.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    """A new, internally consistent zip (valid CRCs) holding ``files``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return out.getvalue()


def with_header(data: bytes, edit) -> bytes:
    files = members(data)
    header = json.loads(files[HEADER_MEMBER])
    edit(header)
    files[HEADER_MEMBER] = json.dumps(header).encode()
    return rezip(files)


def npy_bytes(arr, allow_pickle=False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def load_bytes(data: bytes):
    return load(io.BytesIO(data))


def assert_same(a, b):
    """Equal values of identical types, recursively (nan equals nan)."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, ottorch.Tensor):
        assert a.dtype == b.dtype and a.requires_grad == b.requires_grad and b.is_leaf
        np.testing.assert_array_equal(a._data, b._data)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for ka, kb in zip(a, b):
            assert_same(ka, kb)
            assert_same(a[ka], b[kb])
    elif isinstance(a, (float, np.floating)) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


# ---------------------------------------------------------------- round trips


def test_nested_round_trip_of_every_supported_type():
    obj = {
        "tensor": ottorch.randn(2, 3),
        "param": Parameter(ottorch.zeros(4)),
        "numpy": np.arange(6, dtype=np.float64).reshape(2, 3),
        "scalars": [1, -(2**100), 0.1, -0.0, math.nan, math.inf, -math.inf, True, False, None, "naïve ✓", ""],
        "np_scalars": (np.float32(1.5), np.float16(np.nan), np.int64(-7), np.uint64(2**64 - 1), np.bool_(True)),
        "nested": OrderedDict(a=[(), [], {}, ({"deep": [ottorch.tensor([1, 2])]},)], b=OrderedDict()),
    }
    out = roundtrip(obj)
    assert_same(obj, out)
    assert math.copysign(1.0, out["scalars"][3]) == -1.0


def test_dict_key_types_and_order_round_trip():
    obj = {
        "z": 1,
        3: "int",
        -1.5: "float",
        math.inf: "inf",
        False: "bool",
        None: "none",
        (1, "a", (2.5, True)): "tuple",
        np.int64(9): "numpy",
        "a": 2,
    }
    out = roundtrip(obj)
    assert_same(obj, out)
    assert [type(k) for k in out] == [type(k) for k in obj]


def test_optimizer_style_state_dict_with_int_keys():
    state = {
        "state": {0: {"step": ottorch.tensor(3.0), "exp_avg": ottorch.ones(2)}, 1: {"momentum_buffer": None}},
        "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8, "params": [0, 1], "amsgrad": False}],
    }
    assert_same(state, roundtrip(state))


def test_rng_state_round_trips_and_restores_the_stream():
    gen = ottorch.Generator().manual_seed(5)
    state = roundtrip(gen.get_state())
    first = ottorch.rand(3, generator=gen)
    gen.set_state(state)
    np.testing.assert_array_equal(ottorch.rand(3, generator=gen)._data, first._data)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool"])
def test_tensor_dtypes_round_trip(dtype):
    d = ottorch._dtype.by_name(dtype)
    arr = np.array([0, 1, 1, 0, 1, 1], dtype=d.numpy).reshape(2, 3)
    if d.is_floating_point:
        arr = np.array([[-1.5, np.nan, np.inf], [np.finfo(d.numpy).max, np.finfo(d.numpy).tiny, 0]], dtype=d.numpy)
    elif dtype != "bool":
        arr = np.array([np.iinfo(d.numpy).min, np.iinfo(d.numpy).max, 0, 1, 2, 3], dtype=d.numpy).reshape(2, 3)
    t = ottorch.from_numpy(arr)
    out = roundtrip(t)
    assert out.dtype == d and out.shape == (2, 3)
    np.testing.assert_array_equal(out._data, arr)


def test_numpy_arrays_keep_dtype_shape_and_layout():
    arrays = [
        np.arange(12, dtype=np.uint32).reshape(3, 4).T,
        np.asfortranarray(np.ones((2, 3), dtype=np.float32)),
        np.arange(10, dtype=np.int16)[::3],
        np.array(2.5),
        np.zeros((0, 4), dtype=np.uint64),
        np.arange(3, dtype=">f8"),
    ]
    out = roundtrip(arrays)
    assert_same(arrays, out)
    assert out[-1].dtype.str == ">f8"


def test_same_tensor_is_stored_once_and_loads_as_one_object():
    t = ottorch.randn(50)
    data = to_bytes({"a": t, "b": [t, (t,)]})
    assert sum(name.endswith(".npy") for name in members(data)) == 1
    out = load_bytes(data)
    assert out["a"] is out["b"][0] is out["b"][1][0]


def test_tensors_sharing_memory_load_sharing_memory():
    weight = Parameter(ottorch.randn(3, 3))
    sd = OrderedDict(encoder=weight.detach(), decoder=weight.detach(), other=weight.detach().clone())
    out = roundtrip(sd)
    assert out["encoder"] is not out["decoder"]
    out["encoder"]._data[0, 0] = 100.0
    assert out["decoder"]._data[0, 0] == 100.0
    assert out["other"]._data[0, 0] != 100.0


def test_parameter_and_requires_grad_round_trip():
    x = ottorch.ones(2, requires_grad=True)
    obj = {
        "p": Parameter(ottorch.ones(2)),
        "frozen": Parameter(ottorch.ones(2), requires_grad=False),
        "leaf": x,
        "plain": ottorch.ones(2),
        "nonleaf": x * 2,
    }
    (x * 3).sum().backward()
    out = roundtrip(obj)
    assert type(out["p"]) is Parameter and out["p"].requires_grad
    assert type(out["frozen"]) is Parameter and not out["frozen"].requires_grad
    assert type(out["leaf"]) is ottorch.Tensor and out["leaf"].requires_grad and out["leaf"].grad is None
    assert not out["plain"].requires_grad
    # Like torch.save: a non-leaf comes back as a leaf that requires grad.
    assert out["nonleaf"].is_leaf and out["nonleaf"].requires_grad
    np.testing.assert_array_equal(out["nonleaf"]._data, [2.0, 2.0])


def test_loaded_tensors_are_writable_and_trainable():
    out = roundtrip({"w": Parameter(ottorch.ones(3))})
    w = out["w"]
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad._data, [2.0, 2.0, 2.0])
    with ottorch.no_grad():
        w -= w.grad
    np.testing.assert_array_equal(w._data, [-1.0, -1.0, -1.0])


def test_paths_and_file_objects(tmp_path):
    obj = {"w": ottorch.arange(4)}
    save(obj, str(tmp_path / "a.pt"))
    save(obj, tmp_path / "b.pt")
    with open(tmp_path / "c.pt", "wb") as fh:
        save(obj, fh)
    assert_same(obj, load(str(tmp_path / "a.pt")))
    assert_same(obj, load(tmp_path / "b.pt"))
    with open(tmp_path / "c.pt", "rb") as fh:
        assert_same(obj, load(fh))
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "c.pt").read_bytes()


def test_saving_is_deterministic():
    obj = {"w": ottorch.tensor([1.0, 2.0]), "n": 3}
    assert to_bytes(obj) == to_bytes(obj)


def test_non_seekable_file_objects_load():
    class Stream(io.RawIOBase):
        def __init__(self, data):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self.inner.readinto(b)

    obj = [ottorch.ones(2), "x"]
    assert_same(obj, load(io.BufferedReader(Stream(to_bytes(obj)))))


def test_file_format_is_json_plus_npy_members():
    data = to_bytes({"w": ottorch.tensor([1.0, 2.0])})
    files = members(data)
    header = json.loads(files[HEADER_MEMBER])
    assert header["format"] == "ottorch" and header["version"] == 1
    (name,) = header["arrays"]
    assert header["arrays"][name] == {
        "sha256": hashlib.sha256(files[name]).hexdigest(),
        "dtype": "<f4",
        "shape": [2],
    }
    np.testing.assert_array_equal(np.load(io.BytesIO(files[name]), allow_pickle=False), [1.0, 2.0])
    assert header["root"] == {"type": "dict", "items": [["w", {"type": "tensor", "index": 0}]]}
    assert header["tensors"] == [{"array": name, "requires_grad": False, "class": "Tensor"}]


def test_no_pickle_is_used(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle used")

    for name in ("load", "loads", "dump", "dumps", "Pickler", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    obj = {"p": Parameter(ottorch.ones(2)), "a": np.arange(3), "s": np.float32(2.0), "k": (1, None)}
    assert_same(obj, roundtrip(obj))


# ---------------------------------------------------------------- map_location / options


class FakeDevice:
    def __init__(self, type, index=None):
        self.type, self.index = type, index


@pytest.mark.parametrize(
    "map_location",
    [None, "cpu", "cpu:0", FakeDevice("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage, lambda s, loc: None],
)
def test_map_location_to_cpu(map_location):
    obj = {"a": ottorch.ones(2), "b": Parameter(ottorch.zeros(2))}
    out = roundtrip(obj, map_location=map_location, weights_only=False)
    assert_same(obj, out)


def test_map_location_callable_sees_each_array_once():
    t = ottorch.ones(2)
    calls = []

    def fn(storage, location):
        calls.append(location)
        return storage

    out = roundtrip([t, t.detach()], map_location=fn)
    assert calls == ["cpu"]
    assert np.shares_memory(out[0]._data, out[1]._data)


@pytest.mark.parametrize("map_location", ["cuda", "cuda:0", FakeDevice("cuda", 0), {"cpu": "cuda:1"}, 3])
def test_map_location_off_cpu_raises(map_location):
    with pytest.raises(ValueError, match="CPU only"):
        roundtrip({"a": ottorch.ones(2)}, map_location=map_location)


def test_map_location_callable_must_return_a_cpu_tensor():
    with pytest.raises(ValueError, match="map_location returned str"):
        roundtrip({"a": ottorch.ones(2)}, map_location=lambda s, loc: "cuda")


def test_mmap_is_refused():
    with pytest.raises(ValueError, match="mmap"):
        roundtrip([1], mmap=True)
    assert roundtrip([1], mmap=False) == [1]


# ---------------------------------------------------------------- unsupported objects


class Foo:
    pass


@pytest.mark.parametrize(
    ("obj", "where", "type_name"),
    [
        ({"model": {"x": Foo()}}, r"\['model'\]\['x'\]", "Foo"),
        ([1, (2, print)], r"\[1\]\[1\]", "builtin_function_or_method"),
        (Foo(), "the top level", "Foo"),
        ({"s": {1, 2}}, r"\['s'\]", "set"),
        ({"c": 1 + 2j}, r"\['c'\]", "complex"),
        ({"b": b"bytes"}, r"\['b'\]", "bytes"),
    ],
)
def test_unsupported_objects_raise_with_their_path(obj, where, type_name):
    with pytest.raises(TypeError, match=rf"cannot save object of type {type_name} at {where}; .*state_dict"):
        to_bytes(obj)


def test_unsupported_dtypes_keys_and_subclasses_raise():
    with pytest.raises(TypeError, match=r"numpy array of dtype object at \['a'\]"):
        to_bytes({"a": np.array([1, None], dtype=object)})
    with pytest.raises(TypeError, match=r"numpy array of dtype complex128 at \[0\]"):
        to_bytes([np.ones(2, dtype=complex)])
    with pytest.raises(TypeError, match=r"numpy scalar of type str_ at \['s'\]"):
        to_bytes({"s": np.str_("x")})
    with pytest.raises(TypeError, match=r"dict key of type frozenset in the dict at \['d'\]"):
        to_bytes({"d": {frozenset(): 1}})

    class MyTensor(ottorch.Tensor):
        pass

    with pytest.raises(TypeError, match=r"tensor subclass .*MyTensor at \[0\]"):
        to_bytes([MyTensor([1.0])])


def test_self_referencing_container_raises():
    loop = [1]
    loop.append({"again": loop})
    with pytest.raises(ValueError, match=r"contains itself \(at \[1\]\['again'\]\)"):
        to_bytes(loop)


def test_failed_save_leaves_an_existing_file_untouched(tmp_path):
    path = tmp_path / "ckpt.pt"
    save({"w": ottorch.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        save({"w": Foo()}, path)
    assert path.read_bytes() == before


def test_bad_file_arguments():
    with pytest.raises(TypeError, match="path or a binary file"):
        save([1], 42)
    with pytest.raises(TypeError, match="path or a binary file"):
        load(42)


# ---------------------------------------------------------------- bad files


def test_load_error_is_a_runtime_error_naming_the_file(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_text("this is not a checkpoint")
    with pytest.raises(RuntimeError) as info:
        load(path)
    assert isinstance(info.value, LoadError)
    assert str(path) in str(info.value) and "not a zip archive" in str(info.value)


def test_empty_and_not_a_zip_files():
    for data in (b"", b"PK\x03\x04garbage", pickle.dumps({"a": 1})):
        with pytest.raises(LoadError, match="<BytesIO>: not a zip archive"):
            load_bytes(data)


def test_truncated_files_raise(tmp_path):
    data = to_bytes({"w": ottorch.randn(100), "b": np.arange(10)})
    path = tmp_path / "cut.pt"
    for cut in (1, 30, len(data) // 3, len(data) // 2, len(data) - 100, len(data) - 22, len(data) - 1):
        path.write_bytes(data[:cut])
        with pytest.raises(LoadError, match="cut.pt"):
            load(path)


def test_tampered_array_bytes_fail_the_digest():
    data = to_bytes({"w": ottorch.tensor([1.0, 2.0, 3.0])})
    files = members(data)
    name = next(n for n in files if n.endswith(".npy"))
    files[name] = npy_bytes(np.array([1.0, 2.0, 4.0], dtype=np.float32))
    with pytest.raises(LoadError, match=rf"'{name}' does not match its sha256 digest"):
        load_bytes(rezip(files))


def test_bytes_flipped_in_place_are_detected():
    data = bytearray(to_bytes({"w": ottorch.zeros(64)}))
    data[200] ^= 0xFF
    with pytest.raises(LoadError):
        load_bytes(bytes(data))


def central_directory_entry(data: bytes, name: str) -> int:
    """Offset of ``name``'s entry in the zip's central directory."""
    offset = data.index(b"PK\x01\x02")
    while data[offset + 46:offset + 46 + len(name)] != name.encode():
        offset = data.index(b"PK\x01\x02", offset + 4)
    return offset


def test_zip_directory_asking_for_a_newer_zip_version_raises_load_error(tmp_path):
    data = bytearray(to_bytes({"w": ottorch.ones(3)}))
    # "version needed to extract" (6 bytes into the entry) set to 6.5; zipfile raises NotImplementedError
    struct.pack_into("<H", data, central_directory_entry(data, HEADER_MEMBER) + 6, 65)
    path = tmp_path / "newer.ott"
    path.write_bytes(data)
    with pytest.raises(LoadError, match=r"newer\.ott': its zip directory .*zip file version 6\.5"):
        load(path)


def test_member_whose_compression_was_changed_raises_load_error():
    data = bytearray(to_bytes({"w": ottorch.ones(3)}))
    entry = central_directory_entry(data, HEADER_MEMBER)
    start = struct.unpack_from("<I", data, entry + 42)[0] + 30 + len(HEADER_MEMBER)
    # LZMA (method 14) over bytes that start like an LZMA header with invalid properties: lzma.LZMAError
    struct.pack_into("<H", data, entry + 10, 14)
    data[start:start + 9] = b"\x09\x14\x05\x00" + b"\xff" * 5
    with pytest.raises(LoadError, match="member 'ottorch.json' cannot be read"):
        load_bytes(bytes(data))
    for method in (12, 99):  # bzip2 over stored bytes, and a method zipfile does not know
        struct.pack_into("<H", data, entry + 10, method)
        with pytest.raises(LoadError, match="member 'ottorch.json' cannot be read"):
            load_bytes(bytes(data))


def test_every_single_byte_corruption_loads_or_raises_load_error():
    obj = {"w": ottorch.ones(3), "n": 2}
    data = to_bytes(obj)
    for offset in range(len(data)):
        for value in (0x00, 0xFF, 0x0E, 0x41):
            corrupt = bytearray(data)
            corrupt[offset] = value
            try:
                loaded = load_bytes(bytes(corrupt))
            except LoadError:
                continue
            # a byte zipfile does not check (a timestamp, the "made by" version) may change without harm
            assert_same(loaded, obj)


def test_tampered_json_raises():
    data = to_bytes({"w": ottorch.tensor([1.0, 2.0]), "n": [1, 2]})
    files = members(data)
    files[HEADER_MEMBER] = files[HEADER_MEMBER][:-5]
    with pytest.raises(LoadError, match="ottorch.json is not valid JSON"):
        load_bytes(rezip(files))

    def digest(h):
        (entry,) = h["arrays"].values()
        entry["sha256"] = "0" * 64

    def nan_literal(h):
        h["root"]["items"][1][1][0] = math.nan

    edits = {
        "does not match its sha256": digest,
        "unknown node type 'pickle'": lambda h: h["root"]["items"][1][1].append({"type": "pickle", "v": "x"}),
        "refers to unknown tensor 5": lambda h: h["root"]["items"][0][1].update(index=5),
        "unknown array 'data/9.npy'": lambda h: h["tensors"][0].update(array="data/9.npy"),
        "unsupported dtype '|O'": lambda h: next(iter(h["arrays"].values())).update(dtype="|O"),
        "says float32 and \\[3\\]": lambda h: next(iter(h["arrays"].values())).update(shape=[3]),
        "non-standard JSON constant NaN": nan_literal,
        "must have exactly the fields type, index": lambda h: h["root"]["items"][0][1].update(extra=1),
        "invalid dict key": lambda h: h["root"]["items"][1].__setitem__(0, [1]),
    }
    for message, edit in edits.items():
        with pytest.raises(LoadError, match=message):
            load_bytes(with_header(data, edit))


def test_object_dtype_members_are_refused_without_pickle(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle used")

    data = to_bytes([np.zeros(2)])
    files = members(data)
    name = next(n for n in files if n.endswith(".npy"))
    files[name] = npy_bytes(np.array([Foo(), 1], dtype=object), allow_pickle=True)
    header = json.loads(files[HEADER_MEMBER])
    header["arrays"][name]["sha256"] = hashlib.sha256(files[name]).hexdigest()
    files[HEADER_MEMBER] = json.dumps(header).encode()
    for attr in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, attr, refuse)
    with pytest.raises(LoadError, match="holds dtype object"):
        load_bytes(rezip(files))


def test_missing_members_raise():
    data = to_bytes({"w": ottorch.ones(2)})
    files = members(data)
    name = next(n for n in files if n.endswith(".npy"))
    with pytest.raises(LoadError, match=rf"no member '{name}'"):
        load_bytes(rezip({k: v for k, v in files.items() if k != name}))
    with pytest.raises(LoadError, match="no member 'ottorch.json'"):
        load_bytes(rezip({k: v for k, v in files.items() if k != HEADER_MEMBER}))


def test_pytorch_checkpoints_are_recognised():
    with pytest.raises(LoadError, match="PyTorch .* never loads pickle"):
        load_bytes(rezip({"archive/data.pkl": pickle.dumps({}), "archive/version": b"3\n"}))


def test_format_name_and_version_are_checked():
    data = to_bytes([1])
    with pytest.raises(LoadError, match="newer ottorch \\(format version 2\\)"):
        load_bytes(with_header(data, lambda h: h.update(version=2)))
    for bad in (0, "1", True, None):
        with pytest.raises(LoadError, match="invalid format version"):
            load_bytes(with_header(data, lambda h, bad=bad: h.update(version=bad)))
    with pytest.raises(LoadError, match="unknown format 'safetensors'"):
        load_bytes(with_header(data, lambda h: h.update(format="safetensors")))
    with pytest.raises(LoadError, match="has no list 'tensors'"):
        load_bytes(with_header(data, lambda h: h.pop("tensors")))


def test_npy_claiming_more_data_than_it_holds_is_refused_before_allocating():
    data = to_bytes([ottorch.ones(2)])
    files = members(data)
    name = next(n for n in files if n.endswith(".npy"))
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f4", "fortran_order": False, "shape": (10**12,)})
    files[name] = buf.getvalue() + np.ones(2, dtype=np.float32).tobytes()
    # The digest and ottorch.json agree with the member: only its size gives it away.
    header = json.loads(files[HEADER_MEMBER])
    header["arrays"][name].update(sha256=hashlib.sha256(files[name]).hexdigest(), shape=[10**12])
    files[HEADER_MEMBER] = json.dumps(header).encode()
    with pytest.raises(LoadError, match="has 8 data bytes, expected 4000000000000"):
        load_bytes(rezip(files))
