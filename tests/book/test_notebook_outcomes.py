"""What a notebook shows of a training's stop, in a real Jupyter kernel.

The promise (README's Quick start, docs/python.md): a run's outcomes show as one readable line, not a
traceback, and what is shown live is updated in place rather than piled up in the cell's outputs.
The kernel is started as :mod:`tests.book.test_notebook` starts it; the cells fit on small random
batches made in the kernel, so the cells take a few seconds.
"""

from __future__ import annotations

from pathlib import Path

from .test_notebook import _outputs, _stdout, run_notebook

# ten classes of random 28x28 images, 8 batches of 32; Slow makes each epoch last 0.3 s or more
_SETUP = """\
import time
import torch
import linearnets as ln

torch.manual_seed(0)
batches = [(torch.rand(32, 1, 28, 28), torch.randint(0, 10, (32,))) for _ in range(8)]
net = ln.softmax_concise()
loss = torch.nn.CrossEntropyLoss(reduction="none")
updater = torch.optim.SGD(net.parameters(), lr=0.1)

class Slow(ln.Callback):
    def on_batch_end(self, step, losses):
        time.sleep(0.04)
"""


def test_a_stopped_fit_in_a_notebook(tmp_path: Path) -> None:
    nb, _ = run_notebook(
        [
            _SETUP,
            # Jupyter's "Interrupt the kernel" mid-fit
            "ln.fit(net, batches, loss, updater, 40, callbacks=[Slow()])",
            # what its line says to do
            "import sys\nhistory = sys.last_value.history\ndone = len(history.epochs)\n"
            "ln.fit(net, batches, loss, updater, 40, start_epoch=done, history=history)\n"
            "print(done, [m.epoch for m in history.epochs] == list(range(1, 41)))",
        ],
        tmp_path,
        interrupt_after={1: 3},
    )
    (error,) = _outputs(nb.cells[1], "error")
    assert error["ename"] == "KeyboardInterrupt"
    (line,) = error["traceback"]  # its one line, no traceback into torch's autograd engine
    done, whole = _stdout(nb.cells[2]).split()
    assert 1 <= int(done) < 40 and whole == "True"  # stopped mid-fit; continued to the end
    assert line == (
        f"KeyboardInterrupt: fit was interrupted after {done} finished epoch(s); the model keeps "
        "the weights of its last step, and this exception their metrics: import sys; history = "
        "sys.last_value.history (in the next cell). To go on, call fit again with "
        f"start_epoch={done} and history=history (a history passed to fit is extended in place, "
        "so it keeps them however fit stops)"
    )
    assert not _outputs(nb.cells[2], "error")
    assert not any(tmp_path.iterdir())
