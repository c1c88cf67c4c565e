"""ottorch.datasets: real-data loaders (offline, checksum-verified), generators, splits, scaling."""

import gzip
import shutil

import numpy as np
import pytest

import ottorch
from ottorch import datasets as D
from ottorch.datasets import _files


def test_iris():
    data = D.load_iris()
    x, y = data
    assert x.shape == (150, 4) and x.dtype == ottorch.float32 and y.dtype == ottorch.int64
    assert np.bincount(y.numpy()).tolist() == [50, 50, 50]
    assert data.target_names == ("setosa", "versicolor", "virginica") and len(data.feature_names) == 4
    assert len(data) == 150


def test_california_housing():
    data = D.load_california_housing()
    assert data.x.shape == (20640, 8) and data.y.shape == (20640,)
    assert data.feature_names[0] == "MedInc" and data.target_names == ("MedHouseVal",)
    assert data.y[0].item() == pytest.approx(4.526)


def test_mnist_test_split():
    data = D.load_mnist(train=False)
    assert data.x.shape == (10000, 1, 28, 28) and data.x.dtype == ottorch.float32
    assert 0.0 <= data.x.min().item() and data.x.max().item() <= 1.0
    assert np.bincount(data.y.numpy()).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_fashion_mnist_when_installed():
    if not (D.images.FASHION_SYSTEM_DIR / "t10k-labels-idx1-ubyte.gz").exists():
        with pytest.raises(D.DataFileError, match="dataset-fashion-mnist"):
            D.load_fashion_mnist(train=False)
        return
    data = D.load_fashion_mnist(train=False)
    assert data.x.shape == (10000, 1, 28, 28) and data.target_names[0] == "T-shirt/top"


def test_lookup_order_env_and_root(tmp_path, monkeypatch):
    shutil.copy(_files.REPO_DATA / "iris.csv", tmp_path / "iris.csv")
    monkeypatch.setenv("OTTORCH_DATA", str(tmp_path))
    assert D.load_iris().x.shape == (150, 4)
    assert _files.find("iris.csv") == tmp_path / "iris.csv"
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(_files.REPO_DATA / "iris.csv", other / "iris.csv")
    assert _files.find("iris.csv", root=other) == other / "iris.csv"


def test_missing_file_names_the_places_and_the_source(tmp_path, monkeypatch):
    monkeypatch.setattr(_files, "REPO_DATA", tmp_path / "nothing")
    monkeypatch.delenv("OTTORCH_DATA", raising=False)
    with pytest.raises(D.DataFileError, match=r"(?s)'mnist/t10k-images.idx3-ubyte.gz' not found.*looked in.*lecun"):
        D.load_mnist(train=False, root=tmp_path)


def test_corrupt_file_fails_the_checksum(tmp_path):
    (tmp_path / "iris.csv").write_text("sepal_length,species\n1.0,setosa\n")
    with pytest.raises(D.DataFileError, match="does not match the checksum"):
        D.load_iris(root=tmp_path)


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / "x.gz"
    with gzip.open(bad, "wb") as f:
        f.write(b"\x00\x00\x08\x03" + (2).to_bytes(4, "big") + (2).to_bytes(4, "big") + (2).to_bytes(4, "big") + b"\x00")
    with pytest.raises(D.DataFileError, match="truncated"):
        D.read_idx(bad)
    with gzip.open(bad, "wb") as f:
        f.write(b"PK\x03\x04xxxx")
    with pytest.raises(D.DataFileError, match="bad magic"):
        D.read_idx(bad)


def test_generators_are_seeded():
    assert D.make_xor().y.tolist() == [0, 1, 1, 0]
    a = D.make_sine(64, noise=0.1, generator=np.random.default_rng(1))
    b = D.make_sine(64, noise=0.1, generator=np.random.default_rng(1))
    assert a.x.equal(b.x) and a.y.equal(b.y) and a.x.shape == (64, 1)
    clean = D.make_sine(16, low=0.0, high=1.0)
    np.testing.assert_allclose(clean.y.numpy(), np.sin(clean.x.numpy()), rtol=1e-6)
    assert 0.0 <= clean.x.min().item() and clean.x.max().item() <= 1.0
    x, y = D.make_parity(100, 7, generator=ottorch.Generator().manual_seed(0))
    assert x.shape == (100, 7, 1) and y.tolist() == (x.numpy()[..., 0].sum(1) % 2).astype(int).tolist()
    seqs, labels = D.make_parity_varlen(50, 4, 12, generator=np.random.default_rng(0))
    assert len(seqs) == 50 and {s.shape[0] for s in seqs} <= set(range(4, 13)) and labels.dtype == np.int64
    assert all(int(s.sum()) % 2 == label for s, label in zip(seqs, labels))
    with pytest.raises(ValueError, match="min_length"):
        D.make_parity_varlen(5, 6, 3)
    with pytest.raises(ValueError, match="length"):
        D.make_parity(5, 0)


def test_stratified_split_keeps_class_proportions_and_is_seeded():
    x, y = D.load_iris()
    parts = D.train_test_split(x, y, 0.2, stratify=True, generator=np.random.default_rng(3))
    again = D.train_test_split(x, y, 0.2, stratify=True, generator=np.random.default_rng(3))
    x_tr, x_te, y_tr, y_te = parts
    assert x_tr.shape == (120, 4) and x_te.shape == (30, 4)
    assert np.bincount(y_te.numpy()).tolist() == [10, 10, 10]
    assert all(a.equal(b) for a, b in zip(parts, again))
    rows = {tuple(r) for r in np.concatenate([x_tr.numpy(), x_te.numpy()])}
    assert len(rows) == len({tuple(r) for r in x.numpy()})
    assert D.train_test_split(x, y, 15)[1].shape == (15, 4)
    with pytest.raises(ValueError, match="empty"):
        D.train_test_split(x, y, 0.0)
    with pytest.raises(TypeError, match="integer class targets"):
        D.train_test_split(x, x[:, 0], stratify=True)


def test_standard_scaler_fits_on_train_only():
    train = ottorch.tensor([[1.0, 5.0], [3.0, 5.0]])
    test = ottorch.tensor([[2.0, 6.0]])
    scaler = D.StandardScaler().fit(train)
    np.testing.assert_allclose(scaler.transform(train).numpy(), [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(scaler.transform(test).numpy(), [[0.0, 1.0]])
    np.testing.assert_allclose(scaler.inverse_transform(scaler.fit_transform(train)).numpy(), train.numpy())
    with pytest.raises(RuntimeError, match="before fit"):
        D.StandardScaler().transform(train)
    with pytest.raises(ValueError, match="2 features"):
        scaler.transform(ottorch.ones(1, 3))
