"""The package's public names: each resolves to what its module defines, and importing is cheap."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types
from pathlib import Path

import pytest

import linearnets


@pytest.mark.parametrize("name", sorted(linearnets._EXPORTS))
def test_every_public_name_is_its_modules_own(name: str) -> None:
    module = importlib.import_module(linearnets._EXPORTS[name])
    assert getattr(linearnets, name) is getattr(module, name)
    assert name in linearnets.__all__ and name in dir(linearnets)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'linearnets' has no attribute 'run_softmx'"):
        linearnets.run_softmx  # noqa: B018


def test_importing_the_package_loads_neither_torch_nor_matplotlib() -> None:
    code = "import sys, linearnets; print(sorted({'torch', 'matplotlib'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_version_is_public_and_the_installed_distributions() -> None:
    from importlib.metadata import version

    assert linearnets.__version__ == version("linearnets")
    assert "__version__" in linearnets.__all__ and "__version__" in dir(linearnets)


def test_every_name_the_readme_calls_from_python_is_public() -> None:
    """The examples of the README and of docs/ (``import linearnets as ln``) are an independent
    list of the API."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    named = {
        name
        for page in pages
        for name in re.findall(r"\bln\.([A-Za-z_]\w*)", page.read_text(encoding="utf-8"))
    }
    assert {"fit", "run_softmax", "resume_softmax", "LiveCurves"} <= named  # the examples are there
    assert named <= set(linearnets.__all__)
    assert all(callable(getattr(linearnets, name)) for name in named)


def _type_checking_imports(module: types.ModuleType) -> dict[str, str]:
    """Return what ``module``'s ``if TYPE_CHECKING:`` block imports: name -> module, for the names
    re-exported as such (``from m import x as x``)."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(module))
    blocks = [
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    ]
    assert len(blocks) == 1, "one `if TYPE_CHECKING:` block gives type checkers the lazy names"
    return {
        alias.name: str(node.module)
        for node in blocks[0].body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname == alias.name  # the explicit re-export form a type checker honours
    }


def test_type_checkers_see_each_public_name_imported_from_its_module() -> None:
    """``ln.fit`` is ``fit`` to mypy too (tests/test_typing.py runs it), not the ``Any`` a module
    ``__getattr__`` gives: the block must import exactly the names the lazy loader serves."""
    assert _type_checking_imports(linearnets) == linearnets._EXPORTS


def test_the_result_and_callback_types_are_public() -> None:
    from linearnets.tasks.linreg import LinregResult
    from linearnets.tasks.training_run import SoftmaxResult
    from linearnets.training.callbacks import Callback
    from linearnets.training.guard import DivergenceGuard
    from linearnets.training.history import EpochMetrics

    for cls in (SoftmaxResult, LinregResult, EpochMetrics, Callback, DivergenceGuard):
        assert getattr(linearnets, cls.__name__) is cls
        assert cls.__name__ in linearnets.__all__


# public names with no counterpart in the book: the run machinery and the confusion matrix
NO_BOOK_SECTION = {
    "linearnets.ConsoleLogger",
    "linearnets.CurvesCallback",
    "linearnets.DivergenceGuard",
    "linearnets.EpochMetrics",
    "linearnets.load_trained",
    "linearnets.resume_softmax",
    "linearnets.models.scratch.ScratchModule",
    "linearnets.plotting.confusion_matrix",
    "linearnets.plotting.format_per_class_table",
    "linearnets.plotting.per_class_accuracy",
    "linearnets.plotting.plot_confusion_matrix",
}


@pytest.mark.parametrize(
    "module_name", ["linearnets", "linearnets.models.scratch", "linearnets.plotting"]
)
def test_every_public_callables_docstring_names_its_parameters_and_the_book(
    module_name: str,
) -> None:
    """What ``help(ln.X)`` shows: every parameter said (with its shape where it is a tensor), and
    the book's section (STYLE: "Args/Returns with tensor shapes, 'See D2L §3.x'")."""
    import inspect
    import re

    module = importlib.import_module(module_name)
    unsaid, no_book = {}, []
    for name in module.__all__:
        obj = getattr(module, name)
        if not callable(obj):
            continue
        qualname = f"{module_name}.{name}"
        doc = inspect.getdoc(obj) or ""
        params = [p for p in inspect.signature(obj).parameters if not p.startswith("_")]
        missing = [p for p in params if not re.search(rf"\b{p}\b", doc)]
        if missing:
            unsaid[qualname] = missing
        if qualname not in NO_BOOK_SECTION and "D2L §" not in doc:
            no_book.append(qualname)
    assert unsaid == {}
    assert no_book == []


