"""Tests of linearnets.plotting._mpl: cheap import, the headless backend choice."""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import re
import shlex
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from linearnets.errors import UsageError
from linearnets.plotting import _mpl


def test_import_is_cheap_and_headless_defaults_to_agg() -> None:
    code = (
        "import sys, torch, linearnets, linearnets.plotting as p\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'\n"
        "p.show_images(torch.rand(2, 4, 4), 1, 2)\n"
        "import matplotlib; print(matplotlib.get_backend().lower())\n"
    )
    headless = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "DISPLAY")}
    chosen = {**headless, "MPLBACKEND": "svg"}
    runs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        for env in (headless, chosen)
    ]
    outputs = [run.communicate(timeout=60)[0].strip() for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert outputs == ["agg", "svg"]  # Agg when headless; an explicit choice is kept


# ---------------------------------------------------------------- where the code runs


def _fake_ipython(monkeypatch: pytest.MonkeyPatch, shell: object) -> None:
    monkeypatch.setitem(
        sys.modules,
        "IPython",
        types.SimpleNamespace(get_ipython=lambda: shell, version_info=(8, 30, 0, "")),
    )


class ZMQInteractiveShell:  # Jupyter's kernel shell, by name
    pass


class Shell(ZMQInteractiveShell):  # Colab's and VS Code's shells subclass it
    pass


class TerminalInteractiveShell:  # `ipython` in a terminal
    pass


@pytest.mark.parametrize(
    ("shell", "expected"),
    [
        (ZMQInteractiveShell(), True),
        (Shell(), True),
        (TerminalInteractiveShell(), False),
        (None, False),  # IPython imported by a plain script: no shell
    ],
    ids=["jupyter", "colab", "terminal-ipython", "no-shell"],
)
def test_in_notebook_is_true_only_in_a_jupyter_kernel(
    monkeypatch: pytest.MonkeyPatch, shell: object, expected: bool
) -> None:
    _fake_ipython(monkeypatch, shell)
    assert _mpl.in_notebook() is expected


def test_in_notebook_without_ipython_is_false(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert _mpl.in_notebook() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY is read on Linux only")
@pytest.mark.parametrize(
    ("env", "expected"),
    [({}, False), ({"DISPLAY": ":0"}, True), ({"WAYLAND_DISPLAY": "wayland-0"}, True)],
    ids=["none", "x11", "wayland"],
)
def test_a_display_is_x11_or_wayland(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: bool
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert _mpl._has_display() is expected


def test_a_backend_counts_as_chosen_when_matplotlib_knows_of_one() -> None:
    def rc(backend: str | None) -> Any:
        return types.SimpleNamespace(
            rcParams=types.SimpleNamespace(_get_backend_or_none=lambda: backend)
        )

    assert _mpl._backend_chosen(rc(None)) is False
    assert _mpl._backend_chosen(rc("svg")) is True
    # a matplotlib without the private helper: the user's choice is assumed, never overridden
    assert _mpl._backend_chosen(types.SimpleNamespace(rcParams=object())) is True


class _FakePyplotFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serve a blank module for ``matplotlib.pyplot``, so pyplot() runs its first-import branch."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "matplotlib.pyplot":
            return None
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec: Any) -> Any:
        return types.ModuleType(spec.name)

    def exec_module(self, module: Any) -> None:
        pass


@pytest.mark.parametrize(
    ("chosen", "notebook", "display", "switched"),
    [
        (False, False, False, ["Agg"]),  # headless script: Agg, never a failing GUI backend
        (True, False, False, []),  # MPLBACKEND, matplotlibrc or matplotlib.use: kept
        (False, True, False, []),  # Jupyter: its inline backend
        (False, False, True, []),  # a desktop: matplotlib's own choice of window
    ],
    ids=["headless", "chosen", "notebook", "display"],
)
def test_pyplot_switches_to_agg_only_when_headless_and_nothing_was_chosen(
    monkeypatch: pytest.MonkeyPatch,
    chosen: bool,
    notebook: bool,
    display: bool,
    switched: list[str],
) -> None:
    import matplotlib

    used: list[str] = []
    monkeypatch.setattr(matplotlib, "pyplot", sys.modules["matplotlib.pyplot"])  # restored after
    monkeypatch.delitem(sys.modules, "matplotlib.pyplot")  # as before the first figure
    monkeypatch.setattr(sys, "meta_path", [_FakePyplotFinder(), *sys.meta_path])
    monkeypatch.setattr(matplotlib, "use", used.append)
    monkeypatch.setattr(_mpl, "_backend_chosen", lambda _: chosen)
    monkeypatch.setattr(_mpl, "in_notebook", lambda: notebook)
    monkeypatch.setattr(_mpl, "_has_display", lambda: display)
    _mpl.pyplot()
    assert used == switched


def test_a_bad_mplbackend_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """matplotlib's import fails on an unknown MPLBACKEND; the message says which variable to fix."""
    import builtins

    real_import = builtins.__import__
    error = "'bogus' is not a valid value for backend; supported values are ['agg', 'svg']"

    def failing_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "matplotlib":
            raise ValueError(error)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing_import)
    monkeypatch.setenv("MPLBACKEND", "bogus")
    with pytest.raises(
        UsageError,
        match=r"^MPLBACKEND must name a matplotlib backend, got 'bogus'; unset it or set "
        r"MPLBACKEND=Agg to draw into files$",  # no --plot: only softmax has that option
    ):
        _mpl.matplotlib_module()
    with pytest.raises(
        UsageError,
        match=r"^MPLBACKEND must name a matplotlib backend, got 'bogus'; unset it, set "
        r"MPLBACKEND=Agg to draw into files, or pass --plot none$",
    ):
        _mpl.matplotlib_module(alternative="pass --plot none")
    error = "some other failure"  # not about the backend: matplotlib's own error, unchanged
    with pytest.raises(ValueError, match=r"^some other failure$"):
        _mpl.matplotlib_module()
    monkeypatch.delenv("MPLBACKEND")
    error = "'bogus' is not a valid value for backend"  # from matplotlibrc, not the variable
    with pytest.raises(ValueError, match="not a valid value for backend"):
        _mpl.matplotlib_module()


@pytest.mark.parametrize("module", ["nope", "linearnets_no_such_package.backend", "a..b"])
def test_an_mplbackend_naming_a_missing_module_is_refused_as_a_bad_name_is(
    monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    """MPLBACKEND=bogus was refused, but module://nope passed (matplotlib imports it only when
    pyplot loads, which a figure drawn into a file never does) and the files were drawn."""
    monkeypatch.setenv("MPLBACKEND", f"module://{module}")
    with pytest.raises(UsageError) as info:
        _mpl.matplotlib_module(alternative="pass --plot none")
    assert str(info.value) == (
        f"MPLBACKEND must name a matplotlib backend, got 'module://{module}', whose module "
        f"{module!r} cannot be imported; unset it, set MPLBACKEND=Agg to draw into files, or "
        "pass --plot none"
    )


def test_an_mplbackend_naming_an_importable_module_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib.backends.backend_agg")
    assert _mpl.matplotlib_module().__name__ == "matplotlib"


@pytest.mark.parametrize("pyplot_first", [False, True], ids=["linearnets-first", "pyplot-first"])
@pytest.mark.parametrize(
    ("backend", "kept"),
    [("module://os", False), ("module://matplotlib.backends.backend_agg", True)],
)
def test_an_mplbackend_naming_a_module_that_is_no_backend_is_refused_at_pyplot(
    backend: str, kept: bool, pyplot_first: bool
) -> None:
    """module://os is importable, so the import check kept it, and the first figure ended in
    matplotlib's traceback (module 'os' has no attribute 'FigureCanvas'); so did the same call
    again after the refusal was caught (a notebook's next cell), and any call where the user had
    imported pyplot first. A fresh process: pyplot loads its backend once."""
    code = (
        ("import matplotlib.pyplot\n" if pyplot_first else "") + "import torch, linearnets as ln\n"
        "from linearnets.errors import UsageError\n"
        "for _ in range(2):\n"
        "    try:\n"
        "        ln.show_images(torch.zeros(2, 28, 28), 1, 2)\n"
        "    except UsageError as exc:\n"
        "        print(exc)\n"
        "import matplotlib.pyplot as plt\n"
        "print(plt.get_backend())\n"
    )
    env = dict(os.environ, MPLBACKEND=backend)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert (proc.returncode, proc.stderr) == (0, "")
    refused = (
        "MPLBACKEND must name a matplotlib backend, got 'module://os', which failed to load as a "
        "backend (AttributeError: module 'os' has no attribute 'FigureCanvas'); unset it or set "
        "MPLBACKEND=Agg to draw into files"
    )
    said = [backend] if kept else [refused, refused, "module://os"]
    assert proc.stdout.splitlines() == said


def test_a_backend_module_failing_with_a_message_of_two_lines_is_refused_in_one(
    tmp_path: Path,
) -> None:
    """Its error's text was put in as it was: a refusal of two lines."""
    (tmp_path / "two_lines_backend.py").write_text('raise RuntimeError("line one\\nline two")\n')
    code = "import torch, linearnets as ln\nln.show_images(torch.zeros(2, 28, 28), 1, 2)\n"
    env = dict(os.environ, MPLBACKEND="module://two_lines_backend", PYTHONPATH=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1] == (
        "linearnets.errors.UsageError: MPLBACKEND must name a matplotlib backend, got "
        "'module://two_lines_backend', which failed to load as a backend (RuntimeError: line "
        "one\\nline two); unset it or set MPLBACKEND=Agg to draw into files"
    )


# ---------------------------------------------------------------- where figures are written


@pytest.mark.parametrize(
    ("out", "match"),
    [
        (3, r"out must be a path \(str or pathlib\.Path\), got 3"),
        ("", r"out must be a file name, got an empty string; pass e\.g\. out='figure\.png'"),
        # the fix keeps the folder and name given ("pass e.g. out='figure.png'" wrote elsewhere)
        (
            "d/fig.jpg",
            r"^out must end with one of \.png, \.svg, \.pdf, got 'd/fig\.jpg'; pass e\.g\. out='d/fig\.png'$",
        ),
        (
            "d/grid",
            r"^out must end with one of \.png, \.svg, \.pdf, got 'd/grid'; pass e\.g\. out='d/grid\.png'$",
        ),
        (
            "run.v2",
            r"^out must end with one of \.png, \.svg, \.pdf, got 'run\.v2'; pass e\.g\. out='run\.v2\.png'$",
        ),
        (  # Path drops the slash: the file fig.png was written
            "d/fig.png/",
            r"^out must name a file, got 'd/fig\.png/', which ends with a separator as a folder "
            r"does; drop it \('d/fig\.png'\) for a file, or name a file in that folder, e\.g\. "
            r"'d/fig\.png/figure\.png'$",
        ),
    ],
)
def test_check_out_path_refuses_what_is_not_a_figure_file(out: Any, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        _mpl.check_out_path("out", out)


def test_a_folder_without_a_suffix_is_refused_as_a_folder_not_for_its_suffix(
    tmp_path: Path,
) -> None:
    """--out results (a folder) was told "--out must end with one of .png, .svg, .pdf", where
    --out results.png (a folder) was told to name a file in it: the same mistake, said alike."""
    (tmp_path / "results").mkdir()
    with pytest.raises(UsageError) as info:
        _mpl.check_out_path("--out", tmp_path / "results", file_name="predict-2.png")
    assert str(info.value) == (
        f"--out {tmp_path / 'results'} is a folder; pass a file name in it, e.g. "
        f"{tmp_path / 'results' / 'predict-2.png'}"
    )
    with pytest.raises(UsageError, match=r"^out .*results is a folder; .* e\.g\. .*/results/figure\.png$"):  # fmt: skip
        _mpl.check_out_path("out", tmp_path / "results")
    with pytest.raises(UsageError, match=r"^--out must end with one of \.png, \.svg, \.pdf, got"):
        _mpl.check_out_path("--out", tmp_path / "new")  # no folder: the suffix is what is missing


def test_check_out_path_takes_upper_case_suffixes_and_refuses_folders(tmp_path: Path) -> None:
    assert _mpl.check_out_path("out", tmp_path / "A.PNG") == tmp_path / "A.PNG"
    assert (
        _mpl.check_out_path("--out", str(tmp_path / "new" / "b.svg")) == tmp_path / "new" / "b.svg"
    )
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(UsageError, match=r"out .*dir\.png is a folder; pass a file name in it"):
        _mpl.check_out_path("out", tmp_path / "dir.png")
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match=r"cannot be written: .*file is a file, not a folder"):
        _mpl.check_out_path("out", tmp_path / "file" / "sub" / "fig.png")


def _small_figure() -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2.0, 1.0), dpi=50)
    fig.subplots().plot([0, 1], [0, 1])
    return fig


