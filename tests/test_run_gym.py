"""``python -m ottorch.run gym:ENV_ID``: a tiny run with --episodes and --render, resuming, and the errors."""

import json

import pytest

pytest.importorskip("gymnasium")

from ottorch.neat.export import load_champion  # noqa: E402
from ottorch.neat.tasks.gym import GymTask  # noqa: E402
from ottorch.run import main  # noqa: E402


def test_a_cartpole_run_renders_the_champion(tmp_path, capsys):
    out = tmp_path / "cp"
    code = main(["gym:CartPole-v1", "--episodes", "2", "--generations", "2", "--pop-size", "8", "--backend", "serial",
                 "--render", "--quiet", "--out", str(out)])
    assert code == 0
    result = json.loads((out / "result.json").read_text())
    assert result["task"] == "gym:CartPole-v1"
    assert set(result["test_metric"]) == {"mean_return", "std_return"}
    assert json.loads((out / "run.json").read_text())["task_options"] == {"episodes": 2}
    assert (out / "champion.ott").exists()
    assert (out / "champion.gif").read_bytes()[:6] == b"GIF89a"
    assert capsys.readouterr().out.startswith("gym:CartPole-v1: ")


def test_the_champion_file_keeps_the_observation_statistics(tmp_path):
    out = tmp_path / "pendulum"
    assert main(["gym:Pendulum-v1", "--episodes", "1", "--generations", "1", "--pop-size", "4", "--backend",
                 "serial", "--quiet", "--out", str(out)]) == 0
    champion = load_champion(out / "champion.ott")
    assert champion.task == "gym:Pendulum-v1"
    assert champion.metadata == GymTask("Pendulum-v1").champion_metadata()
    assert len(champion.metadata["observation_stats"]["mean"]) == 3


def test_resume_keeps_the_episodes(tmp_path):
    common = ["gym:Acrobot-v1", "--episodes", "1", "--pop-size", "6", "--backend", "serial", "--seed", "2", "--quiet"]
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    assert main([*common, "--generations", "3", "--out", str(full)]) == 0
    assert main([*common, "--generations", "1", "--out", str(resumed)]) == 0
    assert main(["--resume", str(resumed), "--episodes", "2"]) == 2
    assert main(["--resume", str(resumed), "--generations", "3", "--quiet"]) == 0
    history = [(resumed / "history.csv").read_text(), (full / "history.csv").read_text()]
    # the resumed generations ran 1 episode per evaluation too: the same fitness columns
    strip = [[line.split(",")[:3] for line in h.splitlines()] for h in history]
    assert strip[0] == strip[1]


@pytest.mark.parametrize("args, message", [
    (["gym:NoSuchEnv-v0"], "unknown Gymnasium environment 'NoSuchEnv-v0'"),
    (["gym:FrozenLake-v1"], "observation space Discrete"),
    (["gym:CartPole-v1", "--target", "y"], "does not take target"),
])
def test_bad_environments_exit_2_with_the_reason(args, message, tmp_path, capsys):
    assert main([*args, "--backend", "serial", "--out", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err


def test_list_mentions_the_gym_form(capsys):
    assert main(["--list"]) == 0
    assert "gym:ENV_ID" in capsys.readouterr().out
