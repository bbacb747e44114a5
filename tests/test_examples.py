"""examples/chapter3.ipynb runs in a fresh Jupyter kernel and gets the book's results (D2L §3.1–3.7).

The notebook holds the book's chapter 3 code with ``from linearnets import d2l`` for its import,
then linearnets' own API on the same task. It is executed as Jupyter does (nbclient, a real
ipykernel: tests/book/test_notebook.py's helper) in an empty working folder, with a first cell that
seeds Python's and torch's generators (the book seeds nothing; seeded, the numbers are the same on
every run) and probe cells that print the kernel's state as JSON. The accuracies are computed here
from the trained weights on the test images read straight from the IDX files, not from any printed
text or from linearnets' loader; §3.1's normal densities are computed here from the formula.
"""

from __future__ import annotations

import ast
import gzip
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from book.chapter3 import SOFTMAX_SCRATCH_MODEL, SOFTMAX_SCRATCH_UPDATER

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "chapter3.ipynb"
REAL_DATA = Path("/usr/share/datasets/fashion-mnist")

SEED = "import random\nimport torch\n\nrandom.seed(0)\ntorch.manual_seed(0);"
# the errors the cell printed, as numbers
ERRORS = (
    "import json\n"
    "print(json.dumps({'w': (true_w - w.reshape(true_w.shape)).tolist(), 'b': (true_b - b).tolist()}))"
)
# §3.1's figure: Jupyter's inline backend shows a cell's figures and closes them when the cell ends;
# this cell, run before the plot, makes it keep them, so the probe after can read the lines drawn
KEEP_FIGURES = "%config InlineBackend.close_figures = False"
# cell whose source holds ANCHOR -> the probe run right after it (each prints one JSON object)
PROBES = {
    # §3.1: both sums, the times the book's Timer recorded, then the figure d2l.plot drew (closed
    # after, and the inline backend's default back)
    "d = a + b": "import json\n"
    "print(json.dumps({'c': c.tolist(), 'd': d.tolist(), 'times': timer.times}))",
    "params = [(0, 1), (0, 2), (3, 1)]": "import json\nax = d2l.plt.gca()\n"
    "print(json.dumps({'figures': len(d2l.plt.get_fignums()),"
    " 'x': [line.get_xdata().tolist() for line in ax.get_lines()],"
    " 'y': [line.get_ydata().tolist() for line in ax.get_lines()],"
    " 'styles': [line.get_linestyle() for line in ax.get_lines()],"
    " 'legend': [text.get_text() for text in ax.get_legend().get_texts()],"
    " 'labels': [ax.get_xlabel(), ax.get_ylabel()]}))\n"
    "d2l.plt.close('all')\n%config InlineBackend.close_figures = True",
    "print(f'w的估计误差:": ERRORS,  # §3.2
    "print('w的估计误差：'": ERRORS,  # §3.3
    # §3.6, before §3.7 takes the names net and test_iter: the weights, and both evaluate_accuracy
    "predict_ch3(net, test_iter)": "import json\nprint(json.dumps({'W': W.tolist(), 'b': b.tolist(),"
    " 'book': evaluate_accuracy(net, test_iter), 'd2l': d2l.evaluate_accuracy(net, test_iter)}))",
    # §3.7
    "d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)": "import json\n"
    "print(json.dumps({'W': net[1].weight.T.tolist(), 'b': net[1].bias.tolist(),"
    " 'd2l': d2l.evaluate_accuracy(net, test_iter)}))",
    # linearnets' own API, and the command run by %run -m
    "%run -m linearnets softmax": "import json\nprint(json.dumps({'run_dir': str(result.run_dir),"
    " 'test_acc': result.history.last.test_acc, 'exit_code': globals().get('_exit_code')}))",
}


def _code_cells(nb: Any) -> list[Any]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def _cell(nb: Any, anchor: str) -> int:
    """Return the index of the one code cell whose source holds ``anchor``."""
    (index,) = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and anchor in c.source]
    return index