def test_save_figure_without_tight_keeps_the_figure_size(tmp_path: Path) -> None:
    fig = _small_figure()
    _mpl.save_figure(fig, tmp_path / "whole.png", tight=False)
    _mpl.save_figure(fig, tmp_path / "tight.png")
    with Image.open(tmp_path / "whole.png") as image:
        assert image.size == (100, 50)  # figsize x dpi, to the pixel
    with Image.open(tmp_path / "tight.png") as image:
        assert image.size != (100, 50)  # cropped (or grown) to the drawing's bounding box


def _confusion(names: list[str], counts: bool = False, empty_row: bool = False) -> Any:
    from linearnets.plotting import plot_confusion_matrix

    c = len(names)
    matrix = torch.arange(c * c).reshape(c, c) % 7 + torch.eye(c, dtype=torch.long) * 50
    if empty_row:
        matrix[1] = 0
    return plot_confusion_matrix(matrix, names, normalize=not counts).figure


def _grid(titled: bool) -> Any:
    from linearnets.plotting import show_images

    images = torch.linspace(0, 1, 5 * 28 * 28).reshape(5, 28, 28)
    titles = ["t-shirt", "ankle boot", "bag", "shirt\ncoat", "sandal"] if titled else None
    return show_images(images, 2, 3, titles)[0].figure


