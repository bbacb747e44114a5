"""Where matplotlib keeps its settings and font cache when the user's home cannot hold them (unit
tests of plotting/_mpl_dirs.py)."""

from __future__ import annotations

import ast
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import linearnets
from linearnets.plotting._mpl_dirs import OWN_FOLDER_PREFIX, settle_config_dir


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of its own, no MPLCONFIGDIR or XDG folders, a temporary folder of its own, and
    matplotlib not yet imported as far as settle_config_dir can tell."""
    for name in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.delitem(sys.modules, "matplotlib", raising=False)
    # settle_config_dir sets it in os.environ: put back as it was after the test
    monkeypatch.setenv("MPLCONFIGDIR", "")
    return tmp_path / "home"


def _own(tmp_path: Path) -> Path:
    return tmp_path / "tmp" / f"{OWN_FOLDER_PREFIX}{os.getuid()}"


def test_a_home_matplotlib_can_write_in_is_left_to_it(home: Path) -> None:
    home.mkdir()
    settle_config_dir()
    assert os.environ["MPLCONFIGDIR"] == ""  # not set: matplotlib's own folders
    assert (home / ".config" / "matplotlib").is_dir()  # made, as matplotlib makes it


@pytest.mark.parametrize("unwritable", ["home", "cache"])
def test_a_home_matplotlib_cannot_write_in_gets_a_folder_of_ours(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unwritable: str
) -> None:
    """HOME=/proc (a file here, which even root cannot make folders in): matplotlib made a
    temporary folder each run, with two lines of warning, and left it behind."""
    if unwritable == "home":
        home.write_text("")  # no folder can be made under it
    else:
        home.mkdir()
        (tmp_path / "cache").write_text("")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    settle_config_dir()
    own = _own(tmp_path)
    assert os.environ["MPLCONFIGDIR"] == str(own)
    assert stat.S_IMODE(own.stat().st_mode) == 0o700
    settle_config_dir()  # the next run: the same folder, its font list kept
    assert os.environ["MPLCONFIGDIR"] == str(own)


def test_an_mplconfigdir_of_the_users_is_kept(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home.write_text("")
    monkeypatch.setenv("MPLCONFIGDIR", "/theirs")
    settle_config_dir()
    assert os.environ["MPLCONFIGDIR"] == "/theirs"


def test_once_matplotlib_is_imported_nothing_is_changed(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home.write_text("")
    monkeypatch.setitem(sys.modules, "matplotlib", sys)  # any module: imported
    settle_config_dir()
    assert os.environ["MPLCONFIGDIR"] == ""


@pytest.mark.parametrize("taken", ["link", "dangling-link", "others-can-write", "file"])
def test_a_name_taken_by_anything_but_a_private_folder_is_not_used(
    home: Path, tmp_path: Path, taken: str
) -> None:
    """/tmp is everyone's: a link or a folder others can write would let them choose the font
    list matplotlib reads; the next name is taken instead, the same in the next run (a new
    mkdtemp folder in each, as before, was left behind by every run)."""
    home.write_text("")
    own = _own(tmp_path)
    if taken == "link":
        (tmp_path / "elsewhere").mkdir()
        own.symlink_to(tmp_path / "elsewhere")
    elif taken == "dangling-link":
        own.symlink_to(tmp_path / "nowhere")
    elif taken == "others-can-write":
        own.mkdir()
        own.chmod(0o777)
    else:
        own.write_text("")
    settle_config_dir()
    used = Path(os.environ["MPLCONFIGDIR"])
    assert used == own.with_name(f"{own.name}-1")
    assert stat.S_IMODE(used.stat().st_mode) == 0o700
    settle_config_dir()  # the next run
    assert os.environ["MPLCONFIGDIR"] == str(used)
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == [own.name, used.name]


def test_every_name_taken_leaves_matplotlib_its_own_folder(home: Path, tmp_path: Path) -> None:
    """The temporary folder shared, its nine names held by another user's files: matplotlib
    makes its own temporary folder and says so on stderr; nothing is made here."""
    home.write_text("")
    own = _own(tmp_path)
    names = [own.name, *(f"{own.name}-{n}" for n in range(1, 9))]
    for name in names:
        (tmp_path / "tmp" / name).write_text("")
    settle_config_dir()
    assert os.environ["MPLCONFIGDIR"] == ""
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == sorted(names)
    (tmp_path / "tmp" / names[-1]).unlink()  # the last one free: taken
    settle_config_dir()
    assert os.environ["MPLCONFIGDIR"] == str(tmp_path / "tmp" / names[-1])


def test_matplotlib_says_nothing_of_its_folders_under_an_unwritable_home(tmp_path: Path) -> None:
    """The oracle: matplotlib's own log, which said "Matplotlib created a temporary cache
    directory at /tmp/matplotlib-... it is highly recommended to set the MPLCONFIGDIR environment
    variable", and the folder it left behind."""
    (tmp_path / "home").write_text("")
    (tmp_path / "tmp").mkdir()
    code = (
        "import torch, linearnets.plotting as p\n"
        "p.show_images(torch.rand(2, 4, 4), 1, 2)\n"
        "import matplotlib; print(matplotlib.get_cachedir())\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MPL", "XDG_"))},
        "HOME": str(tmp_path / "home"),
        "TMPDIR": str(tmp_path / "tmp"),
        "MPLBACKEND": "Agg",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"{_own(tmp_path)}\n"
    assert [p.name for p in (tmp_path / "tmp").iterdir()] == [_own(tmp_path).name]


