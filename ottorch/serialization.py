"""``ottorch.save`` / ``ottorch.load``: checkpoints as a zip of JSON and ``.npy`` files, never pickle.

A file (format version 1) is a zip archive holding

- ``ottorch.json``: ``{"format": "ottorch", "version": 1, "root": <node>, "tensors": [...], "arrays": {...}}``;
- ``data/<n>.npy``: one array each, written by ``np.save(..., allow_pickle=False)``.

``"arrays"`` maps each ``.npy`` member name to ``{"sha256", "dtype", "shape"}`` (``dtype`` as numpy's
``dtype.str``, e.g. ``"<f4"``). ``"tensors"`` lists every saved tensor once as ``{"array": <member name>,
"requires_grad": bool, "class": "Tensor" | "Parameter"}``. ``"root"`` is the saved object:

- None, bool, int, finite float and str are themselves; a list is a JSON array;
- every other value is a JSON object with a ``"type"``: ``{"type": "float", "value": "nan" | "inf" | "-inf"}``,
  ``{"type": "tuple", "items": [...]}``, ``{"type": "dict" | "ordereddict", "items": [[key, value], ...]}``,
  ``{"type": "tensor", "index": <position in "tensors">}``, ``{"type": "ndarray", "array": <member name>}``,
  ``{"type": "numpy_scalar", "dtype": "float32", "value": <number>}``.

A tensor saved twice is one ``"tensors"`` entry, and tensors sharing one numpy array (``p`` and ``p.detach()``,
tied weights) share one member, so both come back shared, as with ``torch.save``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from ottorch import _dtype
from ottorch._tensor import Tensor
from ottorch._tensor_base import _make

FORMAT_NAME = "ottorch"
FORMAT_VERSION = 1
HEADER_MEMBER = "ottorch.json"

FileLike = str | os.PathLike | IO[bytes]

# numpy dtypes a saved numpy array or scalar may have: the tensor dtypes plus the wider unsigned ints.
_NUMPY_DTYPES = frozenset(d.name for d in _dtype.ALL) | {"uint16", "uint32", "uint64"}
_TENSOR_DTYPES = frozenset(d.name for d in _dtype.ALL)
# Every ``dtype.str`` the loader accepts, in either byte order; nothing else reaches ``np.dtype``.
_DTYPE_STRS = frozenset(np.dtype(n).newbyteorder(o).str for n in _NUMPY_DTYPES for o in "<>")
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
# Fixed member timestamps make saving the same object twice give identical bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# What zipfile raises when reading a damaged archive (a directory entry claiming an unknown zip version or
# compression is NotImplementedError, an encrypted one RuntimeError); LargeZipFile is raised only when writing.
_ZIP_READ_ERRORS: tuple[type[Exception], ...] = (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError,
                                                 zlib.error)
try:
    import lzma
except ImportError:  # Python built without lzma: zipfile then refuses LZMA members with RuntimeError
    pass
else:
    # a member whose compression field was changed to LZMA feeds its bytes to the LZMA decoder
    _ZIP_READ_ERRORS += (lzma.LZMAError,)
# zipfile needs zip64 announced up front for a streamed member that may pass 2 GiB (npy header included).
_ZIP64_THRESHOLD = (1 << 31) - (1 << 17)
# np.save headers are at most 64 KiB (format 1.0); larger ones (2.0) are refused by np.load anyway.
_MAX_NPY_HEADER = 1 << 16
_SUPPORTED = "tensors, numpy arrays and scalars, int, float, bool, str, None and dict/list/tuple containers of these"


class LoadError(RuntimeError):
    """``ottorch.load`` cannot read a file: not a zip, truncated, modified, or from an unknown/newer format."""


def _where(path: tuple) -> str:
    return "".join(f"[{k!r}]" for k in path) if path else "the top level"


def _parameter_class() -> type:
    # Imported late: ottorch/__init__ imports this module before ottorch.nn is complete.
    from ottorch.nn.parameter import Parameter

    return Parameter


def _float(x: float) -> float | dict:
    """A float as JSON: itself when finite (``repr`` round-trips exactly), else a tagged string."""
    if math.isfinite(x):
        return x
    return {"type": "float", "value": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


class _Encoder:
    """Turns the object into JSON nodes, collecting tensors and arrays; raises before anything is written."""

    def __init__(self) -> None:
        self.tensors: list[dict] = []
        self.tensor_index: dict[int, int] = {}
        self.arrays: dict[str, np.ndarray] = {}
        self.array_name: dict[int, str] = {}
        self.open_containers: set[int] = set()
        self.parameter = _parameter_class()

    def value(self, obj: Any, path: tuple) -> Any:
        kind = type(obj)
        if obj is None or kind is bool or kind is int or kind is str:
            return obj
        if kind is float:
            return _float(obj)
        if isinstance(obj, Tensor):
            return {"type": "tensor", "index": self.tensor(obj, path)}
        if kind is np.ndarray or kind is np.memmap:
            return {"type": "ndarray", "array": self.array(obj, path)}
        if isinstance(obj, np.generic):
            return self.numpy_scalar(obj, path)
        if kind is list or kind is tuple or kind is dict or kind is OrderedDict:
            return self.container(obj, path)
        raise TypeError(
            f"cannot save object of type {kind.__qualname__} at {_where(path)}; ottorch.save stores {_SUPPORTED} "
            "(for a Module or an Optimizer, save its state_dict() instead)"
        )

    def tensor(self, t: Tensor, path: tuple) -> int:
        index = self.tensor_index.get(id(t))
        if index is not None:
            return index
        if type(t) is not Tensor and type(t) is not self.parameter:
            raise TypeError(
                f"cannot save tensor subclass {type(t).__qualname__} at {_where(path)}; only Tensor and "
                "Parameter are supported (convert with .detach() or Parameter(...))"
            )
        entry = {
            "array": self.array(t._data, path),
            "requires_grad": t.requires_grad,
            "class": "Parameter" if type(t) is self.parameter else "Tensor",
        }
        index = self.tensor_index[id(t)] = len(self.tensors)
        self.tensors.append(entry)
        return index

    def array(self, arr: np.ndarray, path: tuple) -> str:
        name = self.array_name.get(id(arr))
        if name is not None:
            return name
        if arr.dtype.name not in _NUMPY_DTYPES:
            raise TypeError(
                f"cannot save numpy array of dtype {arr.dtype} at {_where(path)}; supported dtypes are "
                + ", ".join(sorted(_NUMPY_DTYPES))
            )
        name = self.array_name[id(arr)] = f"data/{len(self.arrays)}.npy"
        self.arrays[name] = arr
        return name

    def numpy_scalar(self, x: np.generic, path: tuple) -> dict:
        if x.dtype.name not in _NUMPY_DTYPES:
            raise TypeError(
                f"cannot save numpy scalar of type {type(x).__name__} at {_where(path)}; supported dtypes are "
                + ", ".join(sorted(_NUMPY_DTYPES))
            )
        value = x.item()
        return {"type": "numpy_scalar", "dtype": x.dtype.name, "value": _float(value) if x.dtype.kind == "f" else value}

    def container(self, obj: list | tuple | dict, path: tuple) -> list | dict:
        if id(obj) in self.open_containers:
            raise ValueError(f"cannot save a {type(obj).__name__} that contains itself (at {_where(path)})")
        self.open_containers.add(id(obj))
        try:
            if type(obj) is list:
                return [self.value(v, (*path, i)) for i, v in enumerate(obj)]
            if type(obj) is tuple:
                return {"type": "tuple", "items": [self.value(v, (*path, i)) for i, v in enumerate(obj)]}
            items = [[self.key(k, path), self.value(v, (*path, k))] for k, v in obj.items()]
            return {"type": "dict" if type(obj) is dict else "ordereddict", "items": items}
        finally:
            self.open_containers.discard(id(obj))

    def key(self, k: Any, path: tuple) -> Any:
        kind = type(k)
        if k is None or kind is bool or kind is int or kind is str:
            return k
        if kind is float:
            return _float(k)
        if kind is tuple:
            return {"type": "tuple", "items": [self.key(x, path) for x in k]}
        if isinstance(k, np.generic):
            return self.numpy_scalar(k, path)
        raise TypeError(
            f"cannot save dict key of type {kind.__qualname__} in the dict at {_where(path)}; keys must be str, "
            "int, float, bool, None, numpy scalars or tuples of these"
        )


class _HashingWriter:
    """Forwards writes to a zip member while computing their sha256."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        return self.raw.write(data)


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _write_archive(fh: IO[bytes], root: Any, encoder: _Encoder) -> None:
    arrays = {}
    with zipfile.ZipFile(fh, "w") as zf:
        for name, arr in encoder.arrays.items():
            with zf.open(_zip_info(name), "w", force_zip64=arr.nbytes > _ZIP64_THRESHOLD) as raw:
                writer = _HashingWriter(raw)
                np.save(writer, arr, allow_pickle=False)
            arrays[name] = {"sha256": writer.sha256.hexdigest(), "dtype": arr.dtype.str, "shape": list(arr.shape)}
        header = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "root": root,
            "tensors": encoder.tensors,
            "arrays": arrays,
        }
        zf.writestr(_zip_info(HEADER_MEMBER), json.dumps(header, allow_nan=False, separators=(",", ":")))