def _predictions() -> Any:
    from linearnets.plotting import plot_predictions

    names = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal"]
    images = torch.rand(6, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    return plot_predictions(images, names, names[::-1])[0].figure


def _legend_outside() -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.0, 2.0))
    ax = fig.subplots()
    ax.plot([0, 1000], [0, 2e6], label="a long label")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle("a title over a plot with an offset on its y axis")
    return fig


FIGURES = {
    "confusion": lambda: _confusion([f"class {i}" for i in range(10)]),
    "confusion counts": lambda: _confusion(["a", "bb", "ccc"], counts=True),
    "confusion empty row": lambda: _confusion(["t-shirt", "trouser", "bag"], empty_row=True),
    "confusion 31 classes": lambda: _confusion([f"c{i}" for i in range(31)]),
    "confusion 1 class": lambda: _confusion(["only"]),
    "grid": lambda: _grid(True),
    "grid untitled": lambda: _grid(False),
    "predictions": _predictions,
    "legend outside": _legend_outside,
}


def _pixels(source: Any) -> np.ndarray:
    with Image.open(source) as image:
        return np.asarray(image.convert("RGBA"))


@pytest.mark.parametrize("pad", [None, 0.3])
@pytest.mark.parametrize("kind", list(FIGURES))
def test_a_tight_png_is_matplotlibs_own_to_the_pixel(
    tmp_path: Path, kind: str, pad: float | None
) -> None:
    """save_figure measures a PNG's tight box without matplotlib's extra draw: the same image."""
    import io

    import matplotlib

    with matplotlib.rc_context({} if pad is None else {"savefig.pad_inches": pad}):
        ours = _mpl.save_figure(FIGURES[kind](), tmp_path / "ours.png")
        oracle = io.BytesIO()
        FIGURES[kind]().savefig(oracle, format="png", bbox_inches="tight")
        oracle.seek(0)
        expected = _pixels(oracle)
        got = _pixels(ours)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_a_tight_png_at_another_dpi_or_with_a_layout_engine_is_left_to_matplotlib() -> None:
    import matplotlib

    fig = _small_figure()
    assert _mpl._tight_box(fig) != "tight"  # measured here
    with matplotlib.rc_context({"savefig.dpi": 120}):
        assert _mpl._tight_box(fig) == "tight"
    fig.set_layout_engine("constrained")
    assert _mpl._tight_box(fig) == "tight"


