"""Tabular data from a CSV file: ``TabularTask.from_csv(path, target=COLUMN)`` and the CLI form
``python -m ottorch.run csv:PATH --target COLUMN``.

The file is read with the standard library (``.csv`` or gzipped ``.csv.gz``, a header line first).
A column is numeric when every value parses as a float, categorical otherwise: categorical features
are one-hot encoded (one 0/1 input per category, in sorted order). Missing values (empty, ``NA``,
``NaN``, ``?``, ...) are refused, naming the column and the lines. The rows are split into training,
validation and test sets by ``split_seed`` (stratified by class for classification); numeric features
(and a regression target) are standardised with the training split's statistics. Genomes are
fine-tuned on the training split (Lamarckian by default), selected on the validation split, and the
champion is reported on the test split, with the batched evaluation of ``SupervisedTask``.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import ottorch
from ottorch._tensor_base import _make
from ottorch.datasets import train_test_split
from ottorch.neat.config import FineTuneConfig, GenomeConfig, NEATConfig, SpeciesConfig
from ottorch.neat.genome import Genome
from ottorch.neat.tasks.supervised import ClassificationTask, SupervisedTask

#: Values read as missing (compared after stripping blanks, case-insensitively).
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
#: A numeric target with at most this many distinct integer values is a class label by default.
MAX_AUTO_CLASSES = 20
#: More classes than this is refused: the target is more likely a quantity (``kind="regression"``).
MAX_CLASSES = 100


class TabularTask(SupervisedTask):
    """Features and a target from a table, split into training / validation / test arrays; build it with
    ``from_csv``, which returns a ``TabularClassificationTask`` or a ``TabularRegressionTask``.

    ``x_*`` are float32 (N, num_inputs) with the columns of ``feature_names``; the targets are class
    indices (N,) int64 or standardised values (N, 1) float32."""

    kind: str = ""

    def __init__(self, x_train, y_train, x_val, y_val, x_test, y_test, *, feature_names: Sequence[str],
                 target: str, name: str = "tabular", split_seed: int = 0,
                 fitness_threshold: float | None = None) -> None:
        super().__init__(x_train, y_train, x_val, y_val, x_test, y_test)
        self.feature_names = tuple(feature_names)
        self.target = target
        self.name = name
        self.split_seed = split_seed
        self.num_inputs = len(self.feature_names)
        self.fitness_threshold = np.inf if fitness_threshold is None else float(fitness_threshold)

    @classmethod
    def from_csv(cls, path: str | os.PathLike, target: str | None = None, kind: str | None = None,
                 split_seed: int = 0, features: Sequence[str] | None = None, test_size: float = 0.2,
                 val_size: float = 0.2, fitness_threshold: float | None = None) -> TabularTask:
        """The task of predicting column ``target`` of the CSV file ``path`` from the other columns (or
        from ``features``). ``kind`` is "classification" or "regression"; None picks classification
        for a non-numeric target or one of at most 20 distinct integers, regression otherwise.
        ``test_size`` and ``val_size`` are fractions of all rows; the rest is the training split.
        ``fitness_threshold`` (validation accuracy or R²; None: run every generation) is "solved".

        Raises ValueError naming the problem: no such file or column, missing values (with their
        lines), a row of the wrong length, a non-numeric regression target, too many classes."""
        path = Path(path)
        if target is None:
            raise ValueError(f"csv:{path}: name the column to predict (--target COLUMN, or target=)")
        if kind not in (None, "classification", "regression"):
            raise ValueError(f"csv:{path}: kind must be 'classification' or 'regression', got {kind!r}")
        if not 0 < test_size < 1 or not 0 < val_size < 1 or test_size + val_size >= 1:
            raise ValueError(f"csv:{path}: test_size and val_size must be fractions summing to less than 1")
        header, rows, lines = _read(path)
        columns = {name: i for i, name in enumerate(header)}
        if target not in columns:
            raise ValueError(f"csv:{path}: no column {target!r}; the columns are {', '.join(header)}")
        if features is None:
            features = [c for c in header if c != target]
        unknown = [c for c in features if c not in columns]
        if unknown:
            raise ValueError(f"csv:{path}: no column {', '.join(map(repr, unknown))}; the columns are "
                             f"{', '.join(header)}")
        if target in features:
            raise ValueError(f"csv:{path}: the target {target!r} cannot also be a feature")
        if not features:
            raise ValueError(f"csv:{path}: no feature columns besides the target {target!r}")
        values = {c: [r[columns[c]] for r in rows] for c in [*features, target]}
        _refuse_missing(path, values, lines)

        target_numbers = _floats(values[target])
        if kind is None:
            integral = target_numbers is not None and np.all(target_numbers == np.round(target_numbers))
            few = len(set(values[target])) <= MAX_AUTO_CLASSES
            kind = "classification" if target_numbers is None or (integral and few) else "regression"
        if kind == "regression" and target_numbers is None:
            bad = next(v for v in values[target] if _float(v) is None)
            raise ValueError(f"csv:{path}: regression needs a numeric target; column {target!r} holds {bad!r}")

        blocks, names, numeric = [], [], []
        for c in features:
            numbers = _floats(values[c])
            if numbers is None:  # categorical: one 0/1 input per category
                categories = sorted(set(values[c]))
                codes = np.array([categories.index(v) for v in values[c]])
                blocks.append(np.eye(len(categories))[codes])
                names += [f"{c}={v}" for v in categories]
                numeric += [False] * len(categories)
            else:
                blocks.append(numbers[:, None])
                names.append(c)
                numeric.append(True)
        x = np.concatenate(blocks, axis=1)
        rng = np.random.default_rng(split_seed)
        name = path.name.removesuffix(".gz").removesuffix(".csv")
        options = dict(feature_names=names, target=target, name=name, split_seed=split_seed,
                       fitness_threshold=fitness_threshold)
        if kind == "classification":
            classes = _sorted_labels(values[target])
            if len(classes) > MAX_CLASSES:
                raise ValueError(f"csv:{path}: target {target!r} has {len(classes)} distinct values, too many "
                                 f"classes (at most {MAX_CLASSES}); for a quantity use kind 'regression'")
            if len(classes) < 2:
                raise ValueError(f"csv:{path}: target {target!r} has a single class, {classes[0]!r}")
            index = {v: i for i, v in enumerate(classes)}
            y = np.array([index[v] for v in values[target]], dtype=np.int64)
            parts = _split(x, y, test_size, val_size, True, rng)
            arrays, _, _ = _scaled(parts, np.array(numeric), scale_target=False)
            return TabularClassificationTask(*arrays, classes=classes, **options)
        parts = _split(x, target_numbers[:, None], test_size, val_size, False, rng)
        arrays, y_mean, y_std = _scaled(parts, np.array(numeric), scale_target=True)
        return TabularRegressionTask(*arrays, y_mean=y_mean, y_std=y_std, **options)

    def default_config(self, mode: str | None = None) -> NEATConfig:
        """Iris's settings sized for this table: 50 genomes, tanh hidden nodes, identity outputs, each
        genome fine-tuned (Lamarckian) for 200 Adam steps of 32 rows at lr 0.05."""
        return NEATConfig(
            pop_size=50, fitness_threshold=None if np.isinf(self.fitness_threshold) else self.fitness_threshold,
            genome=GenomeConfig(num_inputs=self.num_inputs, num_outputs=self.num_outputs, activation_default="tanh",
                                activation_options=("tanh",), output_activation="identity",
                                node_add_prob=0.2, conn_add_prob=0.3),
            species=SpeciesConfig(target_num_species=5),
            fine_tune=FineTuneConfig(mode=mode or "lamarckian", lr=0.05, steps=200, batch_size=32),
        )


class TabularClassificationTask(TabularTask, ClassificationTask):
    """One logit output per class of ``classes`` (sorted labels), cross-entropy; fitness is validation
    accuracy minus a small loss term; the test metric is accuracy and loss."""

    kind = "classification"
    loss_kind = "ce"

    def __init__(self, *arrays, classes: Sequence[str], **options) -> None:
        self.classes = tuple(classes)
        self.num_outputs = len(self.classes)
        super().__init__(*arrays, **options)


class TabularRegressionTask(TabularTask):
    """One identity output predicting the standardised target, mean squared error; fitness is R² on
    the validation split; the test metric is R², RMSE and MAE (in the target's units)."""

    kind = "regression"
    num_outputs = 1

    def __init__(self, *arrays, y_mean: float, y_std: float, **options) -> None:
        self.y_mean, self.y_std = y_mean, y_std
        super().__init__(*arrays, **options)

    def _errors(self, out: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """R², RMSE and MAE (G,) of predictions ``out`` (G, B, 1) against standardised targets (B, 1)."""
        err = (out - y).astype(np.float64)[..., 0]
        total = ((y - y.mean()) ** 2).sum()
        return {"r2": 1.0 - (err**2).sum(axis=1) / total,
                "rmse": np.sqrt((err**2).mean(axis=1)) * self.y_std,
                "mae": np.abs(err).mean(axis=1) * self.y_std}

    def _predict(self, net, x) -> np.ndarray:
        """Outputs (1, B, 1) of the per-genome network ``net``."""
        with ottorch.no_grad():
            return net(x).numpy()[None]

    def fitness(self, net, genome: Genome, rng: np.random.Generator) -> float:
        return float(self._errors(self._predict(net, self.x_val), self.y_val.numpy())["r2"][0])

    def test_metric(self, net, genome: Genome) -> dict[str, float]:
        return {k: float(v[0]) for k, v in self._errors(self._predict(net, self.x_test), self.y_test.numpy()).items()}

    def batch_fitness(self, net, rngs) -> np.ndarray:
        return self._errors(self.batch_predict(net, self.x_val), self.y_val.numpy())["r2"]

    def batch_test_metric(self, net) -> dict[str, np.ndarray]:
        return self._errors(self.batch_predict(net, self.x_test), self.y_test.numpy())


def _read(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, rows and the rows' line numbers of a CSV file (gzipped when it ends in .gz), every row
    checked for length."""
    if not path.is_file():
        raise ValueError(f"csv:{path}: file not found")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", newline="") as f:
            lines = list(csv.reader(io.StringIO(f.read())))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ValueError(f"csv:{path}: cannot read it: {e}") from None
    # skip blank lines (a trailing newline), keeping each row's line number for messages
    numbered = [(i + 1, row) for i, row in enumerate(lines) if row]
    if len(numbered) < 2:
        raise ValueError(f"csv:{path}: needs a header line and at least one row")
    (_, header), body = numbered[0], numbered[1:]
    header = [h.strip() for h in header]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise ValueError(f"csv:{path}: duplicate column names {', '.join(duplicated)}")
    for line, row in body:
        if len(row) != len(header):
            raise ValueError(f"csv:{path}: line {line} has {len(row)} fields, the header has {len(header)}")
    return header, [[v.strip() for v in row] for _, row in body], [line for line, _ in body]


def _refuse_missing(path: Path, values: dict[str, list[str]], lines: list[int]) -> None:
    """ValueError naming every used column with missing values and their lines in the file (the first
    ten per column; the header is line 1)."""
    problems = []
    for column, vals in values.items():
        rows = [i for i, v in enumerate(vals) if v.lower() in MISSING]
        if rows:
            problems.append((column, rows))
    if problems:
        raise ValueError(f"csv:{path}: missing values, " + "; ".join(
            f"column {c!r} on {len(ls)} row{'s' if len(ls) > 1 else ''} (line{'s' if len(ls) > 1 else ''} "
            f"{', '.join(str(lines[i]) for i in ls[:10])}{', ...' if len(ls) > 10 else ''})"
            for c, ls in problems) + "; fill or drop them first")


def _float(v: str) -> float | None:
    try:
        return float(v)
    except ValueError:
        return None


def _floats(vals: list[str]) -> np.ndarray | None:
    """The values as float64 (N,), or None when one of them is not a number (a categorical column)."""
    try:
        return np.array([float(v) for v in vals], dtype=np.float64)
    except ValueError:
        return None


def _sorted_labels(vals: list[str]) -> list[str]:
    """Distinct labels, in numeric order when they are all numbers ("2" before "10")."""
    distinct = set(vals)
    if all(_float(v) is not None for v in distinct):
        return sorted(distinct, key=float)
    return sorted(distinct)


def _split(x: np.ndarray, y: np.ndarray, test_size: float, val_size: float, stratify: bool,
           rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """``(x_train, y_train, x_val, y_val, x_test, y_test)``: test first, then validation from the rest."""
    xt, yt = _make(x, False, None), _make(y, False, None)
    x_rest, x_test, y_rest, y_test = train_test_split(xt, yt, test_size, stratify=stratify, generator=rng)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, val_size / (1 - test_size),
                                                      stratify=stratify, generator=rng)
    return tuple(a.numpy() for a in (x_train, y_train, x_val, y_val, x_test, y_test))


def _scaled(parts: tuple[np.ndarray, ...], numeric: np.ndarray,
            scale_target: bool) -> tuple[tuple[np.ndarray, ...], float, float]:
    """The split arrays as float32 with the numeric feature columns (and, with ``scale_target``, the
    target) standardised by the training split's mean and deviation; one-hot columns stay 0/1. Returns
    the arrays and the target's training mean and deviation (0 and 1 when it is not scaled)."""
    x_train, y_train = parts[0], parts[1]
    mean = np.where(numeric, x_train.mean(axis=0), 0.0)
    std = x_train.std(axis=0)
    # constant columns (and one-hot ones) are left unscaled rather than divided by zero
    std = np.where(numeric & (std > 0), std, 1.0)
    y_mean, y_std = 0.0, 1.0
    if scale_target:
        y_mean, y_std = float(y_train.mean()), float(y_train.std()) or 1.0
    out = []
    for i, a in enumerate(parts):
        if i % 2 == 0:
            out.append(((a - mean) / std).astype(np.float32))
        elif scale_target:
            out.append(((a - y_mean) / y_std).astype(np.float32))
        else:
            out.append(a)
    return tuple(out), y_mean, y_std