def save(obj: Any, f: FileLike) -> None:
    """Save ``obj`` (a state dict, or nested dict/OrderedDict/list/tuple of tensors, numpy arrays and scalars,
    int, float, bool, None and str) to the path or binary file ``f``, as ``torch.save`` does.

    The file is a zip of JSON and ``.npy`` members (see the module docstring); no pickle is involved.
    Dict key types and order, tuples, OrderedDicts, ``Parameter`` and ``requires_grad`` round-trip; a tensor
    reached twice is stored once and loads as one object. Gradients are not saved. Anything else
    raises TypeError naming its type and path before ``f`` is touched.
    """
    encoder = _Encoder()
    root = encoder.value(obj, ())
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            _write_archive(fh, root, encoder)
    elif hasattr(f, "write"):
        _write_archive(f, root, encoder)
    else:
        raise TypeError(f"save: f must be a path or a binary file object, got {type(f).__name__}")


def _is_cpu(device: Any) -> bool:
    if isinstance(device, str):
        return device in ("cpu", "cpu:0")
    # torch.device-like objects (``.type`` / ``.index``)
    return getattr(device, "type", None) == "cpu" and getattr(device, "index", None) in (None, 0)


def _check_map_location(map_location: Any) -> Callable | None:
    """None, or the callable to apply to each stored tensor; ValueError for anything not mapping to cpu."""
    if map_location is None or (not isinstance(map_location, dict) and _is_cpu(map_location)):
        return None
    if isinstance(map_location, dict):
        bad = [v for v in map_location.values() if not _is_cpu(v)]
        if not bad:
            return None
        raise ValueError(f"map_location maps to {bad[0]!r}; ottorch is CPU only, so every target must be 'cpu'")
    if callable(map_location):
        return map_location
    raise ValueError(f"map_location={map_location!r} is not supported; ottorch is CPU only, use None or 'cpu'")