@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_save_figure_writes_the_same_bytes_twice(tmp_path: Path, suffix: str) -> None:
    """No date (an SVG's is to the microsecond) and fixed ids: the same figure, the same bytes."""
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    _mpl.save_figure(_small_figure(), first)
    _mpl.save_figure(_small_figure(), second)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes().startswith(b"<?xml" if suffix == ".svg" else b"%PDF")


def test_save_figure_creates_missing_folders(tmp_path: Path) -> None:
    path = _mpl.save_figure(_small_figure(), tmp_path / "a" / "b" / "c.png")
    assert path.is_file() and sorted(p.name for p in path.parent.iterdir()) == ["c.png"]


def test_a_failed_save_leaves_no_temporary_file(tmp_path: Path) -> None:
    fig = _small_figure()

    def broken_savefig(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    fig.savefig = broken_savefig  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="disk on fire"):
        _mpl.save_figure(fig, tmp_path / "fig.png")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "taken.png").mkdir()  # the rename onto a folder fails
    with pytest.raises(
        UsageError, match=r"^out must be a figure file, got '.*taken\.png', which is a folder; pass"
    ):
        _mpl.save_figure(_small_figure(), tmp_path / "taken.png")
    assert [p.name for p in tmp_path.iterdir()] == ["taken.png"]


