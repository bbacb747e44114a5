"""Where a run folder can be made: each refusal names what is there and the ways on, writing nothing."""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from linearnets.cli._report import one_line
from linearnets.errors import UsageError
from linearnets.training import run_dir_checks
from linearnets.training.run_dir_checks import check_creatable, check_default_runs, check_reachable

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX links and FIFOs")

GOES = "a new run's folder goes in runs/softmax-scratch-TIME here"


def _tree(root: Path) -> list[tuple[str, str]]:
    """Return every entry under ``root`` and what it is (a link by its target), to show that a
    check left the disk as it found it."""
    entries = []
    for path in sorted(root.rglob("*")):
        kind = (
            f"-> {os.readlink(path)}" if path.is_symlink() else "dir" if path.is_dir() else "file"
        )
        entries.append((str(path.relative_to(root)), kind))
    return entries


def _refused(root: Path, check: Callable[..., None], *args: object) -> UsageError:
    """Run ``check(*args)``, which must refuse, and return its error, the disk unchanged."""
    before = _tree(root)
    with pytest.raises(UsageError) as info:
        check(*args)
    assert _tree(root) == before  # nothing made, nothing removed
    return info.value


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working folder, where a run given no out makes runs/."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def only(
    monkeypatch: pytest.MonkeyPatch, deny_search: Callable[..., None], not_root: None
) -> Callable[[Path, str], None]:
    """``only(folder, letters)``: this user, not root, has only the permissions ``letters`` (of
    ``rwx``) on ``folder``, as a chmod gives them (faked: the tests may run as root):
    :func:`os.access` answers by them, and without ``x`` looking anything up in it fails."""

    def give(folder: Path, letters: str) -> None:
        real, folder = os.access, folder.absolute()

        def access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
            if Path(os.path.abspath(os.fsdecode(path))) != folder:
                return real(path, mode, *args, **kwargs)
            bits = {"r": os.R_OK, "w": os.W_OK, "x": os.X_OK}
            return all(letter in letters for letter, bit in bits.items() if mode & bit)

        monkeypatch.setattr(os, "access", access)
        if "x" not in letters:
            deny_search(folder)

    return give


def test_a_runs_file_is_named_as_a_file_with_the_ways_on(here: Path) -> None:
    (here / "runs").write_text("my notes\n")
    err = _refused(here, check_default_runs, "softmax-scratch")
    said = f"runs is a file, not a folder: {GOES}; move or rename it, or pass"
    assert str(err) == f"{said} out=DIR"
    assert one_line(err) == f"{said} --out DIR"
    assert (here / "runs").read_text() == "my notes\n"


def test_a_runs_fifo_is_named_as_one(here: Path) -> None:
    os.mkfifo(here / "runs")
    err = _refused(here, check_default_runs, "softmax-scratch")
    assert str(err) == f"runs is a FIFO, not a folder: {GOES}; move or rename it, or pass out=DIR"


def test_a_dangling_runs_link_names_its_target(here: Path) -> None:
    (here / "runs").symlink_to("/nonexist")
    err = _refused(here, check_default_runs, "softmax-scratch")
    assert one_line(err) == (
        f"runs is a symbolic link to /nonexist, which does not exist: {GOES}; fix or remove the "
        "link, or pass --out DIR"
    )


def test_a_runs_link_to_itself_is_named_a_loop(here: Path) -> None:
    (here / "runs").symlink_to("runs")
    err = _refused(here, check_default_runs, "softmax-scratch")
    assert str(err) == (
        f"runs is a symbolic link that loops back to itself: {GOES}; fix or remove the link, or "
        "pass out=DIR"
    )


def test_a_runs_link_to_a_file_names_its_target(here: Path) -> None:
    (here / "notes.txt").write_text("mine\n")
    (here / "runs").symlink_to("notes.txt")
    err = _refused(here, check_default_runs, "softmax-scratch")
    assert str(err) == (
        f"runs is a symbolic link to notes.txt, which is not a folder: {GOES}; fix or remove the "
        "link, or pass out=DIR"
    )