def _describe(f: Any) -> str:
    if isinstance(f, (str, os.PathLike)):
        return repr(os.fsdecode(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, str) else f"<{type(f).__name__}>"


def _reject_constant(name: str) -> None:
    raise ValueError(f"non-standard JSON constant {name}")


class _Reader:
    """Reads and validates one archive; every problem with the file becomes a LoadError naming it."""

    def __init__(self, zf: zipfile.ZipFile, source: str, remap: Callable | None) -> None:
        self.zf, self.source, self.remap = zf, source, remap
        self.arrays: dict[str, np.ndarray] = {}
        self.tensors: list[Tensor] = []
        self.remapped: set[str] = set()

    def fail(self, problem: str) -> LoadError:
        return LoadError(f"cannot load {self.source}: {problem}")

    def member(self, name: str, max_size: int | None = None) -> bytes:
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise self.fail(f"the archive has no member {name!r} (the file is incomplete or was modified)") from None
        if max_size is not None and info.file_size > max_size:
            raise self.fail(f"member {name!r} is {info.file_size} bytes, more than its array needs ({max_size})")
        try:
            return self.zf.read(info)
        except _ZIP_READ_ERRORS as e:
            raise self.fail(f"member {name!r} cannot be read ({e})") from e

    def read(self) -> Any:
        names = self.zf.namelist()
        if HEADER_MEMBER not in names and any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            raise self.fail("this is a PyTorch (pickle) checkpoint, not an ottorch file; ottorch never loads pickle")
        header = self.header()
        for name, entry in header["arrays"].items():
            self.arrays[name] = self.array(name, entry)
        for i, entry in enumerate(header["tensors"]):
            self.tensors.append(self.tensor(entry, f"tensors[{i}]"))
        return self.node(header["root"], ())

    def header(self) -> dict:
        raw = self.member(HEADER_MEMBER)
        try:
            header = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as e:
            raise self.fail(f"{HEADER_MEMBER} is not valid JSON ({e})") from e
        if not isinstance(header, dict):
            raise self.fail(f"{HEADER_MEMBER} is not a JSON object")
        if header.get("format") != FORMAT_NAME:
            raise self.fail(f"unknown format {header.get('format')!r} in {HEADER_MEMBER} (expected {FORMAT_NAME!r})")
        version = header.get("version")
        if type(version) is not int or version < 1:
            raise self.fail(f"invalid format version {version!r} in {HEADER_MEMBER}")
        if version > FORMAT_VERSION:
            raise self.fail(
                f"it was written by a newer ottorch (format version {version}); this ottorch reads format "
                f"version {FORMAT_VERSION}, upgrade ottorch to load it"
            )
        for field, kind in (("tensors", list), ("arrays", dict)):
            if not isinstance(header.get(field), kind):
                raise self.fail(f"{HEADER_MEMBER} has no {kind.__name__} {field!r}")
        if "root" not in header:
            raise self.fail(f"{HEADER_MEMBER} has no 'root'")
        return header

    def array(self, name: str, entry: Any) -> np.ndarray:
        what = f"array member {name!r}"
        if not isinstance(entry, dict) or set(entry) != {"sha256", "dtype", "shape"}:
            raise self.fail(f"the entry for {what} in {HEADER_MEMBER} must have exactly sha256, dtype and shape")
        digest, dtype_str, shape = entry["sha256"], entry["dtype"], entry["shape"]
        if not isinstance(digest, str):
            raise self.fail(f"the sha256 of {what} is not a string")
        if dtype_str not in _DTYPE_STRS:
            raise self.fail(f"{what} has unsupported dtype {dtype_str!r}")
        if not isinstance(shape, list) or any(type(s) is not int or s < 0 for s in shape):
            raise self.fail(f"{what} has invalid shape {shape!r}")
        dtype = np.dtype(dtype_str)
        nbytes = math.prod(shape) * dtype.itemsize
        data = self.member(name, max_size=nbytes + _MAX_NPY_HEADER)
        if hashlib.sha256(data).hexdigest() != digest:
            raise self.fail(f"{what} does not match its sha256 digest (the file is corrupt or was modified)")
        buf = io.BytesIO(data)
        try:
            version = np.lib.format.read_magic(buf)
            if version == (1, 0):
                header_shape, _, header_dtype = np.lib.format.read_array_header_1_0(buf)
            elif version == (2, 0):
                header_shape, _, header_dtype = np.lib.format.read_array_header_2_0(buf)
            else:
                raise ValueError(f"unsupported .npy version {version}")
        except ValueError as e:
            raise self.fail(f"{what} is not a valid .npy file ({e})") from e
        if header_dtype != dtype or header_shape != tuple(shape):
            raise self.fail(
                f"{what} holds dtype {header_dtype} and shape {list(header_shape)}, but {HEADER_MEMBER} "
                f"says {dtype} and {shape}"
            )
        if len(data) - buf.tell() != nbytes:
            raise self.fail(f"{what} has {len(data) - buf.tell()} data bytes, expected {nbytes}")
        buf.seek(0)
        try:
            return np.load(buf, allow_pickle=False)
        except ValueError as e:
            raise self.fail(f"{what} cannot be read ({e})") from e

    def tensor(self, entry: Any, where: str) -> Tensor:
        if not isinstance(entry, dict) or set(entry) != {"array", "requires_grad", "class"}:
            raise self.fail(f"{where} in {HEADER_MEMBER} must have exactly array, requires_grad and class")
        name, requires_grad, cls = entry["array"], entry["requires_grad"], entry["class"]
        if not isinstance(name, str) or name not in self.arrays:
            raise self.fail(f"{where} refers to unknown array {name!r}")
        if type(requires_grad) is not bool or cls not in ("Tensor", "Parameter"):
            raise self.fail(f"{where} has invalid requires_grad {requires_grad!r} or class {cls!r}")
        arr = self.arrays[name]
        if arr.dtype.name not in _TENSOR_DTYPES or not arr.dtype.isnative:
            raise self.fail(f"{where} uses array {name!r} of dtype {arr.dtype.str}, which is not a tensor dtype")
        if requires_grad and arr.dtype.kind != "f":
            raise self.fail(f"{where} requires grad but has non-floating dtype {arr.dtype}")
        arr = self.mapped(name, arr)
        if cls == "Parameter":
            return _parameter_class()(_make(arr, False, None), requires_grad)
        return _make(arr, requires_grad, None)

    def mapped(self, name: str, arr: np.ndarray) -> np.ndarray:
        """``arr`` after the map_location callable (once per array, so shared arrays stay shared)."""
        if self.remap is None or name in self.remapped:
            return arr
        result = self.remap(_make(arr, False, None), "cpu")
        if result is None:
            result = _make(arr, False, None)
        if not isinstance(result, Tensor) or result._data.shape != arr.shape or result._data.dtype != arr.dtype:
            raise ValueError(
                f"map_location returned {type(result).__name__} for a tensor of shape {list(arr.shape)}; it must "
                "return a CPU tensor of the same shape and dtype (or None), since ottorch is CPU only"
            )
        self.arrays[name] = result._data
        self.remapped.add(name)
        return result._data

    def fields(self, node: dict, names: tuple, path: tuple) -> tuple:
        if set(node) != {"type", *names}:
            raise self.fail(
                f"{node['type']!r} node at {_where(path)} in {HEADER_MEMBER} must have exactly the fields "
                + ", ".join(("type", *names))
            )
        return tuple(node[n] for n in names)

    def items(self, node: dict, path: tuple) -> list:
        (items,) = self.fields(node, ("items",), path)
        if not isinstance(items, list):
            raise self.fail(f"the items of the {node['type']!r} node at {_where(path)} are not a list")
        return items

    def node(self, node: Any, path: tuple) -> Any:
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self.node(v, (*path, i)) for i, v in enumerate(node)]
        kind = node.get("type")
        if kind == "tuple":
            return tuple(self.node(v, (*path, i)) for i, v in enumerate(self.items(node, path)))
        if kind in ("dict", "ordereddict"):
            out = {} if kind == "dict" else OrderedDict()
            for pair in self.items(node, path):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise self.fail(f"dict item at {_where(path)} is not a [key, value] pair")
                key = self.key(pair[0], path)
                out[key] = self.node(pair[1], (*path, key))
            return out
        if kind == "tensor":
            (index,) = self.fields(node, ("index",), path)
            if type(index) is not int or not 0 <= index < len(self.tensors):
                raise self.fail(f"tensor node at {_where(path)} refers to unknown tensor {index!r}")
            return self.tensors[index]
        if kind == "ndarray":
            (name,) = self.fields(node, ("array",), path)
            if not isinstance(name, str) or name not in self.arrays:
                raise self.fail(f"ndarray node at {_where(path)} refers to unknown array {name!r}")
            return self.arrays[name]
        return self.scalar(node, path)

    def key(self, node: Any, path: tuple) -> Any:
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is dict and node.get("type") == "tuple":
            return tuple(self.key(v, path) for v in self.items(node, path))
        if type(node) is dict and node.get("type") in ("float", "numpy_scalar"):
            return self.scalar(node, path)
        raise self.fail(f"invalid dict key {node!r} in the dict at {_where(path)}")

    def scalar(self, node: dict, path: tuple) -> Any:
        kind = node.get("type")
        if kind == "float":
            (value,) = self.fields(node, ("value",), path)
            if value not in _NONFINITE:
                raise self.fail(f"float node at {_where(path)} has invalid value {value!r}")
            return _NONFINITE[value]
        if kind != "numpy_scalar":
            raise self.fail(f"unknown node type {kind!r} at {_where(path)} in {HEADER_MEMBER}")
        name, value = self.fields(node, ("dtype", "value"), path)
        if name not in _NUMPY_DTYPES:
            raise self.fail(f"numpy scalar at {_where(path)} has unsupported dtype {name!r}")
        dtype = np.dtype(name)
        if dtype.kind == "f" and type(value) is dict:
            value = self.scalar(value, path)
        if dtype.kind == "b":
            valid = type(value) is bool
        elif dtype.kind == "f":
            valid = type(value) is float
        else:
            valid = type(value) is int and np.iinfo(dtype).min <= value <= np.iinfo(dtype).max
        if not valid:
            raise self.fail(f"numpy scalar at {_where(path)} has invalid value {value!r} for dtype {name}")
        return dtype.type(value)


