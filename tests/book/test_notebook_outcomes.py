"""What a notebook shows of a training's progress and of its stop, in a real Jupyter kernel.

The promise (README's Quick start, docs/python.md): a run's outcomes show as one readable line, not a
traceback, and what is shown live is updated in place rather than piled up in the cell's outputs.
The kernel is started as :mod:`tests.book.test_notebook` starts it; both fit on small random
batches made in the kernel, so the cells take a second or two.
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


def test_a_progress_bar_and_a_stopped_fit_in_a_notebook(tmp_path: Path) -> None:
    nb, client = run_notebook(
        [
            _SETUP,
            # progress=True where stderr is no terminal: the bar was stderr's carriage-return
            # frames, one stream output each, and a row of blanks on stderr's red per epoch
            "history = ln.fit(net, batches, loss, updater, 3, "
            "callbacks=[ln.ConsoleLogger(progress=True), Slow()])",
            # Jupyter's "Interrupt the kernel" mid-fit
            "ln.fit(net, batches, loss, updater, 40, callbacks=[Slow()])",
            # what its line says to do
            "import sys\nhistory = sys.last_value.history\ndone = len(history.epochs)\n"
            "ln.fit(net, batches, loss, updater, 40, start_epoch=done, history=history)\n"
            "print(done, [m.epoch for m in history.epochs] == list(range(1, 41)))",
            # a whole run's refusal: of a folder this kernel's one has none of
            'ln.resume_softmax("runs/a")',
        ],
        tmp_path,
        interrupt_after={2: 3},
    )
    bar = nb.cells[1]
    assert not [o for o in bar.outputs if o.get("name") == "stderr"]  # nothing on stderr
    # one output of the cell, the bar's frames in place of each other, emptied at the end
    assert client.messages[1]["display_data"] == 1
    (shown,) = _outputs(bar, "display_data")
    assert shown["data"] == {"text/plain": ""}
    frames = client.texts[1]
    assert frames[0].startswith("epoch 1:   0%") and "0/8" in frames[0]
    for epoch in (1, 2, 3):  # each epoch's bar drawn, then emptied
        drawn = [i for i, text in enumerate(frames) if text.startswith(f"epoch {epoch}:")]
        assert drawn and frames[drawn[-1] + 1] == "", (epoch, frames)
    assert any("█" in text for text in frames)  # tqdm's Unicode blocks, not ASCII '#'
    lines = _stdout(bar).splitlines()
    assert [line.split(",")[0] for line in lines] == ["epoch 1", "epoch 2", "epoch 3"]
    assert not _outputs(bar, "execute_result")

    (error,) = _outputs(nb.cells[2], "error")
    assert error["ename"] == "KeyboardInterrupt"
    (line,) = error["traceback"]  # its one line, no traceback into torch's autograd engine
    done, whole = _stdout(nb.cells[3]).split()
    assert 1 <= int(done) < 40 and whole == "True"  # stopped mid-fit; continued to the end
    assert line == (
        f"KeyboardInterrupt: fit was interrupted after {done} finished epoch(s); the model keeps "
        "the weights of its last step, and this exception their metrics: import sys; history = "
        "sys.last_value.history (in the next cell). To go on, call fit again with "
        f"start_epoch={done} and history=history (a history passed to fit is extended in place, "
        "so it keeps them however fit stops)"
    )
    assert not _outputs(nb.cells[3], "error")
    (refused,) = _outputs(nb.cells[4], "error")
    assert (refused["ename"], refused["traceback"]) == (
        "UsageError",  # its one line, no traceback through the library's frames
        [
            "UsageError: run_dir must be a run folder, got 'runs/a', which does not exist; pass "
            "the folder a run wrote, its config's out (the result's run_dir)"
        ],
    )
    assert not any(tmp_path.iterdir())
