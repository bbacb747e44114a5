"""What a type checker sees of the public API: one ``mypy --strict`` run over a user's script.

The script uses linearnets as the README does (``import linearnets as ln``, ``from linearnets import
d2l``). Its lines are marked with what mypy must say of them: ``# E: code`` an error of that code
(``# E: code, code`` several), ``# R: text`` a revealed type holding ``text``; every other line must
get no error. The oracle is mypy itself, reading the package this test imports.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import linearnets

# section -> code; one script, so one mypy run (a cold one reads torch's stubs: ~20 s)
SECTIONS = {
    # ln.X and d2l.X have their modules' types (they were Any), and a misspelt name is an error
    "public names": """
import linearnets as ln
from linearnets import d2l, fit
reveal_type(ln.fit)  # R: -> linearnets.training.history.History
reveal_type(fit)  # R: -> linearnets.training.history.History
reveal_type(ln.SoftmaxConfig)  # R: -> linearnets.config.SoftmaxConfig
reveal_type(d2l.load_data_fashion_mnist)  # R: -> tuple[linearnets.data.loader.ArrayLoader, linearnets.data.loader.ArrayLoader]
reveal_type(d2l.plt.plot)  # R: -> list[matplotlib.lines.Line2D]
reveal_type(d2l.Timer().stop())  # R: float
cfg = ln.SoftmaxConfig(epoch=10)  # E: call-arg
hist = ln.fit("net", 1, 2, 3, "ten")  # E: arg-type
acc: str = hist.test_acc[-1]  # E: assignment
ln.run_softmaxx(cfg)  # E: attr-defined
d2l.load_data_fashion_mnst(256)  # E: attr-defined
d2l.plt.plott  # E: attr-defined
class Quiet(ln.ConsoleLogger):  # a subclass of Any was an error under --strict
    pass
""",
    # what the docs (README, docstrings, error messages) say is taken, type-checks; imported from
    # the defining modules, so that these lines test the signatures, not the package's names
    "documented inputs": """
