"""``TabularTask.from_csv``: reading, one-hot encoding, refused input, splits, scaling, fitness and a
short fine-tuned run on the Iris and California Housing files of ``data/``."""

import csv
import gzip
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ottorch.neat import Population, SerialEvaluator, compile_genome
from ottorch.neat.batch_eval import evaluate_table
from ottorch.neat.batched import compile_table
from ottorch.neat.tasks import TabularClassificationTask, TabularRegressionTask, TabularTask, make_task

DATA = Path(__file__).resolve().parents[3] / "data"


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with (gzip.open(path, "wt", newline="") if path.suffix == ".gz" else path.open("w", newline="")) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def mixed(tmp_path):
    """120 rows: a numeric and a categorical feature, a string label (a: 60, b: 40, c: 20) and a quantity."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(120):
        label = "a" if i < 60 else "b" if i < 100 else "c"
        rows.append([f"{rng.normal(10, 3):.3f}", ["red", "green", "blue"][i % 3], label, f"{i * 0.5:.1f}"])
    return write_csv(tmp_path / "mixed.csv", ["size", "colour", "label", "amount"], rows)


def test_classification_one_hot_stratified_and_scaled_on_the_training_split(mixed):
    task = TabularTask.from_csv(mixed, target="label", features=["size", "colour"], test_size=0.25, val_size=0.25)
    assert isinstance(task, TabularClassificationTask) and task.kind == "classification"
    assert task.feature_names == ("size", "colour=blue", "colour=green", "colour=red")
    assert (task.num_inputs, task.num_outputs, task.classes) == (4, 3, ("a", "b", "c"))
    assert (len(task.x_train), len(task.x_val), len(task.x_test)) == (60, 30, 30)
    for y in (task.y_train, task.y_val, task.y_test):  # 3:2:1 in every split
        assert np.bincount(y.numpy(), minlength=3).tolist() == [len(y) // 2, len(y) // 3, len(y) // 6]
    x = task.x_train.numpy()
    np.testing.assert_allclose([x[:, 0].mean(), x[:, 0].std()], [0, 1], atol=1e-5)
    assert set(np.unique(x[:, 1:])) == {0.0, 1.0} and np.all(x[:, 1:].sum(axis=1) == 1)  # one-hot kept 0/1
    assert abs(task.x_val.numpy()[:, 0].mean()) > 1e-3  # validation scaled with the training statistics
    assert task.supports_batches() and task.split_seed == 0 and task.name == "mixed"


def test_kind_regression_and_the_automatic_kind(mixed, tmp_path):
    task = make_task(f"csv:{mixed}", target="amount", split_seed=4)
    assert isinstance(task, TabularRegressionTask) and task.num_outputs == 1 and task.split_seed == 4
    assert task.y_train.shape == (len(task.x_train), 1)
    np.testing.assert_allclose([task.y_train.numpy().mean(), task.y_train.numpy().std()], [0, 1], atol=1e-5)
    assert task.feature_names == ("size", "colour=blue", "colour=green", "colour=red", "label=a", "label=b",
                                  "label=c")
    small = write_csv(tmp_path / "ints.csv.gz", ["x", "grade"], [[i, i % 3 + 1] for i in range(30)])
    assert make_task(f"csv:{small}", target="grade").classes == ("1", "2", "3")  # gzipped, integer labels
    assert make_task(f"csv:{small}", target="grade", kind="regression").kind == "regression"


def test_split_seed_selects_the_split(mixed):
    a, b, c = (TabularTask.from_csv(mixed, target="label", split_seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.x_test.numpy(), b.x_test.numpy())
    assert not np.array_equal(a.x_test.numpy(), c.x_test.numpy())


def test_missing_values_are_refused_naming_the_column_and_lines(tmp_path):
    rows = [[1, "x", 0, 1.5], [2, "", 1, 2.5], [3, "y", "NA", 3.5], [4, "?", 0, 4.5], [5, "y", 1, 5.5]]
    path = write_csv(tmp_path / "holes.csv", ["a", "b", "t", "c"], rows)
    with pytest.raises(ValueError, match=r"missing values, column 'b' on 2 rows \(lines 3, 5\); "
                                         r"column 't' on 1 row \(line 4\); fill or drop them first"):
        TabularTask.from_csv(path, target="t", features=["a", "b"])
    # columns that are not used may have holes
    assert TabularTask.from_csv(path, target="c", features=["a"], kind="regression").num_inputs == 1


@pytest.mark.parametrize("options, message", [
    (dict(target="price"), r"no column 'price'; the columns are size, colour, label, amount"),
    (dict(target="label", features=["size", "weight"]), r"no column 'weight'"),
    (dict(target="label", features=["label"]), r"cannot also be a feature"),
    (dict(target="colour", kind="regression"), r"regression needs a numeric target; column 'colour' holds 'red'"),
    (dict(target="label", kind="ordinal"), r"kind must be 'classification' or 'regression'"),
    (dict(target=None), r"name the column to predict"),
])
def test_bad_input_is_a_clear_value_error(mixed, options, message):
    with pytest.raises(ValueError, match=message):
        TabularTask.from_csv(mixed, **options)


def test_malformed_files(tmp_path):
    with pytest.raises(ValueError, match=r"nope.csv: file not found"):
        TabularTask.from_csv(tmp_path / "nope.csv", target="t")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,t\n1,0\n2\n")
    with pytest.raises(ValueError, match=r"line 3 has 1 fields, the header has 2"):
        TabularTask.from_csv(ragged, target="t")
    many = write_csv(tmp_path / "many.csv", ["a", "t"], [[i, f"c{i}"] for i in range(150)])
    with pytest.raises(ValueError, match=r"'t' has 150 distinct values, too many classes"):
        TabularTask.from_csv(many, target="t")
    single = write_csv(tmp_path / "single.csv", ["a", "t"], [[i, "only"] for i in range(10)])
    with pytest.raises(ValueError, match=r"a single class, 'only'"):
        TabularTask.from_csv(single, target="t")


@pytest.mark.parametrize("target", ["label", "amount"])
def test_batched_fitness_and_metrics_match_the_per_genome_reference(mixed, target):
    task = TabularTask.from_csv(mixed, target=target)
    cfg = task.default_config()
    assert cfg.fine_tune.mode == "lamarckian" and cfg.fitness_threshold is None
    table, seeds = Population(cfg.replace(pop_size=8), seed=1).ask_table()
    fine_tune = replace(cfg.fine_tune, steps=10)
    batched = evaluate_table(table, seeds, task, fine_tune)
    reference = evaluate_table(table, seeds, task, replace(fine_tune, batched=False))
    np.testing.assert_allclose(batched.fitness, reference.fitness, rtol=1e-4, atol=1e-4)
    genomes = Population(cfg.replace(pop_size=8), seed=1).ask()[0]
    (net,), _, _ = compile_table(table)
    stacked = task.batch_test_metric(net)
    single = [task.test_metric(compile_genome(genomes[i]), genomes[i]) for i in net.genomes]
    for key in single[0]:
        np.testing.assert_allclose(stacked[key], [m[key] for m in single], rtol=1e-4, atol=1e-5)


def test_iris_csv_fine_tuned_reaches_high_test_accuracy():
    task = make_task(f"csv:{DATA / 'iris.csv'}", target="species", fitness_threshold=0.99)
    cfg = task.default_config()
    assert cfg.fitness_threshold == 0.99
    with SerialEvaluator(task, cfg.fine_tune) as evaluator:
        champion = Population(cfg, seed=0).run(evaluator, 5)
    assert task.test_metric(compile_genome(champion), champion)["accuracy"] >= 0.85


def test_california_housing_regression_r2():
    task = TabularTask.from_csv(DATA / "california_housing.csv.gz", target="MedHouseVal")
    assert (task.num_inputs, len(task.x_train), len(task.x_val), len(task.x_test)) == (8, 12384, 4128, 4128)
    cfg = task.default_config()
    with SerialEvaluator(task, cfg.fine_tune) as evaluator:
        champion = Population(cfg.replace(pop_size=20), seed=0).run(evaluator, 3)
    metric = task.test_metric(compile_genome(champion), champion)
    assert metric["r2"] > 0.55 and metric["rmse"] < 0.8  # rmse in units of $100,000