@pytest.mark.parametrize("kind", ["nameless", "temporary", "another file"])
def test_a_failed_write_names_the_figure_not_the_temporary_file(tmp_path: Path, kind: str) -> None:
    """A full disk said "[Errno 28] No space left on device": which figure, nobody knew. The error
    names it, not the temporary file it was written to; another file's (a font's) stays its own."""
    import errno

    fig = _small_figure()

    def broken_savefig(f: Any, **kwargs: Any) -> None:
        if kind == "nameless":  # a write to the open file
            raise OSError(errno.ENOSPC, "No space left on device")
        if kind == "temporary":  # as a rename names both files
            raise OSError(errno.EXDEV, "Invalid cross-device link", os.fspath(f.name), None, "x")
        raise OSError(errno.ENOENT, "No such file or directory", "font.ttf")

    fig.savefig = broken_savefig  # type: ignore[method-assign]
    with pytest.raises(OSError) as info:
        _mpl.save_figure(fig, tmp_path / "fig.png")
    named = "font.ttf" if kind == "another file" else str(tmp_path / "fig.png")
    assert (info.value.filename, info.value.filename2) == (named, None)
    # as printed: the one file, not "'fig.png' -> None" (filename2 set to None is shown)
    said = {
        "nameless": "[Errno 28] No space left on device",
        "temporary": "[Errno 18] Invalid cross-device link",
        "another file": "[Errno 2] No such file or directory",
    }[kind]
    assert str(info.value) == f"{said}: {named!r}"
    assert type(info.value) is (FileNotFoundError if kind == "another file" else OSError)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("parts", [("file", "fig.png"), ("file", "sub", "fig.png")])
def test_a_file_in_the_folder_path_is_named_as_such(tmp_path: Path, parts: tuple[str, ...]) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(
        UsageError,
        match=rf"^out must be a file in a folder you can write to, got .*, but a part of its "
        rf"folder path \({re.escape(str(tmp_path / 'file'))}\) is a file, not a folder; pass",
    ):
        _mpl.save_figure(_small_figure(), tmp_path.joinpath(*parts))


def test_as_numpy_detaches_and_widens_half_precision() -> None:
    x = torch.tensor([0.5, 1.5], requires_grad=True)
    np.testing.assert_array_equal(_mpl.as_numpy(x * 2), np.array([1.0, 3.0], dtype=np.float32))
    half = _mpl.as_numpy(torch.tensor([0.25, 2.0], dtype=torch.bfloat16))
    assert half.dtype == np.float32
    np.testing.assert_array_equal(half, [0.25, 2.0])
    assert _mpl.as_numpy([1, 2]).tolist() == [1, 2]


def test_a_folder_without_write_permission_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_mpl, "open", refused, raising=False)  # root may write anywhere: faked
    with pytest.raises(
        UsageError,
        match=rf"^out must be a file in a folder you can write to, got '.*fig\.png', but the folder "
        rf"{re.escape(str(tmp_path))} is not writable; pass e\.g\. out='figure\.png'$",
    ):
        _mpl.save_figure(_small_figure(), tmp_path / "fig.png")
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_file_system_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """predict in a run folder on a read-only mount said "got ..., but Read-only file system"."""
    import errno

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(_mpl, "open", refused, raising=False)  # no mount needed: faked
    with pytest.raises(UsageError) as info:
        _mpl.save_figure(_small_figure(), tmp_path / "predict-3.png")
    assert str(info.value) == (
        f"out must be a file in a folder you can write to, got {str(tmp_path / 'predict-3.png')!r}, "
        f"but the folder {tmp_path} is on a read-only file system; pass e.g. out='figure.png'"
    )


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="Linux's /proc")
def test_a_folder_that_refuses_new_files_is_named_with_the_reason() -> None:
    """/proc exists but makes no files: it said "got '/proc/x.png', but No such file or directory"."""
    with pytest.raises(UsageError) as info:
        _mpl.save_figure(_small_figure(), Path("/proc/x.png"))
    assert str(info.value) == (
        "out must be a file in a folder you can write to, got '/proc/x.png', but no file can be "
        "made in /proc (No such file or directory); pass e.g. out='figure.png'"
    )