def load(
    f: FileLike, map_location: Any = None, weights_only: bool = True, mmap: bool | None = None
) -> Any:
    """Load an object saved by ``ottorch.save`` from the path or binary file ``f``.

    Never runs code from the file: JSON and ``np.load(..., allow_pickle=False)`` only, so ``weights_only``
    is accepted for PyTorch compatibility and is always in effect. ``map_location`` may be None, ``"cpu"``,
    a cpu device, a dict whose targets are all cpu, or a callable ``fn(tensor, "cpu")`` returning a CPU
    tensor (or None to keep it); anything else raises ValueError since ottorch is CPU only. ``mmap=True``
    is not supported. A truncated, corrupt or modified file, or one from an unknown or newer format,
    raises ``LoadError`` (a RuntimeError) naming the file and the problem.
    """
    remap = _check_map_location(map_location)
    if mmap:
        raise ValueError("load: mmap=True is not supported; ottorch reads the arrays into memory")
    source = _describe(f)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return _load_from(fh, source, remap)
    if not hasattr(f, "read"):
        raise TypeError(f"load: f must be a path or a binary file object, got {type(f).__name__}")
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    return _load_from(f, source, remap)


def _load_from(fh: IO[bytes], source: str, remap: Callable | None) -> Any:
    try:
        zf = zipfile.ZipFile(fh)
    except NotImplementedError as e:
        # ottorch writes plain zip 2.0 (4.5 with zip64), so a directory entry needing more is damaged
        raise LoadError(f"cannot load {source}: its zip directory asks for a zip feature ottorch does not "
                        f"write ({e}); the file is corrupt or was not written by ottorch.save") from e
    except _ZIP_READ_ERRORS as e:
        raise LoadError(f"cannot load {source}: not a zip archive, or truncated or corrupt ({e})") from e
    with zf:
        reader = _Reader(zf, source, remap)
        try:
            return reader.read()
        except RecursionError:
            raise reader.fail(f"the structure in {HEADER_MEMBER} is nested too deeply") from None
