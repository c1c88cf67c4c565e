"""CfC cases written once against ``torch`` and a module holding ``CfC`` / ``CfCCell``.

``run(torch, ncps.torch)`` is executed by ``scripts/record_ncps_parity.py`` (which writes
``ncps_cfc.json``), and ``run(ottorch, ottorch.nn)`` by ``test_ncps_parity.py``. Weights, inputs and
the output cotangents come from one seeded numpy generator, so both sides compute the same thing;
each case reports its outputs and the gradients of every parameter and input.

``ncps.torch.CfC`` broadcasts a per-sample ``timespans`` along the units (see
``ottorch/nn/modules/cfc.py``), so per-sample elapsed times are recorded by stepping its
``CfCCell``, which broadcasts an ``(N, 1)`` time as intended; ``CfC`` with ``timespans`` is
recorded with one sequence, where both agree.
"""

from __future__ import annotations

import numpy as np

N, L, H_IN, UNITS = 4, 6, 3, 5


def _set_weights(torch, model, rng: np.random.Generator) -> None:
    state = model.state_dict()
    for name in sorted(state):
        if name.endswith("sparsity_mask"):
            continue
        shape = tuple(state[name].shape)
        # Glorot-like scales keep the gates out of saturation, where float32 rounding would dominate.
        scale = 1.0 / np.sqrt(shape[-1]) if len(shape) == 2 else 0.3
        state[name] = torch.tensor((rng.standard_normal(shape) * scale).astype(np.float32))
    model.load_state_dict(state)


def _leaf(torch, rng: np.random.Generator, shape: tuple, low: float | None = None):
    data = rng.uniform(low, 2.0, shape) if low is not None else rng.standard_normal(shape)
    t = torch.tensor(data.astype(np.float32))
    t.requires_grad_(True)
    return t


def _report(torch, model, rng, outputs, leaves: dict) -> dict:
    """Backpropagate ``sum(out * R)`` over the outputs; return outputs and gradients as lists."""
    loss = 0
    for out in outputs:
        loss = loss + (out * torch.tensor(rng.standard_normal(tuple(out.shape)).astype(np.float32))).sum()
    loss.backward()
    result = {f"out{i}": out.detach().numpy().tolist() for i, out in enumerate(outputs)}
    for name, p in model.named_parameters():
        if not p.requires_grad:  # ncps keeps its sparsity mask as a frozen parameter
            continue
        result[f"grad.{name}"] = p.grad.numpy().tolist()
    for name, t in leaves.items():
        result[f"grad.{name}"] = t.grad.numpy().tolist()
    return result


def _sequence_case(torch, cfc, rng, kwargs: dict, shape: tuple, hx: str | None = None, timespans=None,
                   eval_mode: bool = False) -> dict:
    model = cfc.CfC(H_IN, UNITS, **kwargs)
    _set_weights(torch, model, rng)
    if eval_mode:
        model.eval()
    leaves = {"x": _leaf(torch, rng, shape)}
    batch = () if len(shape) == 2 else (shape[0] if kwargs.get("batch_first", True) else shape[1],)
    if hx == "h":
        leaves["h0"] = _leaf(torch, rng, batch + (UNITS,))
        state = leaves["h0"]
    elif hx == "hc":
        leaves["h0"], leaves["c0"] = _leaf(torch, rng, batch + (UNITS,)), _leaf(torch, rng, batch + (UNITS,))
        state = (leaves["h0"], leaves["c0"])
    else:
        state = None
    if timespans is not None:
        leaves["ts"] = _leaf(torch, rng, timespans, low=0.1)
    out, final = model(leaves["x"], state, leaves.get("ts"))
    outputs = [out] + (list(final) if isinstance(final, tuple) else [final])
    return _report(torch, model, rng, outputs, leaves)


def _cell_case(torch, cfc, rng, kwargs: dict) -> dict:
    """Step a ``CfCCell`` over (N, L) samples with per-sample elapsed times ``(N, 1)``."""
    cell = cfc.CfCCell(H_IN, UNITS, **kwargs)
    _set_weights(torch, cell, rng)
    leaves = {"x": _leaf(torch, rng, (N, L, H_IN)), "h0": _leaf(torch, rng, (N, UNITS)),
              "ts": _leaf(torch, rng, (N, L, 1), low=0.1)}
    h, outs = leaves["h0"], []
    for t in range(L):
        out, h = cell(leaves["x"][:, t], h, leaves["ts"][:, t])
        outs.append(out)
    return _report(torch, cell, rng, [torch.stack(outs, 1)], leaves)


def run(torch, cfc) -> dict:
    mask = np.array([[1, 0, 1, 1, 0], [0, 1, 1, 0, 1], [1, 1, 0, 0, 1], [-1, 0, 0, 1, 1],
                     [0, 1, 0, 1, 0], [1, 0, 1, 0, 1], [1, 1, 1, 0, 0], [0, 0, 1, 1, -1]], dtype=np.float32)
    cases = {
        "default_batch_first": lambda rng: _sequence_case(torch, cfc, rng, {}, (N, L, H_IN), hx="h"),
        "pure_sequence_first": lambda rng: _sequence_case(
            torch, cfc, rng, {"mode": "pure", "batch_first": False, "backbone_units": 8, "activation": "tanh"},
            (L, N, H_IN)),
        "no_gate_two_layers_projected": lambda rng: _sequence_case(
            torch, cfc, rng, {"mode": "no_gate", "backbone_layers": 2, "backbone_units": 8, "backbone_dropout": 0.3,
                              "activation": "silu", "return_sequences": False, "proj_size": 2},
            (N, L, H_IN), hx="h", eval_mode=True),
        "no_backbone": lambda rng: _sequence_case(torch, cfc, rng, {"backbone_layers": 0}, (N, L, H_IN)),
        "pure_no_backbone": lambda rng: _sequence_case(
            torch, cfc, rng, {"mode": "pure", "backbone_layers": 0}, (N, L, H_IN)),
        "mixed_memory": lambda rng: _sequence_case(
            torch, cfc, rng, {"mixed_memory": True, "backbone_units": 8, "activation": "gelu", "proj_size": 3},
            (N, L, H_IN), hx="hc"),
        "unbatched": lambda rng: _sequence_case(torch, cfc, rng, {"backbone_units": 8, "activation": "relu"},
                                                (L, H_IN), hx="h"),
        "timespans_one_sequence": lambda rng: _sequence_case(
            torch, cfc, rng, {"backbone_units": 8}, (1, L, H_IN), timespans=(1, L, 1)),
        "cell_timespans": lambda rng: _cell_case(torch, cfc, rng, {"backbone_units": 8}),
        "cell_pure_timespans": lambda rng: _cell_case(torch, cfc, rng, {"mode": "pure", "backbone_units": 8}),
        "cell_no_gate_sparsity": lambda rng: _cell_case(
            torch, cfc, rng, {"mode": "no_gate", "backbone_units": 8, "sparsity_mask": mask}),
    }
    result = {}
    for seed, (name, case) in enumerate(cases.items()):
        for key, value in case(np.random.default_rng(seed)).items():
            result[f"{name}/{key}"] = value
    return result