def test_a_saved_pdf_carries_no_creation_date(tmp_path: Path) -> None:
    """Same bytes only within one second is not enough: the PDF's info dictionary holds no date."""
    path = _mpl.save_figure(_small_figure(), tmp_path / "fig.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and b"/Producer" in data  # the info dictionary is there
    assert b"/CreationDate" not in data


@pytest.mark.parametrize(
    ("suffix", "date_key"), [(".SVG", b"<dc:date>"), (".Pdf", b"/CreationDate")]
)
def test_an_upper_case_suffix_still_saves_without_a_date(
    tmp_path: Path, suffix: str, date_key: bytes
) -> None:
    path = _mpl.save_figure(_small_figure(), _mpl.check_out_path("out", tmp_path / f"fig{suffix}"))
    data = path.read_bytes()
    assert data.startswith(b"<?xml" if suffix == ".SVG" else b"%PDF")
    assert date_key not in data


def test_check_out_path_expands_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root= and the configs' out= do: "~/grid.png" is in the home folder, not in a folder "~"."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    expected = Path(os.path.expanduser("~/figs/grid.png"))  # the oracle: Python's expansion
    assert expected == tmp_path / "home" / "figs" / "grid.png"
    assert _mpl.check_out_path("out", "~/figs/grid.png") == expected
    assert _mpl.check_out_path("out", Path("~/figs/grid.png")) == expected


@pytest.mark.parametrize(
    ("name", "out", "suggestion"),
    [
        ("out", ".png", "out='figure.png'"),
        ("out", "figs/.svg", "out='figs/figure.svg'"),
        ("--out", ".PDF", "--out figure.PDF"),
    ],
)
def test_a_name_that_is_only_an_extension_is_told_it_lacks_a_file_name(
    name: str, out: str, suggestion: str
) -> None:
    with pytest.raises(
        UsageError,
        match=rf"^{re.escape(name)} must name a file, got {re.escape(repr(out))}, which has only "
        rf"an extension \({re.escape(Path(out).name)}\) and no file name; pass e\.g\. "
        rf"{re.escape(suggestion)}$",
    ):
        _mpl.check_out_path(name, out)
    fixed = suggestion.split("=", 1)[-1].strip("'").removeprefix("--out ")
    assert _mpl.check_out_path(name, fixed) == Path(fixed)  # the suggestion is accepted


@pytest.mark.parametrize("stem", ["p" * 246, "é" * 123], ids=["ascii", "two-byte"])
def test_a_file_name_of_250_bytes_is_written(tmp_path: Path, stem: str) -> None:
    """The temporary name (.NAME.PID-XXXXXXXX.tmp) was ~20 bytes longer than NAME: names of
    236-255 bytes failed with "File name too long"."""
    name = f"{stem}.png"
    assert len(os.fsencode(name)) == 250
    (tmp_path / name).write_bytes(b"")  # the oracle: the file system takes the name itself
    (tmp_path / name).unlink()
    path = _mpl.save_figure(_small_figure(), _mpl.check_out_path("out", tmp_path / name))
    assert path.read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left
    temporary = _mpl._temporary_name(name)
    assert temporary.startswith(f".{name[:50]}") and temporary.endswith(".tmp")
    assert len(os.fsencode(temporary)) <= 255  # NAME_MAX on Linux and macOS


@pytest.mark.parametrize("kind", ["broken", "loop"])
def test_a_link_to_nowhere_in_the_folder_path_is_named(tmp_path: Path, kind: str) -> None:
    """mkdir reports such a link as "File exists": it was called "a file, not a folder"."""
    link = tmp_path / "figs"
    link.symlink_to(tmp_path / "gone" if kind == "broken" else link)
    what = re.escape(
        f"{link} is a symbolic link to {tmp_path / 'gone'}, which does not exist"
        if kind == "broken"
        else f"{link} is a symbolic link that loops back to itself"
    )
    with pytest.raises(UsageError, match=rf"^out must be a file in a folder .*, but {what}; pass"):
        _mpl.save_figure(_small_figure(), link / "fig.png")
    with pytest.raises(UsageError, match=rf"^--out .*fig\.png cannot be written: {what}; repair"):
        _mpl.check_out_path("--out", link / "sub" / "fig.png")


def test_a_figure_that_cannot_be_written_names_the_setting_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """predict's figure in a read-only run folder said "pass a path in a folder you can write to"
    without naming --out (the command line spells out as --out)."""

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_mpl, "open", refused, raising=False)  # root may write anywhere: faked
    with pytest.raises(UsageError, match=r"^out_dir must be a file in a folder .*out_dir='figure"):
        _mpl.save_figure(_small_figure(), tmp_path / "curves.svg", name="out_dir")
    with pytest.raises(UsageError) as info:  # LiveCurves' out_dir is the folder, not the file
        _mpl.save_figure(
            _small_figure(), tmp_path / "curves.svg", name="out_dir", names_folder=True
        )
    assert str(info.value) == (
        f"out_dir must be a folder you can write to, got {str(tmp_path)!r}, but the folder "
        f"{tmp_path} is not writable; pass e.g. out_dir='figures'"
    )