def _unwritable_home_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user whose home matplotlib cannot write in (a file, as /proc is to
    root), with a temporary folder of its own and no matplotlib settings of theirs."""
    (tmp_path / "home").write_text("")
    (tmp_path / "tmp").mkdir()
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MPL", "XDG_"))},
        "HOME": str(tmp_path / "home"),
        "TMPDIR": str(tmp_path / "tmp"),
        "MPLBACKEND": "Agg",
    }


def test_runs_whose_folder_name_is_a_file_leave_one_folder_between_them(tmp_path: Path) -> None:
    """`echo x > $TMPDIR/linearnets-matplotlib-UID`: each `--plot file` run under an unwritable
    home left a new linearnets-matplotlib-XXXXXXXX behind, silently."""
    env = _unwritable_home_env(tmp_path)
    own = _own(tmp_path)
    own.write_text("x\n")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 3)).astype(np.float32)
    np.savez(tmp_path / "clean.npz", X=X, y=(X[:, 0] > 0).astype(np.int64))
    command = [sys.executable, "-m", "linearnets", "softmax", "--data", "clean.npz", "--epochs"]
    for run in ("a", "b"):
        done = subprocess.run(
            [*command, "1", "--plot", "file", "--out", run],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert (done.returncode, done.stderr) == (0, "")
        assert (tmp_path / run / "curves.png").is_file()
    taken = own.with_name(f"{own.name}-1")
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == [own.name, taken.name]
    assert own.read_text() == "x\n"  # theirs, untouched
    # matplotlib's font list, built once for both runs
    assert [p.name.startswith("fontlist-v") for p in taken.iterdir()] == [True]


@pytest.mark.parametrize(
    "code",
    [
        "d2l.plot([1, 2], [3, 4])",  # its format strings checked by matplotlib first
        "d2l.plt.figure()",
        "d2l.set_figsize((3, 2))",
        "d2l.backend_inline",  # matplotlib_inline imports matplotlib
        "d2l.Animator(xlabel='epoch', mode='none')",  # its scales checked by matplotlib first
    ],
    ids=["plot", "plt", "set_figsize", "backend_inline", "Animator"],
)
def test_the_python_apis_first_use_of_matplotlib_says_nothing_of_its_folders(
    tmp_path: Path, code: str
) -> None:
    """The book's names imported matplotlib themselves, past the MPLCONFIGDIR set-up of
    plotting/_mpl.py: under HOME=/proc, `from linearnets import d2l; d2l.plot([1, 2], [3, 4])`
    printed matplotlib's two lines ("mkdir -p failed for path /proc/.config/matplotlib", "Matplotlib
    created a temporary cache directory at /tmp/matplotlib-...") and made that folder."""
    code = (
        f"from linearnets import d2l\n{code}\nimport matplotlib; print(matplotlib.get_cachedir())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=_unwritable_home_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"{_own(tmp_path)}\n"
    assert [p.name for p in (tmp_path / "tmp").iterdir()] == [_own(tmp_path).name]


# what sets MPLCONFIGDIR up before matplotlib is imported (pyplot and new_figure call the first)
_SET_UP = {"matplotlib_module", "pyplot", "settle_config_dir"}


def _matplotlib_imports(tree: ast.AST) -> Iterator[tuple[ast.AST | None, ast.stmt]]:
    """Yield (the function it is in, or None at module level; the statement) for each import of
    matplotlib (or matplotlib_inline, which imports it) that runs, not a type checker's."""

    def walk(node: ast.AST, function: ast.AST | None) -> Iterator[tuple[ast.AST | None, ast.stmt]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from (pair for item in child.orelse for pair in walk(item, function))
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                names = [a.name for a in child.names] if isinstance(child, ast.Import) else []
                module = child.module if isinstance(child, ast.ImportFrom) else None
                roots = {n.split(".")[0] for n in [*names, module or ""]}
                if roots & {"matplotlib", "matplotlib_inline"}:
                    yield function, child
            inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            yield from walk(child, inner)

    yield from walk(tree, None)


def test_every_import_of_matplotlib_in_the_package_comes_after_the_mplconfigdir_set_up() -> None:
    """Each function that imports matplotlib calls matplotlib_module (or pyplot, or
    settle_config_dir) before it, and no module imports it as it loads: d2l.plt, d2l.set_figsize
    and the format check of d2l.plot imported it themselves, past the set-up."""
    package = Path(linearnets.__file__).parent
    bypasses = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function, statement in _matplotlib_imports(tree):
            calls = [] if function is None else list(ast.walk(function))
            set_up = any(
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id in _SET_UP
                and call.lineno < statement.lineno
                for call in calls
            )
            if not set_up:
                bypasses.append(f"{path.relative_to(package)}:{statement.lineno}")
    assert bypasses == []
