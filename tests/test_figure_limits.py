"""Tests for linearnets._figure_limits: one bound on the images of a figure, for the plotting
layer and the command line alike."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import linearnets
from linearnets import _figure_limits


def test_the_bound_on_a_figures_images_is_defined_once() -> None:
    """MAX_SHOW = 100 was written in cli/_options.py and plotting/_image_args.py alike: either
    could change alone, and -n then take what plot_predictions refuses (or the reverse)."""
    src = Path(linearnets.__file__).parent
    defined = sorted(
        path.relative_to(src).as_posix()
        for path in src.rglob("*.py")
        if re.search(r"^MAX_SHOW\b[^=\n]*=", path.read_text(encoding="utf-8"), re.M)
    )
    assert defined == ["_figure_limits.py"]


def test_the_plotting_layer_and_the_command_line_read_the_one_bound() -> None:
    from linearnets.cli import _options
    from linearnets.plotting import _image_args, images

    assert _figure_limits.MAX_SHOW == 100
    for module in (_options, _image_args, images):
        assert module.MAX_SHOW is _figure_limits.MAX_SHOW, module.__name__


def test_reading_the_bound_loads_no_heavy_library() -> None:
    """The command line reads it for its --help, which loads neither torch nor NumPy."""
    code = (
        "import sys, linearnets._figure_limits; "
        "print(sorted(m for m in ('torch', 'numpy', 'matplotlib') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"