def test_check_out_path_refuses_a_tilde_it_cannot_expand() -> None:
    path = "~linearnets-nobody/grid.png"
    if os.path.expanduser(path) != path:  # the oracle: Python knows no such user either
        pytest.skip("this machine has a user named linearnets-nobody")
    with pytest.raises(
        UsageError,
        match=r"^--out must be a path whose ~linearnets-nobody can be expanded, got "
        r"'~linearnets-nobody/grid\.png', but the user database knows no user",
    ):
        _mpl.check_out_path("--out", path)


def test_an_empty_cli_out_path_gets_the_cli_example() -> None:
    with pytest.raises(
        UsageError,
        match=r"^--out must be a file name, got an empty string; pass e\.g\. --out figure\.png$",
    ):
        _mpl.check_out_path("--out", "")


@pytest.mark.parametrize(
    ("error", "reason"),
    [(PermissionError(13, "Permission denied"), "Permission denied"), (OSError(), "OSError")],
    ids=["with strerror", "without"],
)
def test_a_folder_that_cannot_be_looked_into_is_named_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, reason: str
) -> None:
    # root reads any folder: the OSError a mode-000 folder raises for others is raised by hand
    def refuse(self: Path) -> bool:
        raise error

    monkeypatch.setattr(Path, "is_dir", refuse)
    out = tmp_path / "fig.png"
    with pytest.raises(
        UsageError,
        match=rf"^out {re.escape(str(out))} cannot be written \({reason}\); pass another path$",
    ):
        _mpl.check_out_path("out", out)


@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_a_tight_svg_or_pdf_is_matplotlibs_own_to_the_byte(tmp_path: Path, fmt: str) -> None:
    """SVG and PDF measure text their own way: their tight box is matplotlib's, not the PNG's."""
    import io

    import matplotlib

    ours = _mpl.save_figure(FIGURES["legend outside"](), tmp_path / f"ours.{fmt}")
    oracle = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "linearnets"}):
        FIGURES["legend outside"]().savefig(
            oracle, format=fmt, bbox_inches="tight", metadata=_mpl._NO_DATE[fmt]
        )
    assert ours.read_bytes() == oracle.getvalue()


@pytest.mark.parametrize("managed", [True, False])
def test_new_figure_has_the_size_asked_and_is_in_pyplot_only_when_managed(managed: bool) -> None:
    import matplotlib.pyplot as plt

    fig = _mpl.new_figure((3.0, 1.25), managed=managed)
    assert tuple(fig.get_size_inches()) == (3.0, 1.25)
    assert (fig.number in plt.get_fignums()) if managed else plt.get_fignums() == []


def test_as_numpy_widens_float16_too() -> None:
    half = _mpl.as_numpy(torch.tensor([0.25, 2.0], dtype=torch.float16))
    assert half.dtype == np.float32
    np.testing.assert_array_equal(half, [0.25, 2.0])


def test_every_temporary_name_fits_name_max_however_long_the_name() -> None:
    # around the cut, the name is cut or not by one byte: each temporary name stays valid
    for length in range(200, _mpl.NAME_MAX + 1):
        temporary = _mpl._temporary_name("a" * (length - 4) + ".png")
        assert len(os.fsencode(temporary)) <= _mpl.NAME_MAX
        assert temporary.startswith(".aaaa") and temporary.endswith(".tmp")


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (
            "a\nb/fig.png/",
            "out must name a file, got {0}/a\\nb/fig.png/', which ends with a separator as a "
            "folder does; drop it ({0}/a\\nb/fig.png') for a file, or name a file in that folder, "
            "e.g. {0}/a\\nb/fig.png/figure.png'",
        ),
        (
            "a\nb/.png",
            "out must name a file, got {0}/a\\nb/.png', which has only an extension (.png) and no "
            "file name; pass e.g. out='{1}/a\\nb/figure.png'",
        ),
        (
            "a\nb/fig.jpg",
            "out must end with one of .png, .svg, .pdf, got {0}/a\\nb/fig.jpg'; pass e.g. "
            "out='{1}/a\\nb/fig.png'",
        ),
        (
            "a\nb/.png",
            "--out must name a file, got {0}/a\\nb/.png', which has only an extension (.png) and "
            "no file name; pass e.g. --out {0}/a\\nb/figure.png'",
        ),
    ],
    ids=["separator", "extension-only", "suffix", "extension-only-cli"],
)
def test_an_out_path_named_with_a_line_break_is_named_as_the_shell_takes_it(
    tmp_path: Path, given: str, said: str
) -> None:
    """repr named it '.../a\\nb/fig.jpg' in Python's escapes, which the shell reads as a backslash
    and an n (and --out's example went out as it is, breaking the line): named as shown_path names
    it; a fix written as Python (out='...') stays repr."""
    (tmp_path / "a\nb").mkdir()
    name = said.partition(" ")[0]
    with pytest.raises(UsageError) as info:
        _mpl.check_out_path(name, f"{tmp_path}/{given}")
    assert str(info.value) == said.format(f"$'{tmp_path}", tmp_path)


