"""The book's code and the README's example in a real Jupyter kernel (D2L §3.6 and §3.7).

The other tests fake a notebook (``IPython.display`` stubbed); these run the cells in an ipykernel
through ``nbclient``, as Jupyter does, and read what the kernel sent: the live curves must be one
figure shown once and then updated in place (``update_display_data``), one update per later epoch,
never a new figure per epoch; nothing may be written to the working folder (that is the headless
behaviour); and no cell may fail.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .chapter3 import SOFTMAX_SCRATCH_FUNCTIONS, SOFTMAX_SCRATCH_MODEL, SOFTMAX_SCRATCH_UPDATER

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

REAL_DATA = Path("/usr/share/datasets/fashion-mnist")
pytestmark = pytest.mark.skipif(
    not REAL_DATA.is_dir(), reason="needs the real Fashion-MNIST (Debian package)"
)
README = Path(__file__).resolve().parents[2] / "README.md"


class RecordingClient(nbclient.NotebookClient):  # type: ignore[misc]
    """Runs a notebook and counts the kernel's messages per cell, by type; ``texts`` keeps, per
    cell, the text of each display and update of a display, in order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.messages: dict[int, Counter[str]] = {}
        self.texts: dict[int, list[str]] = {}

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        self.messages.setdefault(cell_index, Counter())[msg["msg_type"]] += 1
        if msg["msg_type"] in ("display_data", "update_display_data"):
            text = msg["content"]["data"].get("text/plain", "")
            self.texts.setdefault(cell_index, []).append(text)
        return super().process_message(msg, cell, cell_index)


def run_notebook(
    cells: list[str],
    cwd: Path,
    *,
    interrupt_after: dict[int, int] | None = None,
    backend: str | None = None,
) -> tuple[Any, RecordingClient]:
    """Execute ``cells`` in a fresh kernel of this Python, in ``cwd``, as a notebook would.

    ``interrupt_after``: cell index -> seconds after which the kernel is interrupted (Jupyter's
    "Interrupt the kernel", a SIGINT); that cell's error is kept and the next cells still run.
    ``backend``: the kernel's ``MPLBACKEND`` (default: none, the inline backend).
    """
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    timeouts = {nb.cells[i].id: seconds for i, seconds in (interrupt_after or {}).items()}
    return nb, execute_notebook(nb, cwd, interrupt_after=timeouts, backend=backend)


