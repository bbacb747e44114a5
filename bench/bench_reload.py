"""Reloading a trained model: ``load_trained`` (predict's) and a resume's check of ``model.pt``.

Each figure is the time of the reload alone, inside a fresh interpreter (its imports of torch and
linearnets done before the clock starts): the first reload of a process is what ``linearnets
predict`` and ``linearnets softmax --resume`` pay. The baseline is the way both were done before:
the model built by ``build_softmax`` (with its optimizer, whose first ``torch.optim`` instance
imports ``torch._dynamo``), and the resume's check built on the meta device (whose random draws
go through torch's Python reference kernels, which import it too). Ours is
``models.factory.softmax_net`` on a generator of its own, as ``tasks/weights.py`` does now.

Run: ``.venv/bin/python bench/bench_reload.py [--repeats 5]``
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from _machine import cpu_name, positive_int

IMPLS = ("scratch", "analytic", "concise")

# the child: imports first, then the clock around the reload alone; prints seconds and whether
# torch._dynamo was imported
_CHILD = """
import sys, time
import torch
from linearnets.models.factory import build_softmax, softmax_net
path, impl, way = sys.argv[1], sys.argv[2], sys.argv[3]
payload = torch.load(path, map_location="cpu", weights_only=True)
shape = dict(num_inputs=payload["num_inputs"], num_outputs=payload["num_outputs"])
start = time.perf_counter()
if way == "ours":
    softmax_net(impl, generator=torch.Generator(), **shape).load_state_dict(payload["state_dict"])
elif way == "before-load":  # predict's, before: the model with its optimizer
    build_softmax(impl, **shape).net.load_state_dict(payload["state_dict"])
else:  # "before-check": the resume's check of model.pt, before
    with torch.device("meta"):
        build_softmax(impl, **shape).net.load_state_dict(payload["state_dict"])
print(time.perf_counter() - start, "torch._dynamo" in sys.modules)
"""


def _trained(folder: Path, impl: str) -> Path:
    """Train a 1-epoch run of ``impl`` on a small file in ``folder``; return its model.pt."""
    data = folder / "small.npz"
    if not data.exists():
        rng = np.random.default_rng(0)
        X = rng.normal(size=(600, 784)).astype(np.float32)
        np.savez(data, X=X, y=rng.integers(0, 10, size=600))
    out = folder / impl
    subprocess.run(
        [sys.executable, "-m", "linearnets", "softmax", "--data", str(data), "--epochs", "1",
         "--impl", impl, "--plot", "none", "--out", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out / "model.pt"


def _reload(path: Path, impl: str, way: str) -> tuple[float, bool]:
    """Return the seconds of one reload ``way`` in a fresh interpreter, and whether it imported
    ``torch._dynamo``."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), impl, way],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds, dynamo = done.stdout.split()
    return float(seconds), dynamo == "True"


def main() -> None:
    """Time each impl's reload ``--repeats`` times each way, interleaved; print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=positive_int, default=5)
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} cores ({cpu_name()}), python {platform.python_version()}, "
        f"{args.repeats} fresh interpreters each; the reload alone, imports done before"
    )
    ways = ("before-check", "before-load", "ours")
    with tempfile.TemporaryDirectory() as tmp:
        for impl in IMPLS:
            path = _trained(Path(tmp), impl)
            times: dict[str, list[float]] = {way: [] for way in ways}
            dynamo: dict[str, bool] = {}
            for _ in range(args.repeats):
                for way in ways:
                    seconds, imported = _reload(path, impl, way)
                    times[way].append(seconds)
                    dynamo[way] = imported
            ours = statistics.median(times["ours"])
            for way in ways:
                median = statistics.median(times[way])
                print(
                    f"{impl:8} {way:12}: median {median:.4f} s ({median / ours:6.1f}× ours), "
                    f"imports torch._dynamo: {dynamo[way]}"
                )


if __name__ == "__main__":
    main()