@pytest.mark.parametrize("case", ["a-folder", "gone", "not-writable", "folder-not-writable"])
def test_a_figure_in_a_folder_named_with_a_line_break_is_named_on_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """repr named the path '.../a\\nb/fig.png' in Python's escapes, which the shell reads as a
    backslash and an n, and the folder and the example went out as they are, breaking the line:
    each as shown_path names it."""
    odd, said = tmp_path / "a\nb", f"$'{tmp_path}/a\\nb"
    path, name, kwargs = odd / "fig.png", "out", {}
    if case == "a-folder":
        path.mkdir(parents=True)  # the rename onto a folder fails
        expected = (
            f"out must be a figure file, got {said}/fig.png', which is a folder; pass a file name "
            f"in it, e.g. {said}/fig.png/figure.png'"
        )
    elif case == "gone":
        kwargs = {"make_folder": False}
        expected = (
            f"the folder of out must be a folder that exists while the figures are written, got "
            f"{said}', which does not exist (removed since?); make it again, or pass one that "
            "exists"
        )
    else:
        odd.mkdir()

        def refused(*args: Any, **kwargs: Any) -> Any:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(_mpl, "open", refused, raising=False)  # root may write anywhere
        if case == "not-writable":
            expected = (
                f"out must be a file in a folder you can write to, got {said}/fig.png', but the "
                f"folder {said}' is not writable; pass e.g. out='figure.png'"
            )
        else:
            name, kwargs = "out_dir", {"names_folder": True}
            expected = (
                f"out_dir must be a folder you can write to, got {said}', but the folder {said}' "
                "is not writable; pass e.g. out_dir='figures'"
            )
    with pytest.raises(UsageError) as info:
        _mpl.save_figure(_small_figure(), path, name=name, **kwargs)
    assert str(info.value) == expected


def test_the_fix_for_a_folder_that_cannot_be_written_names_one_that_can(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a read-only working folder, out='x.png' was told "pass e.g. out='figure.png'": the
    same folder, refused again. The home folder is offered there (the places and their order:
    tests/test_path_writable.py). As root every folder passes os.access: faked."""
    from linearnets.plotting import _out_path

    here, home = tmp_path / "here", tmp_path / "home"
    here.mkdir()
    home.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("HOME", str(home))
    writable = {home}
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path).resolve() in writable)
    with pytest.raises(UsageError) as info:  # refused before anything is drawn
        _out_path.check_out_writable("out", Path("x.png"))
    assert str(info.value) == (
        f"out must be a file in a folder you can write to, got 'x.png', but the folder {here} "
        "is not writable; pass e.g. out='~/figure.png'"
    )
    with pytest.raises(UsageError) as info:  # the command line's own file name, as typed
        _out_path.check_out_writable("--out", Path("a b.svg"))
    assert str(info.value).endswith("is not writable; pass e.g. --out ~/'a b.svg'")
    writable.clear()

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_mpl, "open", refused, raising=False)
    with pytest.raises(UsageError) as info:  # at saving, where no folder at all can be written
        _mpl.save_figure(_small_figure(), Path("x.png"))
    assert str(info.value) == (
        f"out must be a file in a folder you can write to, got 'x.png', but the folder {here} "
        "is not writable; pass a file in a folder you can write to"
    )


@pytest.mark.parametrize(
    ("out", "fix"),
    [
        ("my fig.jpg", "--out 'my fig.png'"),
        ("-x.jpg", "--out ./-x.png"),
        ("-y/.png", "--out ./-y/figure.png"),
    ],
)
def test_the_out_option_offered_is_one_word_for_the_shell(out: str, fix: str) -> None:
    """The fix kept the user's path but unquoted: 'pass e.g. --out my fig.png' is two words, and
    '--out -x.png' reads -x.png as an option. Followed, the fix is taken as given."""
    with pytest.raises(UsageError) as info:
        _mpl.check_out_path("--out", out)
    assert str(info.value).endswith(f"; pass e.g. {fix}")
    word = shlex.split(fix)[1]
    assert _mpl.check_out_path("--out", word) == Path(word)