def execute_notebook(
    nb: Any,
    cwd: Path,
    *,
    interrupt_after: dict[str, int] | None = None,
    backend: str | None = None,
) -> RecordingClient:
    """Execute the notebook ``nb`` in place in a fresh kernel of this Python, in ``cwd``, as Jupyter
    does; return the client, whose ``messages`` count what the kernel sent for each cell.

    A cell that fails raises ``CellExecutionError``, unless ``interrupt_after`` (cell id -> seconds,
    as :func:`run_notebook`'s by cell index) is given: then errors are kept in the outputs.
    ``backend``: the kernel's ``MPLBACKEND`` (default: none, the inline backend).
    """
    timeouts = interrupt_after or {}
    client = RecordingClient(
        nb,
        timeout=300,
        timeout_func=lambda cell: timeouts.get(cell.id, 300),
        interrupt_on_timeout=bool(timeouts),
        allow_errors=bool(timeouts),
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    # a notebook's own environment: no MPLBACKEND (the kernel's inline backend), one thread
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["OMP_NUM_THREADS"] = "1"
    if backend is not None:
        env["MPLBACKEND"] = backend
    client.execute(env=env)
    return client


def _outputs(cell: Any, kind: str) -> list[Any]:
    return [o for o in cell.outputs if o["output_type"] == kind]


def _stdout(cell: Any) -> str:
    return "".join(o["text"] for o in cell.outputs if o.get("name") == "stdout")


def test_the_books_softmax_from_scratch_in_a_notebook(tmp_path: Path) -> None:
    nb, client = run_notebook(
        [
            # the kernel seeded before the book's cells, which stay as printed: unseeded, their
            # three epochs ended at 0.744 test accuracy in 1 run of 60 (torch seeds each process anew)
            "import sys\nimport torch\ntorch.manual_seed(0)\nprint(sys.executable)",
            # §3.6 as printed, with `from linearnets import d2l` for the book's import
            "import torch\nfrom IPython import display\nfrom linearnets import d2l\n"
            + SOFTMAX_SCRATCH_MODEL
            + SOFTMAX_SCRATCH_UPDATER,
            "num_epochs = 3\nd2l.train_ch3(net, train_iter, test_iter, cross_entropy, num_epochs, updater)",
            "d2l.predict_ch3(net, test_iter)",
            "print(d2l.evaluate_accuracy(net, test_iter))",
        ],
        tmp_path,
    )
    assert _stdout(nb.cells[0]).strip() == sys.executable  # the kernel runs this environment
    train = client.messages[2]
    # one figure, shown at the first epoch and updated in place at each of the two others
    assert train["display_data"] == 1 and train["update_display_data"] == 2
    (shown,) = _outputs(nb.cells[2], "display_data")
    assert "<svg" in shown["data"]["image/svg+xml"]  # the book's use_svg_display()
    assert not _outputs(nb.cells[2], "execute_result")  # train_ch3 returns None: no echo
    (grid,) = _outputs(nb.cells[3], "display_data")  # predict_ch3: the images, once
    assert "<svg" in grid["data"]["image/svg+xml"]
    assert not _outputs(nb.cells[3], "execute_result")
    assert float(_stdout(nb.cells[4])) > 0.75  # the book's code is unseeded: typically 0.79-0.82
    assert not any(tmp_path.iterdir())  # in Jupyter the figures are shown, not saved


def test_the_readme_example_in_a_notebook(tmp_path: Path) -> None:
    example = README.read_text().split("```python\n", 1)[1].split("```", 1)[0]
    assert "ln.fit(" in example and "LiveCurves(num_epochs=10, " in example  # the example it was
    example = example.replace("LiveCurves(num_epochs=10, ", "LiveCurves(num_epochs=3, ")
    example = example.replace("updater, 10,", "updater, 3,")
    assert "updater, 3," in example
    nb, client = run_notebook([example], tmp_path)
    cell = nb.cells[0]
    assert client.messages[0]["display_data"] == 1
    assert client.messages[0]["update_display_data"] == 2
    (shown,) = _outputs(cell, "display_data")
    assert shown["data"]["image/png"]  # LiveCurves keeps matplotlib's inline PNG
    lines = _stdout(cell).strip().splitlines()
    assert [line.split(",")[0] for line in lines[:3]] == ["epoch 1", "epoch 2", "epoch 3"]
    assert 0.78 < float(lines[-1]) < 0.85  # the test accuracy after 3 epochs
    # shown in place, and saved too, as the example's out_dir asks
    assert sorted(p.name for p in (tmp_path / "curves").iterdir()) == ["curves.png", "curves.svg"]


def test_a_run_interrupted_in_a_notebook_resumes_where_it_stopped(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    nb, _ = run_notebook(
        [
            # the data read before the run (in this kernel's memory) and epochs of at least 0.3 s
            # whatever the machine: the interrupt lands mid-run even on a loaded one
            "import time\nimport linearnets as ln\n\nln.load_data_fashion_mnist(256)\n\n"
            "class Slow:\n    def on_epoch_end(self, metrics):\n        time.sleep(0.3)",
            f"ln.run_softmax(ln.SoftmaxConfig(epochs=20, plot='none', out={str(run_dir)!r}), "
            "callbacks=[Slow()])",
            f"result = ln.resume_softmax({str(run_dir)!r})\n"
            "print(len(result.history.epochs), result.history.last.epoch)",
        ],
        tmp_path,
        interrupt_after={1: 3},  # Jupyter's "Interrupt the kernel": a SIGINT
    )
    (error,) = _outputs(nb.cells[1], "error")
    assert error["ename"] == "TrainingInterrupted"
    # shown as that line alone: no 90-line traceback through the library, and none to render
    # while a second interrupt could come and replace it by a bare KeyboardInterrupt
    assert error["traceback"] == [f"TrainingInterrupted: {error['evalue']}"]
    # one readable line that says where it stopped and gives the call that resumes it
    where = re.search(
        r"interrupted by SIGINT (at the end of|after batch \d+ of) epoch (\d+)", error["evalue"]
    )
    assert where, error["evalue"]
    assert f"resume with: linearnets.resume_softmax({str(run_dir)!r})" in error["evalue"]
    assert not _outputs(nb.cells[2], "error")
    assert 1 <= int(where.group(2)) < 20  # mid-run
    assert _stdout(nb.cells[2]).split() == ["20", "20"]  # every epoch, once
    metrics = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in metrics] == list(range(1, 21))


def test_a_figure_updated_from_a_later_cell_shows_in_that_cell(tmp_path: Path) -> None:
    """The book's Animator displays its figure in the cell calling add(); the same figure used
    again from a later cell (training some more, continuing an interrupted fit) must show there,
    not redraw an earlier cell's output out of sight while the new cell stays empty."""
    nb, client = run_notebook(
        [
            "import linearnets as ln\nfrom linearnets import d2l\n"
            "animator = d2l.Animator(xlabel='epoch', xlim=[1, 6], legend=['loss'])\n"
            "curves = ln.LiveCurves(num_epochs=4, metrics=['train loss'])",
            "for epoch in range(1, 4):\n    animator.add(epoch, epoch ** -1)",
            "for epoch in range(4, 7):\n    animator.add(epoch, epoch ** -1)",
            "for epoch in (1, 2):\n    curves.update(epoch, {'train loss': 1 / epoch})",
            "for epoch in (3, 4):\n    curves.update(epoch, {'train loss': 1 / epoch})",
        ],
        tmp_path,
    )
    assert "display_data" not in client.messages.get(0, {})  # made, not yet shown
    for cell, updates in ((1, 2), (2, 2), (3, 1), (4, 1)):
        # one figure of its own, shown once and updated in place while the cell runs
        assert client.messages[cell]["display_data"] == 1, cell
        assert client.messages[cell]["update_display_data"] == updates, cell
        assert len(_outputs(nb.cells[cell], "display_data")) == 1, cell
    assert not any(tmp_path.iterdir())


# the book's model on a few batches of random images, made in the kernel: one short epoch
_SMALL_RUN = (
    "import torch\nfrom linearnets import d2l\ntorch.manual_seed(0)\n"
    "batches = [(torch.rand(32, 1, 28, 28), torch.randint(0, 10, (32,))) for _ in range(4)]\n"
    "W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)\n"
    "b = torch.zeros(10, requires_grad=True)\n"
    + SOFTMAX_SCRATCH_FUNCTIONS
    + "\ndef updater(batch_size):\n    return d2l.sgd([W, b], 0.1, batch_size)\n"
)


def _curves_drawn(path: Path) -> bool:
    """Return whether the image at ``path`` is a figure with something drawn on it (a blank
    figure, what plt.savefig writes of a new empty one, is one colour)."""
    from PIL import Image

    with Image.open(path) as image:
        return len(image.convert("L").getcolors(maxcolors=1 << 16) or ()) > 10


@pytest.mark.parametrize(
    "magic",
    ["", "%matplotlib inline\n", "%matplotlib notebook\n"],
    ids=["default", "explicit inline", "nbagg"],  # nbagg: see tests/book/test_notebook_backends.py
)
def test_the_curves_are_pyplots_current_figure_in_the_cell_that_trained(
    tmp_path: Path, magic: str
) -> None:
    """With the book's d2l, the Animator's figure (made by plt.subplots) is pyplot's current one:
    a d2l.plt.savefig after train_ch3 in the same cell saves the curves. It wrote a blank image
    (and showed that empty figure below the curves) when the figure left pyplot on creation."""
    nb, client = run_notebook(
        [
            magic + _SMALL_RUN,
            "d2l.train_ch3(net, batches, batches, cross_entropy, 1, updater)\n"
            "d2l.plt.savefig('curves.png')",
            # two runs in one cell, the second's figure current; an Animator of the book's own
            "d2l.train_ch3(net, batches, batches, cross_entropy, 1, updater)\n"
            "d2l.train_ch3(net, batches, batches, cross_entropy, 1, updater)\n"
            "d2l.plt.savefig('second.png')\n"
            "animator = d2l.Animator(xlabel='epoch', legend=['loss'])\n"
            "animator.add(1, 0.5)\n"
            "print(d2l.plt.gcf() is animator.fig, d2l.plt.gca() is animator.axes[0])",
            # a later cell: pyplot holds no figure left over; the Animator, reused, shows there
            "print(d2l.plt.get_fignums())\nanimator.add(2, 0.25)",
        ],
        tmp_path,
    )
    assert _curves_drawn(tmp_path / "curves.png") and _curves_drawn(tmp_path / "second.png")
    # each figure shown once, by its live display: none again (nor an empty one) at the cell end
    for cell, figures in ((1, 1), (2, 3), (3, 1)):
        assert client.messages[cell]["display_data"] == figures, cell
        assert len(_outputs(nb.cells[cell], "display_data")) == figures, cell
    assert _stdout(nb.cells[2]).split() == ["True", "True"]
    assert _stdout(nb.cells[3]).strip() == "[]"


def test_plt_show_or_the_figure_after_the_live_curves_shows_them_once(tmp_path: Path) -> None:
    """A learner from scripts ends the training cell with plt.show(), or shows the figure itself:
    the live figure is still pyplot's in its cell, and plt.show() displayed it a second time below
    its live display. The book's Animator shows one figure there (its clear_output(wait=True),
    pending, removes the last display as the next one comes); so does this one, updated in place."""
    nb, client = run_notebook(
        [
            _SMALL_RUN + "from IPython.display import display",
            "d2l.train_ch3(net, batches, batches, cross_entropy, 2, updater)\nd2l.plt.show()",
            "animator = d2l.Animator(xlabel='epoch', legend=['loss'])\nanimator.add(1, 0.5)\n"
            "animator.fig",  # a cell's last line: its value shown
            # a later cell: shown there (the figure left pyplot at the end of the last), then updated
            "display(animator.fig)\nanimator.add(2, 0.25)\nd2l.plt.show()",
        ],
        tmp_path,
    )
    for cell, updates in ((1, 2), (2, 1), (3, 1)):
        assert client.messages[cell]["display_data"] == 1, cell
        assert client.messages[cell]["update_display_data"] == updates, cell
        assert "execute_result" not in client.messages[cell], cell
        (shown,) = _outputs(nb.cells[cell], "display_data")
        assert "<svg" in shown["data"]["image/svg+xml"], cell


def test_the_live_curves_show_as_an_image_in_a_kernel_started_with_mplbackend_agg(
    tmp_path: Path,
) -> None:
    """A headless server's MPLBACKEND=Agg (set for scripts) reaches the kernel: the inline
    backend never loads, and with it IPython's image format for figures. The live curves showed
    as their repr, the text "<Figure size 450x300 with 1 Axes>", updated each epoch."""
    nb, client = run_notebook(
        [
            _SMALL_RUN
            + "import linearnets as ln\nimport matplotlib\nprint(matplotlib.get_backend())",
            "ln.fit(net, batches, cross_entropy, torch.optim.SGD([W, b], lr=0.1), 2, "
            "callbacks=[ln.CurvesCallback(ln.LiveCurves(num_epochs=2))])",
        ],
        tmp_path,
        backend="Agg",
    )
    assert _stdout(nb.cells[0]).strip().lower() == "agg"
    assert (
        client.messages[1]["display_data"] == 1 and client.messages[1]["update_display_data"] == 1
    )
    (shown,) = _outputs(nb.cells[1], "display_data")
    assert shown["data"]["image/png"]


def test_the_books_plot_shows_once_in_a_kernel_started_with_mplbackend_agg(
    tmp_path: Path,
) -> None:
    """d2l.plot (§2.4) in a kernel started with MPLBACKEND=Agg showed nothing and left its
    figure open in pyplot, where show_images and predict_ch3 show theirs at the cell end; drawn
    again in its cell, as the book's plot clears and redraws its axes, it shows once."""
    nb, client = run_notebook(
        [
            "from linearnets import d2l\nd2l.plot([1, 2, 3])\nd2l.plot([3, 2, 1], ylabel='y');",
            "import matplotlib.pyplot as plt\nprint(plt.get_fignums())",
        ],
        tmp_path,
        backend="Agg",
    )
    assert client.messages[0]["display_data"] == 1
    (shown,) = _outputs(nb.cells[0], "display_data")
    assert "<svg" in shown["data"]["image/svg+xml"]  # the book's use_svg_display(), via set_figsize
    assert _stdout(nb.cells[1]).strip() == "[]"  # closed once shown
