"""A learner's session in a real Jupyter kernel: what one cell leaves behind for the later ones.

The kernel is started as :mod:`tests.book.test_notebook` starts it; the fits run on a few small
batches of random images made in the kernel, so each cell takes a second or two.
"""

from __future__ import annotations

from pathlib import Path

from .test_notebook import _outputs, _stdout, run_notebook

# four batches of 32 random 28x28 images of ten classes, the concise model
_SETUP = """\
import signal
import sys
import torch
from tqdm import tqdm
import linearnets as ln

torch.manual_seed(0)
batches = [(torch.rand(32, 1, 28, 28), torch.randint(0, 10, (32,))) for _ in range(4)]
net = ln.softmax_concise()
loss = torch.nn.CrossEntropyLoss(reduction="none")
"""


# a profile hook that sends the kernel a SIGINT as tqdm draws a bar's first frame, then goes
_INTERRUPT_AS_A_BAR_DRAWS = """
def interrupt_as_a_bar_draws(frame, event, arg):
    code = frame.f_code
    if event == "call" and code.co_name == "refresh" and "tqdm" in code.co_filename:
        sys.setprofile(None)
        signal.raise_signal(signal.SIGINT)
"""


def _bar_frames(texts: list[str]) -> list[str]:
    """Return the frames a cell's bar displays showed that are drawn, not emptied."""
    return [text for text in texts if text]


def test_a_learners_own_tqdm_loop_around_fit_keeps_the_epoch_bar_readable(tmp_path: Path) -> None:
    """A sweep over learning rates in a tqdm loop of one's own: with that bar open, tqdm put the
    epoch bar on the row below, reached by a newline and a cursor move up, and the bar's display
    showed the text "\\x1b[A" in its place, left so at the epoch's end instead of emptied."""
    nb, client = run_notebook(
        [
            _SETUP,
            "for lr in tqdm([0.1, 0.03]):\n"
            "    updater = torch.optim.SGD(net.parameters(), lr=lr)\n"
            "    ln.fit(net, batches, loss, updater, 2, callbacks=[ln.ConsoleLogger(progress=True)])",
        ],
        tmp_path,
    )
    texts = client.texts[1]
    frames = _bar_frames(texts)
    assert frames and all(frame.startswith("epoch ") for frame in frames), texts
    assert not any("\x1b" in text or "\n" in text for text in texts), texts
    assert texts[-1] == ""  # the last bar emptied as its epoch ended
    lines = _stdout(nb.cells[1]).splitlines()
    assert [line.split(",")[0] for line in lines] == ["epoch 1", "epoch 2"] * 2
    assert not _outputs(nb.cells[1], "error")


def test_an_interrupt_as_the_bar_draws_leaves_later_bars_where_they_were(tmp_path: Path) -> None:
    """Jupyter's "Interrupt the kernel" landing as a bar draws its first frame (here a real SIGINT
    sent from the kernel at that call): the half-made bar stayed among tqdm's open bars, held by the
    traceback IPython keeps, so every later bar of the session, the epoch bar and the learner's own,
    was drawn on the row below by cursor moves, which Jupyter shows as new lines and text."""
    nb, client = run_notebook(
        [
            _SETUP + _INTERRUPT_AS_A_BAR_DRAWS,
            "sys.setprofile(interrupt_as_a_bar_draws)\n"
            "updater = torch.optim.SGD(net.parameters(), lr=0.1)\n"
            "ln.fit(net, batches, loss, updater, 2, callbacks=[ln.ConsoleLogger(progress=True)])",
            "ln.fit(net, batches, loss, updater, 2, callbacks=[ln.ConsoleLogger(progress=True)])",
            "for _ in tqdm(range(3)):\n    pass",
        ],
        tmp_path,
        interrupt_after={1: 300},  # keeps the cell's error in its outputs (its SIGINT is its own)
    )
    (error,) = _outputs(nb.cells[1], "error")
    assert error["ename"] == "KeyboardInterrupt"
    assert "interrupted after 0 finished epoch(s)" in error["traceback"][0]
    # the next fit's bar: one output, its frames in place of each other, emptied at each epoch's end
    texts = client.texts[2]
    assert client.messages[2]["display_data"] == 1
    frames = _bar_frames(texts)
    assert frames and all(frame.startswith("epoch ") for frame in frames), texts
    assert not any("\x1b" in text for text in texts) and texts[-1] == "", texts
    assert not _outputs(nb.cells[2], "error")
    # the learner's own bar: on its row, redrawn by carriage returns alone
    drawn = "".join(o["text"] for o in nb.cells[3].outputs if o.get("name") == "stderr")
    assert "3/3" in drawn and "\x1b" not in drawn, repr(drawn)
    assert drawn.rstrip("\n").count("\n") == 0, repr(drawn)


def test_training_continued_in_the_same_cell_is_one_figure_per_run(tmp_path: Path) -> None:
    """Train, then train on at a lower learning rate, in one cell with the same curves: one
    figure of the whole training, updated in place. The first fit's end made the second show the
    figure anew below the first, which stayed there with the first fit's epochs alone. A fit
    from epoch 1 again is another run: its own figure."""
    nb, client = run_notebook(
        [
            _SETUP + "curves = ln.LiveCurves(num_epochs=4)\n",
            "updater = torch.optim.SGD(net.parameters(), lr=0.1)\n"
            "h = ln.fit(net, batches, loss, updater, 2, callbacks=[ln.CurvesCallback(curves)])\n"
            "updater = torch.optim.SGD(net.parameters(), lr=0.03)\n"
            "h = ln.fit(net, batches, loss, updater, 4, start_epoch=2, history=h, "
            "callbacks=[ln.CurvesCallback(curves)])\n"
            "print(curves.epochs['train loss'])",
            "h = ln.fit(net, batches, loss, updater, 2, callbacks=[ln.CurvesCallback(curves)])\n"
            "h = ln.fit(net, batches, loss, updater, 2, callbacks=[ln.CurvesCallback(curves)])",
        ],
        tmp_path,
    )
    assert _stdout(nb.cells[1]).strip() == "[1, 2, 3, 4]"
    assert client.messages[1]["display_data"] == 1
    assert client.messages[1]["update_display_data"] == 3  # epochs 2, 3 and 4
    assert len(_outputs(nb.cells[1], "display_data")) == 1
    # two runs from epoch 1: a figure each, each updated once
    assert client.messages[2]["display_data"] == 2
    assert client.messages[2]["update_display_data"] == 2
