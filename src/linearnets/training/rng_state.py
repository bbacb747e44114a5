"""The global random generators' states (torch, NumPy, Python) as data a checkpoint can hold.

``torch.load(weights_only=True)`` reads tensors, dicts, lists, str, int, float, bool and None only,
so NumPy's key array becomes a tensor and Python's state tuple a list, and back again on restore.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

__all__ = ["global_rng_state", "set_global_rng_state"]


def global_rng_state() -> dict[str, Any]:
    """Return the states of torch's, NumPy's and Python's global generators, as weights_only-safe data."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "numpy": {
            "kind": str(kind),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached": float(cached),
        },
        "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
    }


def set_global_rng_state(state: Mapping[str, Any]) -> None:
    """Restore the global generators from :func:`global_rng_state`'s result."""
    torch.set_rng_state(state["torch"])
    nps = state["numpy"]
    keys = nps["keys"].numpy().astype(np.uint32)
    np.random.set_state((nps["kind"], keys, nps["pos"], nps["has_gauss"], nps["cached"]))
    py = state["python"]
    random.setstate((py["version"], tuple(py["internal"]), py["gauss_next"]))
