"""Figures under ``%matplotlib notebook`` in a real Jupyter kernel (D2L §3.6).

The classic Notebook's interactive backend (matplotlib's nbagg) shows a figure as pyplot makes it,
as outputs of its own: a script, an empty ``<div>`` and a comm (target "matplotlib") through which
the page draws it; and it keeps the figure open across cells. The inline backend (the default,
:mod:`tests.book.test_notebook`) shows each figure pyplot holds at the end of the cell instead.
Either way each figure must show once, in its cell: the live curves as one image updated in place
at each epoch (kept in the saved notebook), the still figures as the backend shows them.

The kernel is started as :mod:`tests.book.test_notebook` starts it; the fits run on a few small
batches of random images made in the kernel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .test_notebook import _SMALL_RUN, _outputs, _stdout, run_notebook

_NOTEBOOK = (
    "%matplotlib notebook\n"
    + _SMALL_RUN
    + "import linearnets as ln\nimport matplotlib\nprint(matplotlib.get_backend())"
)
_NBAGG = [  # the kernel's first line, its MPLBACKEND
    ("%matplotlib notebook", None),
    # so spelled, IPython shows any figure given to display() as the backend's own once figure
    # formats are set (the book's Animator sets SVG): the live curves, a new one at each epoch
    ("%matplotlib nbagg", None),
    ("", "nbAgg"),  # a kernel started so: interactive mode off, the same hook
]


def _images(cell: Any) -> list[Any]:
    """Return the cell's outputs that are images (a figure as IPython shows it)."""
    return [
        o for o in _outputs(cell, "display_data") if {"image/png", "image/svg+xml"} & set(o["data"])
    ]


def _backend_figures(cell: Any) -> int:
    """Return how many figures the nbagg backend showed in the cell: each is one empty ``<div>``
    its script draws into (beside the script, one per figure)."""
    return sum("<div id=" in o["data"].get("text/html", "") for o in _outputs(cell, "display_data"))


@pytest.mark.parametrize(("magic", "backend"), _NBAGG, ids=["notebook", "nbagg", "MPLBACKEND"])
def test_the_live_curves_are_one_figure_updated_in_place_under_matplotlib_notebook(
    tmp_path: Path, magic: str, backend: str | None
) -> None:
    """The backend showed each live figure as it was made (its own output, never drawn, closed
    at once or at the cell end) above the display updated at each epoch: two figures per
    training. Now the display alone, an image that the saved notebook keeps."""
    nb, client = run_notebook(
        [
            _NOTEBOOK.replace("%matplotlib notebook", magic, 1),
            # the book's §3.6 call, then the live figure shown again as a script would
            "d2l.train_ch3(net, batches, batches, cross_entropy, 2, updater)\n"
            "d2l.plt.show()\nd2l.plt.gcf().show()\nd2l.plt.savefig('curves.png')",
            # with a test_iter: the curves' default test acc is reported (without one the curves
            # warn that it is not, an output of its own before the figure)
            "ln.fit(net, batches, cross_entropy, torch.optim.SGD([W, b], lr=0.1), 2, "
            "test_iter=batches, callbacks=[ln.CurvesCallback(ln.LiveCurves(num_epochs=2))])",
            "animator = d2l.Animator(xlabel='epoch', legend=['loss'])\n"
            "for epoch in (1, 2, 3):\n    animator.add(epoch, 1 / epoch)",
            "print(d2l.plt.get_fignums())",
        ],
        tmp_path,
        backend=backend,
    )
    assert _stdout(nb.cells[0]).split()[-1].lower() in ("notebook", "nbagg")  # the one tested
    for cell, updates in ((1, 3), (2, 1), (3, 2)):  # train_ch3's: epoch 2, plt.show, fig.show
        assert "comm_open" not in client.messages[cell], cell  # no figure of the backend's
        assert client.messages[cell]["display_data"] == 1, cell
        assert client.messages[cell]["update_display_data"] == updates, cell
        (shown,) = nb.cells[cell].outputs[:1]
        assert _images(nb.cells[cell]) == [shown], cell  # the saved notebook keeps the image
    assert "<svg" in nb.cells[1].outputs[0]["data"]["image/svg+xml"]  # the book's SVG
    # pyplot's figure in its cell (plt.savefig saved the curves), let go at the cell's end
    assert (tmp_path / "curves.png").stat().st_size > 5000
    assert _stdout(nb.cells[4]).strip() == "[]"


def test_each_still_figure_shows_once_in_its_cell_under_matplotlib_notebook(
    tmp_path: Path,
) -> None:
    """The backend shows the image grids and the confusion matrix, once each. The book's plot,
    drawing on pyplot's current axes, drew on the last figure of an earlier cell, left open by
    the backend (here it cleared the confusion matrix), and showed nothing in its own cell."""
    nb, client = run_notebook(
        [
            _NOTEBOOK + "\nimport linearnets.plotting as lp",
            "d2l.predict_ch3(net, batches)",
            "d2l.show_images(batches[0][0].reshape(32, 28, 28), 2, 3);",
            "ln.predict(net, batches);",
            "confusion = lp.plot_confusion_matrix(torch.eye(3), ['a', 'b', 'c'])",
            # twice in a cell: the book's plot clears its axes and draws again, on the same figure
            "d2l.plot(list(range(5)), [[1, 2, 3, 4, 5]])\nd2l.plot(list(range(5)), [[5, 4, 3, 2, 1]])",
            "print(d2l.plt.gca().figure is not confusion.figure, len(confusion.images), "
            "len(d2l.plt.gca().lines), len(d2l.plt.get_fignums()))",
        ],
        tmp_path,
    )
    for cell in range(1, 6):
        assert client.messages[cell]["comm_open"] == 1, cell
        assert _backend_figures(nb.cells[cell]) == 1, cell
        assert not _images(nb.cells[cell]), cell  # not shown a second time as an image
    # the confusion matrix is still drawn; the plot's figure is its own, one line, the second's
    assert _stdout(nb.cells[6]).split() == ["True", "1", "1", "5"]
    assert not any(tmp_path.iterdir())