# the section of the book (chapter 3 as the Chinese 2nd edition and the English releases before 1.0
# number it) whose code defines each name: §3.1.1.1-4 linear model, loss, analytic solution, SGD;
# §3.2.1-7 data, reading it, init, model, loss, optimizer, training; §3.6.1-7 init, softmax, model,
# loss, accuracy, training, prediction; §3.7.1-4 init, softmax revisited, optimizer, training
BOOK_SECTION = {
    "closed_form": "§3.1.1.3",
    "synthetic_data": "§3.2.1",
    "data_iter": "§3.2.2",
    "linreg": "§3.2.4",
    "squared_loss": "§3.2.5",
    "sgd": "§3.2.6",
    "load_array": "§3.3.2",
    "softmax": "§3.6.2",
    "cross_entropy": "§3.6.4",
    "accuracy": "§3.6.5",
    "Accumulator": "§3.6.5",
    "evaluate_accuracy": "§3.6.5",
    "predict": "§3.6.7",
    "init_weights": "§3.7.1",
    "softmax_concise": "§3.7.1",
    "cross_entropy_logits": "§3.7.2",
    "run_softmax": "§3.7.4",
    "SoftmaxResult": "§3.7.4",
}


@pytest.mark.parametrize("name", sorted(BOOK_SECTION))
def test_a_public_docstring_points_to_the_section_of_the_book_that_defines_it(name: str) -> None:
    import inspect
    import re

    doc = inspect.getdoc(getattr(linearnets, name)) or ""
    pointers = re.findall(r"§[\d.]*\d", doc.rpartition("See D2L")[2])
    assert BOOK_SECTION[name] in pointers


def _module_map() -> dict[str, str]:
    """Return the module map (docs/modules.md): each entry's folder under ``src/linearnets`` (""
    for the package's own files, "tasks", "models/scratch", ...) -> the text of its entries."""
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "modules.md"
    block = page.read_text(encoding="utf-8").split("# Module map", 1)[1].split("```", 2)[1]
    folders: dict[str, str] = {}
    folder = None
    for line in block.splitlines():
        entry = re.match(r"  (\S+)", line)
        if entry:  # a new entry: "  tasks/   ...", "  training/loop.py ...", "  config.py ..."
            key = entry.group(1).rstrip(",")
            folder = key.rstrip("/") if key.endswith("/") else key.rpartition("/")[0]
            folders[folder] = folders.get(folder, "") + " "
        elif not line.startswith("   "):  # src/linearnets/, bench/, tests/: not the package's
            folder = None
            continue
        if folder is not None:
            folders[folder] += line
    return folders


def test_the_module_map_names_every_module_and_only_modules_that_exist() -> None:
    """A module is named in its folder's entries, as ``name.py`` or by its name (tasks/: "linreg,
    experiment, ..."); a ``name.py`` the map names is a file of that folder (or a path from
    ``src/linearnets``, ``tasks/linreg.py``)."""
    import re
    from pathlib import Path

    root = Path(linearnets.__file__).resolve().parent
    folders = _module_map()
    files = sorted(p.relative_to(root) for p in root.rglob("*.py") if p.name != "__init__.py")
    unnamed = [
        str(f)
        for f in files
        if not re.search(
            rf"(?<![\w.]){re.escape(f.stem)}(?![\w-])",
            folders.get("" if f.parent == Path() else f.parent.as_posix(), ""),
        )
    ]
    assert unnamed == []
    missing = [
        f"{folder}: {name}"
        for folder, text in folders.items()
        for name in re.findall(r"(?<![\w/])[\w/]+\.py\b", text)
        if not (root / name).is_file() and not (root / folder / name).is_file()
    ]
    assert missing == []


def test_every_public_name_loads_without_matplotlib_or_writing_a_file(tmp_path: Path) -> None:
    """``ln.LiveCurves``, ``ln.show_images`` and ``linearnets.d2l`` load matplotlib on their first
    figure, not when they are looked up; nothing is written (a cache, a data folder) on the way."""
    import os

    code = (
        "import sys, linearnets as ln, linearnets.d2l, linearnets.plotting, linearnets.torchvision\n"
        "[getattr(ln, name) for name in ln.__all__]\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'PIL')))"
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=env,
    )
    assert done.stdout.strip() == "[]"
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")] == ["home"]
