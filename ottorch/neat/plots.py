"""Pictures of a run's history (need matplotlib, the ``viz`` extra; each returns False without it)."""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def _integer_generations(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("generation")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no ticks between generations in short runs


def write_fitness_plot(history: list, path: Path) -> bool:
    """The best and mean fitness of each generation, as a PNG."""
    plt = _pyplot()
    if plt is None:
        return False
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    generations = [h.generation for h in history]
    ax.plot(generations, [h.best_fitness for h in history], label="best")
    ax.plot(generations, [h.mean_fitness for h in history], label="mean")
    _integer_generations(ax)
    ax.set_ylabel("fitness")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def species_table(history: list) -> tuple[list[int], list[int], list[list[int]]]:
    """Generations, species keys (in order of appearance) and the size of each species in each
    generation (0 before it appears and after it dies out)."""
    generations = [h.generation for h in history]
    keys: list[int] = []
    for h in history:
        keys += [key for key, _ in h.species_sizes if key not in keys]
    sizes = [[dict((k, n) for k, n in h.species_sizes).get(key, 0) for h in history] for key in keys]
    return generations, keys, sizes


def write_speciation_plot(history: list, path: Path) -> bool:
    """Species sizes stacked over the generations (neat-python's ``plot_species``), as a PNG."""
    plt = _pyplot()
    if plt is None:
        return False
    generations, keys, sizes = species_table(history)
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    if keys:
        ax.stackplot(generations, *sizes)
    _integer_generations(ax)
    ax.set_ylabel("genomes per species")
    ax.set_title(f"speciation ({len(keys)} species)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True