def test_a_runs_link_to_a_folder_or_a_runs_folder_or_none_is_taken(here: Path) -> None:
    check_default_runs("softmax-scratch")  # none: runs/ is made by the claim, not here
    assert list(here.iterdir()) == []
    (here / "elsewhere").mkdir()
    (here / "runs").symlink_to("elsewhere")
    check_default_runs("softmax-scratch")
    (here / "runs").unlink()
    (here / "runs").mkdir()
    check_default_runs("softmax-scratch")
    assert list((here / "runs").iterdir()) == []


@pytest.mark.usefixtures("not_root")
def test_a_runs_folder_that_cannot_be_written_is_refused(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root every folder is writable: the permission check itself is made to say no."""
    (here / "runs").mkdir()
    monkeypatch.setattr(
        run_dir_checks.os,
        "access",
        lambda path, mode: Path(path) != Path("runs") or not mode & os.W_OK,
    )
    err = _refused(here, check_default_runs, "softmax-scratch")
    assert one_line(err) == (
        f"runs/ is not writable (no w permission): {GOES}; make it writable (chmod u+w runs), or "
        "pass --out DIR"
    )


@pytest.mark.parametrize(
    ("letters", "said"),
    [("w", "is not readable or searchable (no r or x permission): {goes}; make it readable and "
           "searchable (chmod u+rx runs)"),
     ("rw", "is not searchable (no x permission): {goes}; make it searchable (chmod u+x runs)"),
     ("", "is not readable, writable or searchable (no r, w or x permission): {goes}; make it "
          "readable, writable and searchable (chmod u+rwx runs)"),
     ("rx", "is not writable (no w permission): {goes}; make it writable (chmod u+w runs)")],
    ids=["chmod-200", "chmod-600", "chmod-000", "chmod-500"],
)  # fmt: skip
def test_a_runs_folder_this_user_may_not_search_is_refused_with_the_chmod_it_lacks(
    letters: str, said: str, here: Path, only: Callable[[Path, str], None]
) -> None:
    """A runs/ that can be written but not searched said "is not writable; make it writable",
    which chmod u+w does not fix: a new folder is made in runs/ by looking its name up there."""
    (here / "runs").mkdir()
    only(here / "runs", letters)
    err = _refused(here, check_default_runs, "softmax-scratch")
    assert str(err) == f"runs/ {said.format(goes=GOES)}, or pass out=DIR"
    assert one_line(err) == f"runs/ {said.format(goes=GOES)}, or pass --out DIR"


def test_a_runs_folder_that_cannot_be_read_alone_is_taken(
    here: Path, only: Callable[[Path, str], None]
) -> None:
    """chmod 300: a run makes its folder in runs/ and never lists it."""
    (here / "runs").mkdir()
    only(here / "runs", "wx")
    check_default_runs("softmax-scratch")
    check_creatable(Path("runs") / "a")


@pytest.mark.parametrize(
    ("letters", "lacks"),
    [("rw", "is not searchable (no x permission); make it searchable (chmod u+x {here})"),
     ("", "is not readable, writable or searchable (no r, w or x permission); make it readable, "
          "writable and searchable (chmod u+rwx {here})")],
    ids=["chmod-600", "chmod-000"],
)  # fmt: skip
def test_a_working_folder_that_cannot_be_searched_is_refused_by_name_with_its_chmod(
    letters: str, lacks: str, here: Path, only: Callable[[Path, str], None]
) -> None:
    """It said "runs/ cannot be created here (Permission denied)", naming neither the working
    folder nor its fix; a relative out there named it ".", not by its path."""
    only(here, letters)
    said = f"the working folder {here} {lacks.format(here=here)}"
    err = _refused(here, check_default_runs, "softmax-scratch")
    assert str(err) == (
        f"runs/ cannot be created here: {said}, or pass out=DIR, a folder you can write to"
    )
    assert one_line(err) == (
        f"runs/ cannot be created here: {said}, or pass --out DIR, a folder you can write to"
    )
    err = _refused(here, check_creatable, Path("a") / "run")
    assert one_line(err) == (
        f"--out a/run cannot be reached: the working folder {here} cannot be searched (Permission "
        f"denied); make it readable (chmod u+rx {here}), or pass another folder"
    )


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root writes any folder")
def test_a_read_only_runs_folder_is_refused(here: Path) -> None:
    (here / "runs").mkdir(mode=0o555)
    try:
        err = _refused(here, check_default_runs, "softmax-scratch")
    finally:
        (here / "runs").chmod(0o755)
    assert str(err) == (
        f"runs/ is not writable (no w permission): {GOES}; make it writable (chmod u+w runs), or "
        "pass out=DIR"
    )


@pytest.mark.usefixtures("not_root")
def test_no_runs_in_a_working_folder_that_cannot_be_written_is_refused(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        run_dir_checks.os,
        "access",
        lambda path, mode: Path(path) != Path(".") or not mode & os.W_OK,
    )
    err = _refused(here, check_default_runs, "softmax-scratch")
    assert one_line(err) == (
        f"runs/ cannot be created here: the working folder {here} is not writable (no w "
        f"permission); make it writable (chmod u+w {here}), or pass --out DIR, a folder you can "
        "write to"
    )


def test_an_out_inside_a_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    out = tmp_path / "notes.txt" / "run"
    err = _refused(tmp_path, check_creatable, out)
    assert one_line(err) == (
        f"--out {out} cannot be created: {tmp_path / 'notes.txt'} is a file, not a folder; pass "
        "another folder"
    )


@pytest.mark.usefixtures("not_root")
def test_an_out_to_be_made_in_a_folder_that_cannot_be_written_names_that_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The nearest folder that exists is the one out would be made in: its parents' too."""
    out = tmp_path / "a" / "b" / "run"
    monkeypatch.setattr(
        run_dir_checks.os, "access", lambda path, mode: Path(path) != tmp_path or not mode & os.W_OK
    )
    err = _refused(tmp_path, check_creatable, out)
    assert str(err) == (
        f"out='{out}' cannot be created: {tmp_path} is not writable (no w permission); make it "
        f"writable (chmod u+w {tmp_path}), or pass another folder"
    )


@pytest.mark.usefixtures("not_root")
def test_an_out_that_exists_and_cannot_be_written_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chmod 000: it said "is not writable; pass a folder you can write to", naming neither
    the read and search permissions it lacks too nor the chmod that gives them."""
    out = tmp_path / "run"
    out.mkdir()
    monkeypatch.setattr(run_dir_checks.os, "access", lambda path, mode: Path(path) != out)
    err = _refused(tmp_path, check_creatable, out)
    assert str(err) == (
        f"out='{out}' is not readable, writable or searchable (no r, w or x permission); make it "
        f"readable, writable and searchable (chmod u+rwx {out}), or pass another folder"
    )


def test_a_folder_refused_to_root_is_given_no_chmod(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No mode refuses root: what does (``/proc/self``, an immutable folder) no chmod changes."""
    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    monkeypatch.setattr(run_dir_checks.os, "access", lambda path, mode: not mode & os.W_OK)
    err = _refused(here, check_creatable, here)
    assert str(err) == f"out='{here}' is not writable; pass a folder you can write to"
    (here / "runs").mkdir()
    err = _refused(here, check_default_runs, "softmax-scratch")
    assert str(err) == f"runs/ is not writable: {GOES}; pass out=DIR"


def test_an_out_that_can_be_made_is_taken_and_not_made(tmp_path: Path) -> None:
    check_creatable(tmp_path / "a" / "b" / "run")
    assert list(tmp_path.iterdir()) == []


class _ReadOnly:
    """What os.statvfs says of a read-only mount: chmod cannot make it writable."""

    f_flag = os.ST_RDONLY


def test_a_folder_on_a_read_only_file_system_is_named_so_and_not_told_to_be_made_writable(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.access says no on a read-only mount as it does to a mode: the mount is named (it said
    "is not writable; make it writable", which no chmod does there)."""
    (here / "runs").mkdir()
    monkeypatch.setattr(run_dir_checks.os, "access", lambda path, mode: False)
    monkeypatch.setattr(run_dir_checks.os, "statvfs", lambda path: _ReadOnly)
    err = _refused(here, check_default_runs, "softmax-scratch")
    assert one_line(err) == f"runs/ is on a read-only file system: {GOES}; pass --out DIR"
    out = here / "a" / "run"
    err = _refused(here, check_creatable, out)
    assert str(err) == (
        f"out='{out}' cannot be created: {here} is on a read-only file system; pass a folder you "
        "can write to"
    )
    (here / "runs").rmdir()
    err = _refused(here, check_default_runs, "softmax-scratch")
    assert one_line(err) == (
        f"runs/ cannot be created here: the working folder {here} is on a read-only file system; "
        "pass --out DIR, a folder you can write to"
    )


def test_an_out_in_a_folder_that_cannot_be_searched_names_that_folder_and_its_chmod(
    tmp_path: Path, deny_search: Callable[..., None]
) -> None:
    """It said "cannot be created (Permission denied); pass a writable folder", naming neither
    the folder that refuses nor its fix."""
    locked = tmp_path / "locked"
    locked.mkdir()
    deny_search(locked)
    for out in (locked / "run", locked / "a" / "run"):
        err = _refused(tmp_path, check_creatable, out)
        said = (
            f"cannot be reached: {locked} cannot be searched (Permission denied); make it "
            f"readable (chmod u+rx {locked}), or pass another folder"
        )
        assert str(err) == f"out='{out}' {said}"
        assert one_line(err) == f"--out {out} {said}"


def test_a_run_folder_to_read_that_cannot_be_searched_names_the_folder_that_refuses(
    tmp_path: Path, deny_search: Callable[..., None]
) -> None:
    """The folder itself (chmod 000), or one it is in; a folder that is not there, or a file,
    is left to the caller's own words."""
    run = tmp_path / "locked" / "run"
    run.mkdir(parents=True)
    (tmp_path / "notes.txt").write_text("mine\n")
    for missing in (tmp_path / "gone", tmp_path / "notes.txt", tmp_path / "notes.txt" / "run"):
        check_reachable(missing)
    for locked in (run, run.parent):
        deny_search(locked)
        with pytest.raises(UsageError) as info:
            check_reachable(run)
        said = (
            f"must be a folder you can open, got '{run}', but {locked} cannot be searched "
            f"(Permission denied); make it readable (chmod u+rx {locked}), or pass another folder"
        )
        assert str(info.value) == f"run_dir {said}"
        assert one_line(info.value) == f"RUN_DIR {said}"


def _new_run(task: str) -> Callable[[Path | None], object]:
    """Return the call that starts a new ``task`` run in ``out`` (``None``: softmax's default,
    a new folder in runs/) (imported late: torch)."""

    def call(out: Path | None) -> object:
        import linearnets as ln

        if task == "linreg":
            return ln.run_linreg(ln.LinregConfig(out=out, epochs=1))
        return ln.run_softmax(ln.SoftmaxConfig(out=out, epochs=1))

    return call


def _reader(name: str) -> Callable[[Path], object]:
    """Return the public call ``name`` that reads a run folder."""

    def call(run_dir: Path) -> object:
        import linearnets as ln
        from linearnets.tasks.softmax import load_trained
        from linearnets.training.run_config import read_config

        return {
            "resume_softmax": ln.resume_softmax,
            "resume_linreg": ln.resume_linreg,
            "load_trained": load_trained,
            "read_config": read_config,
        }[name](run_dir)

    return call


@pytest.mark.parametrize(
    ("call", "argv"),
    [(_new_run("linreg"), ["linreg", "--out", "RUN", "--epochs", "1"]),
     (_new_run("softmax"), ["softmax", "--out", "RUN", "--epochs", "1"])],
    ids=["run_linreg", "run_softmax"],
)  # fmt: skip
def test_a_new_run_in_a_folder_that_cannot_be_searched_is_refused_by_name(
    call: Callable[[Path | None], object],
    argv: list[str],
    tmp_path: Path,
    deny_search: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The API raised the bare PermissionError of Python 3.11's ``Path.is_dir`` as the run looked
    at its folder, before any check (the command line said it in its own words, exit 1)."""
    from linearnets.cli import main

    locked = tmp_path / "locked"
    locked.mkdir()
    deny_search(locked)
    said = (
        f"cannot be reached: {locked} cannot be searched (Permission denied); make it readable "
        f"(chmod u+rx {locked}), or pass another folder"
    )
    for out in (locked / "run", locked / "a" / "run"):
        with pytest.raises(UsageError, match=rf"^out='{re.escape(str(out))}' {re.escape(said)}$"):
            call(out)
        assert main([str(out) if word == "RUN" else word for word in argv]) == 2
        captured = capsys.readouterr()
        assert captured.err == f"linearnets {argv[0]}: error: --out {out} {said}\n"
    assert list(locked.iterdir()) == []  # nothing made


@pytest.mark.parametrize(
    ("call", "argv"),
    [(_new_run("linreg"), ["linreg", "--out", "RUN", "--epochs", "1"]),
     (_new_run("softmax"), ["softmax", "--out", "RUN", "--epochs", "1"])],
    ids=["run_linreg", "run_softmax"],
)  # fmt: skip
def test_a_new_run_in_an_out_of_mode_000_is_refused_with_the_chmod_it_lacks(
    call: Callable[[Path], object],
    argv: list[str],
    tmp_path: Path,
    only: Callable[[Path, str], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """It said "is not writable; pass a folder you can write to", with no chmod."""
    from linearnets.cli import main

    out = tmp_path / "run"
    out.mkdir()
    only(out, "")
    said = (
        f"is not readable, writable or searchable (no r, w or x permission); make it readable, "
        f"writable and searchable (chmod u+rwx {out}), or pass another folder"
    )
    with pytest.raises(UsageError, match=rf"^out='{re.escape(str(out))}' {re.escape(said)}$"):
        call(out)
    assert main([str(out) if word == "RUN" else word for word in argv]) == 2
    assert capsys.readouterr().err == f"linearnets {argv[0]}: error: --out {out} {said}\n"
    assert list(tmp_path.iterdir()) == [out]


@pytest.mark.parametrize(
    ("letters", "said"),
    [("w", "runs/ is not readable or searchable (no r or x permission): a new run's folder goes "
           "in runs/softmax-analytic-TIME here; make it readable and searchable (chmod u+rx "
           "runs), or pass out=DIR"),
     ("rx", "runs/ is not writable (no w permission): a new run's folder goes in "
            "runs/softmax-analytic-TIME here; make it writable (chmod u+w runs), or pass out=DIR")],
    ids=["chmod-200", "chmod-500"],
)  # fmt: skip
def test_run_softmax_with_a_runs_folder_it_may_not_use_is_refused_with_the_chmod_it_lacks(
    letters: str,
    said: str,
    here: Path,
    only: Callable[[Path, str], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A runs/ that could be written but not searched said "is not writable; make it writable".
    (A linear-regression run given no out keeps no folder.)"""
    import linearnets as ln
    from linearnets.cli import main

    (here / "runs").mkdir()
    only(here / "runs", letters)
    with pytest.raises(UsageError, match=rf"^{re.escape(said)}$"):
        ln.run_softmax(ln.SoftmaxConfig(epochs=1))
    assert main(["softmax", "--epochs", "1"]) == 2
    cli = said.replace("out=DIR", "--out DIR")
    assert capsys.readouterr().err == f"linearnets softmax: error: {cli}\n"
    assert list(here.iterdir()) == [here / "runs"]
    assert list((here / "runs").iterdir()) == []


@pytest.mark.parametrize(
    ("call", "argv"),
    [(_new_run("linreg"), ["linreg", "--out", "a/run", "--epochs", "1"]),
     (_new_run("softmax"), ["softmax", "--out", "a/run", "--epochs", "1"]),
     (_new_run("softmax"), ["softmax", "--epochs", "1"])],
    ids=["run_linreg-out", "run_softmax-out", "run_softmax"],
)  # fmt: skip
def test_a_new_run_in_a_working_folder_that_cannot_be_searched_is_refused_by_name_with_its_chmod(
    call: Callable[[Path | None], object],
    argv: list[str],
    here: Path,
    only: Callable[[Path, str], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """It said "runs/ cannot be created here (Permission denied)", naming neither the working
    folder nor its fix; a relative --out named the folder "."."""
    from linearnets.cli import main

    only(here, "rw")  # chmod 600
    if "--out" in argv:
        api = cli = (
            f"cannot be reached: the working folder {here} cannot be searched (Permission "
            f"denied); make it readable (chmod u+rx {here}), or pass another folder"
        )
        api, cli = f"out='a/run' {api}", f"--out a/run {cli}"
        out: Path | None = Path("a") / "run"
    else:
        api = (
            f"runs/ cannot be created here: the working folder {here} is not searchable (no x "
            f"permission); make it searchable (chmod u+x {here}), or pass out=DIR, a folder you "
            "can write to"
        )
        cli, out = api.replace("out=DIR", "--out DIR"), None
    with pytest.raises(UsageError, match=rf"^{re.escape(api)}$"):
        call(out)
    assert main(argv) == 2
    assert capsys.readouterr().err == f"linearnets {argv[0]}: error: {cli}\n"
    assert list(here.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "argv"),
    [("resume_softmax", ["softmax", "--resume", "RUN"]),
     ("resume_linreg", ["linreg", "--resume", "RUN"]),
     ("load_trained", ["predict", "RUN", "-n", "2"]),
     ("read_config", None)],
    ids=["resume_softmax", "resume_linreg", "load_trained", "read_config"],
)  # fmt: skip
def test_a_run_folder_that_cannot_be_searched_is_refused_by_name_where_it_is_read(
    name: str,
    argv: list[str] | None,
    tmp_path: Path,
    deny_search: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The folder itself (chmod 000), or one it is in: the bare PermissionError of Python 3.11's
    ``Path.is_dir``/``exists``, raised from deep inside the resume or the load."""
    from linearnets.cli import main

    run = tmp_path / "locked" / "run"
    run.mkdir(parents=True)
    for locked in (run, run.parent):
        deny_search(locked)
        said = (
            f"must be a folder you can open, got '{run}', but {locked} cannot be searched "
            f"(Permission denied); make it readable (chmod u+rx {locked}), or pass another folder"
        )
        with pytest.raises(UsageError, match=rf"^run_dir {re.escape(said)}$"):
            _reader(name)(run)
        if argv is not None:
            assert main([str(run) if word == "RUN" else word for word in argv]) == 2
            assert capsys.readouterr().err == f"linearnets {argv[0]}: error: RUN_DIR {said}\n"


@pytest.mark.parametrize(
    ("out", "place"),
    [
        ("/dev/null", "a device in /dev, the folder of the system's devices"),
        ("/dev/h653-no-such-run", "in /dev, the folder of the system's devices"),
        ("/dev", "/dev, the folder of the system's devices"),
        ("/proc/h653-run", "in /proc, the kernel's folder of processes"),
    ],
)
def test_a_run_folder_in_dev_or_proc_is_refused(out: str, place: str) -> None:
    """``linearnets linreg --out /dev/probe`` made a run folder among the devices (root may);
    ``--out /dev/null`` was told "got the file /dev/null"."""
    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev here")
    with pytest.raises(UsageError) as raised:
        check_creatable(Path(out))
    assert str(raised.value) == (
        f"out={out!r} cannot be a run folder: it is {place}; pass out=DIR, a folder of your own "
        "(e.g. a new name in the working folder)"
    )
    assert not os.path.isdir("/dev/h653-no-such-run")


def test_a_device_elsewhere_as_a_run_folder_is_refused_as_a_device(tmp_path: Path) -> None:
    """A device was "the file": ``out must be a folder, got the file ...``."""
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o600 | stat.S_IFCHR, os.stat("/dev/null").st_rdev)
    except (OSError, AttributeError):
        pytest.skip("no device can be made here (not root)")
    with pytest.raises(UsageError) as raised:
        check_creatable(device)
    assert str(raised.value) == (
        f"out={str(device)!r} cannot be a run folder: it is a device; pass out=DIR, a folder of "
        "your own (e.g. a new name in the working folder)"
    )


def test_linreg_out_in_dev_is_refused_one_line_and_exits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from linearnets.cli import main

    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev here")
    assert main(["linreg", "--epochs", "1", "--out", "/dev/null"]) == 2
    assert capsys.readouterr().err == (
        "linearnets linreg: error: --out /dev/null cannot be a run folder: it is a device in "
        "/dev, the folder of the system's devices; pass --out DIR, a folder of your own (e.g. a "
        "new name in the working folder)\n"
    )
