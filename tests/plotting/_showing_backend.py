"""A matplotlib backend that shows a figure itself, as nbagg, ipympl or a GUI window do: its
manager's ``show`` records the figure (``SHOWN``). Used as ``module://`` and its module name."""

from __future__ import annotations

from typing import Any

from matplotlib import is_interactive
from matplotlib.backend_bases import FigureManagerBase, _Backend
from matplotlib.backends.backend_agg import FigureCanvasAgg

SHOWN: list[Any] = []  # the figures the backend showed, in order


class FigureManagerShowing(FigureManagerBase):
    @classmethod
    def create_with_canvas(cls, canvas_class: Any, figure: Any, num: Any) -> Any:
        manager = cls(canvas_class(figure), num)
        if is_interactive():  # as nbagg's does: shown as pyplot makes it
            manager.show()
        return manager

    def show(self) -> None:
        SHOWN.append(self.canvas.figure)


class FigureCanvasShowing(FigureCanvasAgg):
    manager_class = FigureManagerShowing


@_Backend.export
class _BackendShowing(_Backend):
    FigureCanvas = FigureCanvasShowing
    FigureManager = FigureManagerShowing