import pathlib
import numpy as np
import torch
from linearnets.config import LinregConfig, SoftmaxConfig
from linearnets.data.fashion_mnist import get_fashion_mnist_labels
from linearnets.data.synthetic import synthetic_data
from linearnets.metrics import Accumulator
SoftmaxConfig(epochs=np.int64(1), out="runs/x", data_dir=pathlib.PurePosixPath("/data"))
SoftmaxConfig(device=torch.device("cpu"), lr=np.float32(0.1), resize=np.int64(32))
LinregConfig(data="tiny.csv", device=torch.device("cpu"))
LinregConfig(true_w=[2.0, -3.4], true_b=torch.tensor(4.2), noise_std=np.float32(0.01))
LinregConfig(true_w=torch.tensor([2.0, -3.4]), num_examples=np.int64(100))
reveal_type(SoftmaxConfig().out)  # R: pathlib.Path | None
reveal_type(LinregConfig().lr)  # R: float
SoftmaxConfig(out=3)  # E: arg-type
LinregConfig(lr="0.1")  # E: arg-type
SoftmaxConfig("concise", 3)  # E: call-arg
LinregConfig("concise")  # E: call-arg
X, y = synthetic_data(torch.tensor([2.0, -3.4]), torch.tensor(4.2), 10, noise_std=torch.tensor(0.01))
Accumulator(2).add(torch.ones(3).sum(), np.array([1.0]))
Accumulator(2).add(np.float32(1), 2)
Accumulator(1).add("1")  # E: arg-type
names: list[str] = get_fashion_mnist_labels(3)
get_fashion_mnist_labels(np.int64(3))
from linearnets import d2l
from linearnets.training.loop import fit
from linearnets.training.metrics_files import MetricsWriter
def epochs_as_documented(net: torch.nn.Module, batches: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = torch.nn.CrossEntropyLoss()
    h = fit(net, batches, loss, updater, np.int64(2), start_epoch=np.int64(1))  # they were int only
    fit(net, batches, loss, updater, torch.tensor(3), start_epoch=torch.tensor(2), history=h)
    fit(net, batches, loss, updater, 2.0)  # E: arg-type
    kept: ln.History | None  # as history_of's docstring has it
    try:
        kept = fit(net, batches, loss, updater, 2)
    except KeyboardInterrupt as stop:
        stop.history  # E: attr-defined
        reveal_type(ln.history_of(stop))  # R: linearnets.training.history.History | None
        kept = ln.history_of(stop)
MetricsWriter("runs/a")  # a str, as every other path parameter takes
reveal_type(d2l.np.arange(3))  # R: numpy.ndarray
""",
    # scratch models keep their own type through to/train/eval, as nn.Module's Self does
    "scratch models": """
import torch
from linearnets.models.scratch import LinearRegressionScratch, SoftmaxRegressionScratch
net = SoftmaxRegressionScratch(784, 10).to("cpu")
W: torch.Tensor = net.W
reveal_type(net.to(torch.float64).eval().train())  # R: linearnets.models.scratch.softmax.SoftmaxRegressionScratch
reveal_type(LinearRegressionScratch(2).to("cpu", torch.float64))  # R: linearnets.models.scratch.linear.LinearRegressionScratch
keys = net.load_state_dict(net.state_dict(), strict=False)
reveal_type(keys.missing_keys)  # R: list[str]
net.to("cpu", torch.float32, True)  # E: call-arg
""",
    # concrete types where they are known, and the result types public
    "results": """
import linearnets as ln
from linearnets.inference import predict
from linearnets.plotting import LiveCurves
from linearnets.tasks.softmax import load_trained
from linearnets.training.callbacks import CurvesCallback
from linearnets.training.history import History
reveal_type(predict)  # R: -> numpy.ndarray
reveal_type(load_trained)  # R: tuple[linearnets.models.scratch.softmax.SoftmaxRegressionScratch | torch.nn.modules.container.Sequential
def report(r: ln.SoftmaxResult, q: ln.LinregResult, m: ln.EpochMetrics, c: ln.Callback) -> float:
    return r.seconds_per_epoch + q.loss + m.train_loss + r.history.last.seconds
CurvesCallback(LiveCurves(num_epochs=2))
CurvesCallback(History())  # E: arg-type
""",
    # the figures' functions return matplotlib's Axes, as their docstrings say (they were Any)
    "figures": """
import torch
from linearnets.plotting import plot, plot_confusion_matrix
reveal_type(plot([1.0, 2.0], [[1.0, 4.0]]))  # R: matplotlib.axes._axes.Axes
reveal_type(plot_confusion_matrix(torch.zeros(2, 2), ["a", "b"]))  # R: matplotlib.axes._axes.Axes
plot([1.0], axes="gca")  # E: arg-type
""",
}

# the README's Python examples, as printed: none may get an error under --strict (each in a
# function of its own, so that its names are not the other sections')
README = Path(__file__).resolve().parents[1] / "README.md"
for _i, _block in enumerate(
    re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
):
    _body = "".join(f"    {line}\n" if line.strip() else "\n" for line in _block.splitlines())
    SECTIONS[f"README example {_i + 1}"] = f"def readme_example_{_i + 1}() -> None:\n{_body}"

# the main API as a notebook uses it: results typed precisely, not Any
SECTIONS["main API"] = """
import torch
import linearnets as ln
def main_api() -> None:
    train_iter, test_iter = ln.load_data_fashion_mnist(256, resize=32)
    net = ln.SoftmaxRegressionScratch(1024, 10)
    updater = ln.SGD(net.parameters(), lr=0.1)
    reveal_type(ln.train_epoch(net, train_iter, ln.cross_entropy_logits, updater))  # R: tuple[float, float | None]
    reveal_type(ln.evaluate(net, test_iter, ln.cross_entropy_logits))  # R: tuple[float | None, float | None]
    reveal_type(ln.evaluate_accuracy(net, test_iter))  # R: float
    reveal_type(ln.predict(net, test_iter, 6))  # R: numpy.ndarray
    history = ln.fit(net, train_iter, ln.cross_entropy_logits, updater, 2, test_iter=test_iter)
    reveal_type(history.last)  # R: linearnets.training.history.EpochMetrics
    reveal_type(history.test_acc)  # R: list[float | None]
    reveal_type(ln.run_softmax(ln.SoftmaxConfig(epochs=1)).run_dir)  # R: pathlib.Path
    reveal_type(ln.resume_softmax("runs/a", epochs=2).per_class_acc)  # R: list[float]
    reveal_type(ln.run_linreg(ln.LinregConfig()).w)  # R: list[float]
    X, y = ln.synthetic_data(torch.tensor([2.0, -3.4]), 4.2, 1000)
    reveal_type(ln.closed_form(X, y))  # R: tuple[torch._tensor.Tensor, float]
    reveal_type(ln.load_array((X, y), 10))  # R: DataLoader[tuple[torch._tensor.Tensor, ...]]
    reveal_type(ln.get_fashion_mnist_labels(y.long()))  # R: list[str]
    reveal_type(ln.accuracy(net(torch.ones(4, 1024)), torch.zeros(4, dtype=torch.long)))  # R: float
    reveal_type(ln.correct_count(torch.ones(4, 10), torch.zeros(4, dtype=torch.long)))  # R: int
"""

LINE = re.compile(r"^user\.py:(\d+): (error|note): (.*?)(?:  \[([\w-]+)\])?$")


def _script() -> tuple[str, dict[str, range]]:
    """Return the script and the lines (1-based) of each section."""
    lines: list[str] = []
    spans = {}
    for name, code in SECTIONS.items():
        body = code.strip("\n").splitlines()
        spans[name] = range(len(lines) + 1, len(lines) + len(body) + 1)
        lines += body
    return "\n".join(lines) + "\n", spans


def _mypy_path() -> dict[str, str]:
    """Return MYPYPATH naming the folder this test imports linearnets from (a checkout's src, or
    one given by PYTHONPATH), so mypy reads that copy; none for an installed one."""
    root = Path(linearnets.__file__).resolve().parents[1]
    return {} if root.name in ("site-packages", "dist-packages") else {"MYPYPATH": str(root)}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[int, list[tuple[str, str, str]]]:
    """Run mypy once; return, per line, its (kind, message, code) reports."""
    pytest.importorskip("mypy", reason="mypy is a dev tool (installed by `make test`)")
    folder = tmp_path_factory.mktemp("typing")
    script, _ = _script()
    (folder / "user.py").write_text(script, encoding="utf-8")
    (folder / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")  # not the repository's settings
    done = subprocess.run(
        [
            *(sys.executable, "-m", "mypy", "--strict", "--config-file", "mypy.ini"),
            *("--cache-dir", str(folder / ".mypy_cache"), "--follow-imports=silent"),
            *("--show-error-codes", "--no-error-summary", "--no-pretty", "user.py"),
        ],
        cwd=folder,
        env={**os.environ, **_mypy_path()},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 2: mypy itself failed
    found: dict[int, list[tuple[str, str, str]]] = {}
    for text in done.stdout.splitlines():
        match = LINE.match(text)
        if match:
            line, kind, message, code = match.groups()
            found.setdefault(int(line), []).append((kind, message, code or ""))
    return found


@pytest.mark.parametrize("section", SECTIONS)
def test_each_line_gets_what_it_is_marked_with(
    section: str, report: dict[int, list[tuple[str, str, str]]]
) -> None:
    script, spans = _script()
    lines = script.splitlines()
    for number in spans[section]:
        code = lines[number - 1]
        got = report.get(number, [])
        errors = sorted({c for kind, _, c in got if kind == "error"})
        marked = re.search(r"# E: ([\w, -]+)$", code)
        expected = sorted(c.strip() for c in marked.group(1).split(",")) if marked else []
        assert errors == expected, (code, got)
        revealed = re.search(r"# R: (.+)$", code)
        if revealed:
            notes = [m for kind, m, _ in got if kind == "note" and m.startswith("Revealed type")]
            # "builtins.float" in some mypy versions, "float" in others
            shown = notes[0].replace("builtins.", "") if len(notes) == 1 else ""
            assert revealed.group(1) in shown, (code, got)