def _read_idx(path: Path) -> np.ndarray:
    """Return the array an IDX file holds (header: 2 zero bytes, type, ndim, sizes big-endian)."""
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    shape = np.frombuffer(raw, ">u4", count=ndim, offset=4)
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(tuple(shape))


def _test_accuracy(probe: dict[str, Any], images: np.ndarray, labels: np.ndarray) -> float:
    """Return the accuracy of the linear classifier ``probe['W']`` (784, 10), ``probe['b']`` (10,)
    on the test set (softmax keeps the order of the scores: its argmax is theirs)."""
    X = images.reshape(len(images), -1).astype(np.float32) / 255  # (10000, 784)
    scores = X @ np.asarray(probe["W"], np.float32) + np.asarray(probe["b"], np.float32)
    return float((scores.argmax(axis=1) == labels).mean())


def test_the_notebook_is_committed_without_outputs() -> None:
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    # no stored numbers to go stale
    assert all(not c.outputs and c.execution_count is None for c in _code_cells(nb))
    # the book's code with its import swapped
    source = "\n".join(c.source for c in _code_cells(nb))
    assert "from d2l import" not in source and source.count("from linearnets import d2l\n") == 6
    titles = [c.source.split("\n", 1)[0] for c in nb.cells if c.source.startswith("## ")]
    assert [t.split()[1] for t in titles[:6]] == ["3.1", "3.2", "3.3", "3.5", "3.6", "3.7"]
    # §3.6 is the code tests/book runs as the book's (comments aside)
    section = "\n".join(c.source for c in _code_cells(nb) if c.id.startswith("s3-6-"))
    in_notebook = {ast.dump(node) for node in ast.parse(section).body}
    for node in ast.parse(SOFTMAX_SCRATCH_MODEL + SOFTMAX_SCRATCH_UPDATER).body:
        assert ast.dump(node) in in_notebook, ast.unparse(node)


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="needs the real Fashion-MNIST (Debian package)")
def test_the_notebook_runs_and_gets_the_books_results(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from book.test_notebook import _outputs, _stdout, execute_notebook

    nb = nbformat.read(NOTEBOOK, as_version=4)
    for number, (anchor, probe) in enumerate(PROBES.items()):
        nb.cells.insert(
            _cell(nb, anchor) + 1, nbformat.v4.new_code_cell(probe, id=f"probe-{number}")
        )
    plot = _cell(nb, "params = [(0, 1), (0, 2), (3, 1)]")
    nb.cells.insert(plot, nbformat.v4.new_code_cell(KEEP_FIGURES, id="keep-figures"))
    nb.cells.insert(0, nbformat.v4.new_code_cell(SEED, id="seed"))
    work = tmp_path / "work"  # §3.5's root="../data" is tmp_path / "data"
    work.mkdir()
    client = execute_notebook(nb, work)

    assert not any(_outputs(c, "error") for c in _code_cells(nb))
    probes = {anchor: json.loads(_stdout(nb.cells[_cell(nb, anchor) + 1])) for anchor in PROBES}

    # §3.1: the loop's sum is the vectorised one (10,000 twos); each cell shows the time it took,
    # as the book's Timer recorded it
    sums = probes["d = a + b"]
    assert sums["c"] == sums["d"] == [2.0] * 10000
    shown = [
        _outputs(nb.cells[_cell(nb, anchor)], "execute_result")[0]["data"]["text/plain"]
        for anchor in ("c[i] = a[i] + b[i]", "d = a + b")
    ]
    assert shown == [f"'{t:.5f} sec'" for t in sums["times"]]
    # one figure, the three densities: their values are the normal density's, computed here
    drawn = probes["params = [(0, 1), (0, 2), (3, 1)]"]
    assert drawn["figures"] == 1
    (figure,) = _outputs(nb.cells[_cell(nb, "params = [(0, 1), (0, 2), (3, 1)]")], "display_data")
    assert "<svg" in figure["data"]["image/svg+xml"]
    params = [(0, 1), (0, 2), (3, 1)]
    x = np.arange(-7, 7, 0.01)
    assert len(drawn["y"]) == 3 and all(np.array_equal(xs, x) for xs in drawn["x"])
    for ys, (mu, sigma) in zip(drawn["y"], params, strict=True):
        density = np.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))
        assert np.max(np.abs(np.asarray(ys) - density)) <= 1e-12, (mu, sigma)
    assert max(drawn["y"][0]) == pytest.approx(1 / math.sqrt(2 * math.pi), abs=1e-12)
    assert drawn["styles"] == ["-", "--", "-."]  # the book's fmts: '-', 'm--', 'g-.'
    assert drawn["legend"] == ["mean 0, std 1", "mean 0, std 2", "mean 3, std 1"]
    assert drawn["labels"] == ["x", "p(x)"]

    # §3.2, §3.3: w and b learned to within 0.01, as printed (both lines) and as the kernel holds them
    printed = _stdout(nb.cells[_cell(nb, "print(f'w的估计误差:")])
    numbers = re.findall(r"^([wb])的估计误差: tensor\(\[([^\]]*)\]", printed, flags=re.M)
    assert [name for name, _ in numbers] == ["w", "b"]
    errors = [float(v) for _, values in numbers for v in values.split(",")]
    held = probes["print(f'w的估计误差:"]
    np.testing.assert_allclose(errors, held["w"] + held["b"], atol=1e-4)
    assert len(errors) == 3 and max(map(abs, errors)) < 0.01
    held = probes["print('w的估计误差：'"]
    assert max(map(abs, held["w"] + held["b"])) < 0.01

    # §3.5: both datasets read offline, a batch resized to 64x64
    (sizes,) = _outputs(nb.cells[_cell(nb, "len(mnist_train), len(mnist_test)")], "execute_result")
    assert sizes["data"]["text/plain"] == "(60000, 10000)"
    resized = _stdout(nb.cells[_cell(nb, "load_data_fashion_mnist(32, resize=64)")])
    assert "torch.Size([32, 1, 64, 64]) torch.float32 torch.Size([32]) torch.int64" in resized
    assert not (tmp_path / "data").exists()  # nothing downloaded

    # §3.6, §3.7: the test accuracy of the trained weights, on the test set read here
    images = _read_idx(REAL_DATA / "t10k-images-idx3-ubyte.gz")
    labels = _read_idx(REAL_DATA / "t10k-labels-idx1-ubyte.gz")
    scratch = probes["predict_ch3(net, test_iter)"]
    concise = probes["d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)"]
    for probe, kernel_accs in ((scratch, ["book", "d2l"]), (concise, ["d2l"])):
        acc = _test_accuracy(probe, images, labels)
        assert acc >= 0.80
        for name in kernel_accs:  # the kernel's evaluate_accuracy agrees (to 3 examples in 10,000)
            assert probe[name] == pytest.approx(acc, abs=3e-4), name

    # one live figure per train_ch3: the book's Animator redraws it (a display, then a clear when
    # the next comes: clear_output(wait=True)); linearnets' shows it once, then updates it in place
    book_train = _cell(
        nb, "train_ch3(net, train_iter, test_iter, cross_entropy, num_epochs, updater)"
    )
    assert client.messages[book_train]["clear_output"] == 10
    d2l_train = _cell(nb, "d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)")
    assert client.messages[d2l_train]["display_data"] == 1
    assert client.messages[d2l_train]["update_display_data"] == 9
    for index in (book_train, d2l_train):
        (figure,) = _outputs(nb.cells[index], "display_data")
        assert "<svg" in figure["data"]["image/svg+xml"]
    predictions = _outputs(nb.cells[_cell(nb, "predict_ch3(net, test_iter)")], "display_data")
    assert len(predictions) == 1

    # linearnets' own API and the command: the same seeded run, in two run folders
    own = probes["%run -m linearnets softmax"]
    assert own["test_acc"] >= 0.80 and own["exit_code"] == 0
    runs = sorted((work / "runs").iterdir())
    assert len(runs) == 2 and work / own["run_dir"] in runs
    results = [json.loads((run / "results.json").read_text()) for run in runs]
    assert [r["test_acc"] for r in results] == [own["test_acc"]] * 2
