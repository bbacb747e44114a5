"""Tests for linearnets.path_checks: the path settings' length limits (``~`` and links are
exercised through the configs in test_config.py and test_run_config.py)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from linearnets import path_checks
from linearnets.config import SoftmaxConfig
from linearnets.errors import UsageError
from linearnets.path_checks import expand_user


def _name_max(folder: Path) -> int:
    return os.pathconf(folder, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255


def test_a_name_the_file_system_takes_is_accepted_one_byte_longer_is_refused(
    tmp_path: Path,
) -> None:
    """The oracle is the file system itself: mkdir takes the longest name and refuses one more."""
    longest = tmp_path / ("x" * _name_max(tmp_path))
    assert expand_user("out", longest) == longest
    longest.mkdir()  # the limit is the system's own
    too_long = tmp_path / ("x" * (_name_max(tmp_path) + 1))
    with pytest.raises(OSError) as system:
        too_long.mkdir()
    assert system.value.errno == errno.ENAMETOOLONG
    with pytest.raises(
        UsageError,
        match=rf"^out must be a path whose every file or folder name is at most "
        rf"{_name_max(tmp_path)} bytes \(the file system's limit\), got '/.*…x+', whose name "
        rf"'x+…x+' has {_name_max(tmp_path) + 1} bytes; shorten that name$",
    ):
        expand_user("out", too_long)


def test_a_long_name_alone_is_shown_shortened_with_its_size() -> None:
    """pathlib's is_dir() raised "File name too long" on it: the check must not call it."""
    limit = _name_max(Path.cwd())
    with pytest.raises(UsageError) as info:
        expand_user("data_dir", "x" * (limit + 1))
    assert str(info.value) == (
        f"data_dir must be a path whose every file or folder name is at most {limit} bytes (the "
        f"file system's limit), got '{'x' * 44}…{'x' * 15}' ({limit + 1} bytes); shorten that name"
    )


def test_names_are_measured_in_bytes_as_the_file_system_counts_them(tmp_path: Path) -> None:
    """128 characters of "é" are 256 bytes in UTF-8: too long, though fewer than 255 characters."""
    name = "é" * 128
    assert len(os.fsencode(name)) == 256
    with pytest.raises(UsageError, match="has 256 bytes"):
        expand_user("out", tmp_path / name / "a")
    assert expand_user("out", tmp_path / ("é" * 127)) == tmp_path / ("é" * 127)


def test_a_path_longer_than_the_system_takes_is_refused(tmp_path: Path) -> None:
    path_max = os.pathconf(tmp_path, "PC_PATH_MAX") if hasattr(os, "pathconf") else 4096
    long = Path(*["abcdefgh"] * (path_max // 9 + 1))  # short names, a long whole
    assert len(os.fsencode(long)) >= path_max
    with pytest.raises(
        UsageError,
        match=rf"^RUN_DIR must be a path of at most {path_max - 1} bytes \(the file system's "
        rf"limit\), got 'abcdefgh/abcdefgh/.*' \({len(os.fsencode(long))} bytes\); pass a shorter "
        r"path$",
    ):
        expand_user("RUN_DIR", long)


def test_without_pathconf_a_name_is_held_to_255_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no pathconf; a file system that cannot say is taken as Linux's and macOS's."""
    monkeypatch.delattr(os, "pathconf", raising=False)
    assert expand_user("out", "x" * 255) == Path("x" * 255)
    with pytest.raises(UsageError, match=r"at most 255 bytes .* \(256 bytes\)"):
        expand_user("out", "x" * 256)
    assert path_checks.DEFAULT_NAME_MAX == 255


def test_every_path_setting_of_the_configs_is_held_to_the_limit() -> None:
    with pytest.raises(UsageError, match=r"^out must be a path whose every file or folder name"):
        SoftmaxConfig(out="runs/" + "x" * 256)
    with pytest.raises(UsageError, match=r"^data must be a path whose every file or folder name"):
        SoftmaxConfig(data="x" * 256 + ".npz")


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["softmax", "--epochs", "1", "--plot", "none", "--out", "{long}"], "--out"),
        (["softmax", "--resume", "{long}"], "RUN_DIR"),  # --resume's value, as its --help names it
        (["predict", "{long}"], "RUN_DIR"),
        (["data", "--data-dir", "{long}"], "--data-dir"),
        (["linreg", "--data", "{long}.csv"], "--data"),
    ],
)
def test_every_command_names_the_option_of_a_name_too_long(
    argv: list[str], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was a raw "[Errno 36] File name too long (OSError)", exit 1, no option named."""
    from linearnets.cli import main

    long = str(tmp_path / ("x" * 256))
    assert main([word.format(long=long) for word in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        f"linearnets {argv[0]}: error: {named} must be a path whose every file or folder name is "
        "at most 255 bytes (the file system's limit), got '"
    )


def test_the_shown_value_keeps_both_ends() -> None:
    assert path_checks._shortened("short") == "short"
    text = "a" * 50 + "MIDDLE" + "b" * 50
    assert path_checks._shortened(text) == "a" * 44 + "…" + "b" * 15


def test_a_whole_path_of_the_systems_limit_is_refused_one_byte_shorter_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PC_PATH_MAX counts the terminating NUL: the oracle is the system's own lookup, which says
    "File name too long" for a path of PC_PATH_MAX bytes and only "not found" for one byte less."""
    monkeypatch.chdir(tmp_path)
    path_max = os.pathconf(".", "PC_PATH_MAX") if hasattr(os, "pathconf") else 4096
    text = "/".join(["x" * 99] * (path_max // 100 + 1))  # names of 99 bytes, never cut at a "/"
    at_limit, below = text[:path_max], text[: path_max - 1]
    assert not at_limit.endswith("/") and not below.endswith("/")
    with pytest.raises(OSError) as system:
        os.stat(at_limit)
    assert system.value.errno == errno.ENAMETOOLONG
    with pytest.raises(OSError) as system:
        os.stat(below)
    assert system.value.errno == errno.ENOENT
    assert expand_user("out", below) == Path(below)
    with pytest.raises(
        UsageError,
        match=rf"^out must be a path of at most {path_max - 1} bytes .*\({path_max} bytes\)",
    ):
        expand_user("out", at_limit)


def test_a_file_system_that_sets_no_limit_takes_any_length(monkeypatch: pytest.MonkeyPatch) -> None:
    """pathconf says -1 where the system sets no limit: no name or path is then too long."""
    monkeypatch.setattr(os, "pathconf", lambda path, key: -1)
    long = "x" * 300 + "/" + "y" * 5000
    assert expand_user("out", long) == Path(long)


def test_a_text_of_the_most_characters_is_shown_whole() -> None:
    assert path_checks._shortened("c" * 60) == "c" * 60
    assert path_checks._shortened("c" * 61) == "c" * 44 + "…" + "c" * 15


def test_blank_fix_names_the_path_without_blanks_only_where_it_exists(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    assert (
        path_checks.blank_fix(tmp_path / "data ") == f"drop the blank: {str(tmp_path / 'data')!r}"
    )
    assert (
        path_checks.blank_fix(tmp_path / "data  ") == f"drop the blanks: {str(tmp_path / 'data')!r}"
    )
    assert path_checks.blank_fix(tmp_path / "nothing ") is None  # no such folder either way
    assert path_checks.blank_fix(tmp_path / "data") is None  # no blanks to drop


@pytest.mark.parametrize(
    ("path", "bare"),
    [
        (Path("data "), "data"),
        (Path("/w/ d.npz"), "/w/d.npz"),  # a config made it of ' d.npz': the name's blank
        (Path("/w/  "), "/w/"),
        (Path("  "), ""),  # nothing left: not None, which means no blanks
        (Path("/w/data"), None),
    ],
)
def test_without_blanks_tells_a_name_of_blanks_alone_from_one_without_any(
    path: Path, bare: str | None
) -> None:
    assert path_checks.without_blanks(path) == bare


def test_check_path_names_what_the_setting_takes_given_or_by_default() -> None:
    with pytest.raises(
        UsageError,
        match=r"^root must be a non-empty path or None, got ''; pass the dataset's folder, e\.g\. "
        r"root='data', or root=None$",
    ):
        path_checks.check_path("root", "", wanted="the dataset's folder, e.g. root='data'")
    with pytest.raises(
        UsageError,
        match=r"^root must be a non-empty path or None, got ''; pass a file or folder name, "
        r"e\.g\. root='name', or root=None$",
    ):
        path_checks.check_path("root", "")
    assert path_checks.check_path("root", None) is None


def test_a_name_with_blanks_that_exists_in_the_home_folder_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'~/data ' is looked up as the shell would expand it: there, a folder of that very name."""
    monkeypatch.setenv("HOME", str(tmp_path))
    assert path_checks.blanks_problem("~/data ", "a folder") is not None  # not there yet
    (tmp_path / "data ").mkdir()
    assert path_checks.blanks_problem("~/data ", "a folder") is None
    assert path_checks.check_path("out", "~/data ") == tmp_path / "data "


@pytest.mark.parametrize("code", [errno.EACCES, errno.EPERM])
def test_a_folder_that_refuses_the_lookup_is_found_with_either_errno(
    code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulated (root searches any folder): a lookup inside ``locked`` fails with ``code``; the
    folder named is the last one on the way that can itself be looked up from above."""
    locked = tmp_path / "locked"
    (locked / "sub").mkdir(parents=True)
    real_stat = os.stat

    def stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if locked in Path(str(path)).parents:
            raise PermissionError(code, os.strerror(code), str(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat)
    found = path_checks.unsearchable_folder(locked / "sub" / "f.npz")
    assert found == (locked, os.strerror(code))
    assert path_checks.unsearchable_folder(tmp_path / "missing") is None


def test_without_pathconf_a_path_is_held_to_4095_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Linux's PATH_MAX, 4096 with the terminating NUL, where the system cannot say."""
    monkeypatch.delattr(os, "pathconf", raising=False)
    text = "/".join(["x" * 99] * 41)  # names of 99 bytes, never cut at a "/"
    assert expand_user("out", text[:4095]) == Path(text[:4095])
    with pytest.raises(
        UsageError, match=r"^out must be a path of at most 4095 bytes .*\(4096 bytes\)"
    ):
        expand_user("out", text[:4096])
    assert path_checks.DEFAULT_PATH_MAX == 4096


def test_the_limits_are_those_of_the_nearest_folder_that_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder may be another file system (a FAT stick takes shorter names): its limits apply to
    the names below it, not the current folder's. Simulated with a pathconf that says so."""
    small = tmp_path / "stick"
    small.mkdir()

    def pathconf(path: object, key: str) -> int:
        if Path(str(path)) == small:
            return 20 if key == "PC_NAME_MAX" else 4096
        return 255 if key == "PC_NAME_MAX" else 4096

    monkeypatch.setattr(os, "pathconf", pathconf)
    assert expand_user("out", tmp_path / ("x" * 21)) == tmp_path / ("x" * 21)
    with pytest.raises(
        UsageError, match=r"^out must be a path whose every file or folder name is at most 20 bytes"
    ):
        expand_user("out", small / "new" / ("x" * 21))


def test_a_link_replaced_while_it_is_read_is_still_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tmp_path / "runs"
    link.symlink_to(tmp_path / "gone")
    assert (
        path_checks.link_problem(link / "a")
        == f"{link} is a symbolic link to {tmp_path / 'gone'}, which does not exist"
    )

    def readlink(path: object) -> str:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))

    monkeypatch.setattr(os, "readlink", readlink)
    assert (
        path_checks.link_problem(link / "a")
        == f"{link} is a symbolic link to something that does not exist"
    )


def test_a_link_to_a_link_to_nowhere_names_where_the_chain_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """runs -> e -> x/e1 -> /gone was said as "runs is a symbolic link to e, which does not
    exist", and mkdir e failed (File exists): the chain is followed to what does not exist, the
    folder to make; a link to a path through such a link names that link after it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x").mkdir()
    gone = tmp_path / "gone"
    Path("runs").symlink_to("e")
    Path("e").symlink_to(tmp_path / "x" / "e1")
    Path("x", "e1").symlink_to(gone)
    Path("one").symlink_to("x/e1")
    Path("below").symlink_to("e/sub")
    chain = f"e, which leads through links to {gone}, which does not exist"
    assert path_checks.link_problem(Path("runs", "a")) == f"runs is a symbolic link to {chain}"
    assert path_checks.link_problem(Path("one")) == (
        f"one is a symbolic link to x/e1, which is itself a symbolic link to {gone}, which does "
        "not exist"
    )
    assert path_checks.link_problem(Path("below", "a")) == (
        f"below is a symbolic link to e/sub, which does not exist (e is a symbolic link to "
        f"{tmp_path / 'x' / 'e1'}, which is itself a symbolic link to {gone}, which does not exist)"
    )
    # the oracle: the system follows them to that end; made, each path leads to a folder
    with pytest.raises(FileExistsError):
        os.mkdir("e")
    gone.mkdir()
    assert path_checks.link_problem(Path("runs", "a")) is None
    assert Path("runs").is_dir() and Path("one").is_dir()
    assert path_checks.link_problem(Path("below", "a")) == (
        "below is a symbolic link to e/sub, which does not exist"
    )
    (gone / "sub").mkdir()
    assert path_checks.link_problem(Path("below", "a")) is None and Path("below").is_dir()


def test_a_links_dotdot_is_taken_off_the_real_folder_of_the_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """runs -> d/e1, d a link to deep/realdir and e1 a link to ../gone: each hop was resolved as
    text, d/../gone as gone, where the system takes the .. off d's target (deep/gone); made,
    gone fixed nothing and was still named. The folder named is the one whose making fixes it."""
    monkeypatch.chdir(tmp_path)
    Path("deep", "realdir").mkdir(parents=True)
    Path("d").symlink_to(Path("deep", "realdir"))
    Path("deep", "realdir", "e1").symlink_to(Path("..", "gone"))
    Path("runs").symlink_to(Path("d", "e1"))
    said = path_checks.link_problem(Path("runs", "a"))
    assert said is not None
    end = "runs is a symbolic link to d/e1, which is itself a symbolic link to "
    assert said.startswith(end) and said.endswith(", which does not exist")
    named = said.removeprefix(end).removesuffix(", which does not exist")
    # the oracle: the system itself, given the folder named
    assert not os.path.isdir("runs")
    os.mkdir(named)
    assert os.path.isdir("runs") and Path(named).samefile("runs")
    assert path_checks.link_problem(Path("runs", "a")) is None


def test_a_link_through_a_file_names_the_file_where_a_folder_would_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """runs -> f/../gone, f a link to the file f.txt: said as "runs is a symbolic link to
    f/../gone, which does not exist", and making it failed (Not a directory: 'f/..'). The file
    on the way is named, and the link to it; a plain file, or one reached through links, alike.
    Made a folder, as said, f's place leads runs to a folder once gone is made."""
    monkeypatch.chdir(tmp_path)
    Path("f.txt").touch()
    Path("f").symlink_to("f.txt")
    Path("runs").symlink_to(Path("f", "..", "gone"))
    Path("plain").touch()
    Path("r2").symlink_to(Path("plain", "sub"))
    Path("g").symlink_to("f")
    Path("r3").symlink_to(Path("g", "x"))
    # the oracle: the system cannot make the folders the links point at
    for target in ("f/../gone", "plain/sub", "g/x"):
        with pytest.raises(NotADirectoryError):
            os.makedirs(target)
    assert path_checks.link_problem(Path("runs", "a")) == (
        "runs is a symbolic link to f/../gone, which cannot be made (f is a symbolic link to "
        "f.txt, a file, not a folder)"
    )
    assert path_checks.link_problem(Path("r2", "a")) == (
        "r2 is a symbolic link to plain/sub, which cannot be made (plain is a file, not a folder)"
    )
    assert path_checks.link_problem(Path("r3", "a")) == (
        f"r3 is a symbolic link to g/x, which cannot be made (g leads through links to "
        f"{tmp_path / 'f.txt'}, a file, not a folder)"
    )
    Path("f").unlink()
    Path("f").mkdir()
    assert path_checks.link_problem(Path("runs", "a")) == (
        "runs is a symbolic link to gone, which does not exist"
    )
    os.mkdir("gone")
    assert path_checks.link_problem(Path("runs", "a")) is None and os.path.isdir("runs")


def test_the_chmod_fix_quotes_a_folder_as_the_shell_reads_it() -> None:
    import shlex

    folder = Path("/w/my data")
    assert path_checks.searchable_fix((folder, "Permission denied")) == (
        f"make it readable (chmod u+rx {shlex.quote(str(folder))})"
    )
    assert shlex.quote(str(folder)) == "'/w/my data'"


def test_the_working_folder_that_cannot_be_searched_is_named_by_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative path's refusal gives the working folder as ".": it was named "." and its fix
    "chmod u+rx .", saying neither that it is the working folder nor which one it is."""
    monkeypatch.chdir(tmp_path)
    blocked = (Path("."), "Permission denied")
    assert path_checks.cannot_search(blocked) == (
        f"the working folder {tmp_path} cannot be searched (Permission denied)"
    )
    assert path_checks.searchable_fix(blocked) == f"make it readable (chmod u+rx {tmp_path})"
    tmp_path.rmdir()  # removed: it has no path to give
    assert path_checks.cannot_search(blocked) == (
        "the working folder cannot be searched (Permission denied)"
    )
    assert path_checks.searchable_fix(blocked) == "make it readable (chmod u+rx .)"


def test_a_user_folder_named_with_a_line_break_is_named_on_one_line_as_the_shell_takes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """repr named '~a\\nb/run' in Python's escapes (the shell reads a backslash and an n), and
    ~a<newline>b and /home/a<newline>b/run went out as they are, breaking the line: each as
    shown_path names it, beside the ./ fix's $'...'."""
    monkeypatch.chdir(tmp_path)  # no folder "~a\nb" here
    with pytest.raises(UsageError) as info:
        expand_user("out", "~a\nb/run")
    assert str(info.value) == (
        "out must be a path whose $'~a\\nb' can be expanded, got $'~a\\nb/run', but the user "
        "database knows no user 'a\\nb'; write the path out in full (e.g. $'/home/a\\nb/run'), "
        f"or pass $'{tmp_path}/~a\\nb/run' for a folder named $'~a\\nb' here"
    )


@pytest.mark.parametrize("folder", ["", "runs/"])
def test_a_name_too_long_holding_a_line_break_is_named_as_the_shell_takes_it(
    folder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """repr named it 'a\\nxx…' in Python's escapes: as shown_path names it, cut as before."""
    monkeypatch.chdir(tmp_path)
    limit = _name_max(tmp_path)
    name = "a\n" + "x" * limit
    with pytest.raises(UsageError) as info:
        expand_user("out", folder + name)
    got = f"$'{folder}a\\n{'x' * (42 - len(folder))}…{'x' * 15}'"
    if folder:
        got += f", whose name $'a\\n{'x' * 42}…{'x' * 15}' has {limit + 2} bytes"
    else:
        got += f" ({limit + 2} bytes)"
    assert str(info.value) == (
        f"out must be a path whose every file or folder name is at most {limit} bytes (the file "
        f"system's limit), got {got}; shorten that name"
    )


def test_a_path_named_with_a_line_break_and_a_blank_is_named_as_the_shell_takes_it(
    tmp_path: Path,
) -> None:
    """repr named the path and the fix's path '.../a\\nb' in Python's escapes, which the shell
    reads as a backslash and an n: both as shown_path names them."""
    (tmp_path / "a\nb").mkdir()
    assert path_checks.blanks_problem(f"{tmp_path}/a\nb ", "a folder") == (
        "must not begin or end with whitespace (unless a file or folder of that name exists), got "
        f"$'{tmp_path}/a\\nb '; drop it: $'{tmp_path}/a\\nb'"
    )
    assert path_checks.blank_fix(tmp_path / "a\nb ") == f"drop the blank: $'{tmp_path}/a\\nb'"


def test_the_folder_here_that_a_tilde_user_path_is_told_to_name_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It advised ./~nobody/run, which Path normalises to ~nobody/run: the same error again."""
    path = "~linearnets-nobody/run"
    if os.path.expanduser(path) != path:  # the oracle: Python knows no such user either
        pytest.skip("this machine has a user named linearnets-nobody")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as info:
        expand_user("out", path)
    advised = str(info.value).split("or pass ", 1)[1].split(" for a folder named", 1)[0]
    assert advised == f"{tmp_path}/{path}"
    assert expand_user("out", advised) == tmp_path / "~linearnets-nobody" / "run"  # followed


@pytest.mark.parametrize(
    ("path", "place"),
    [
        ("/dev/null", "a device in /dev, the folder of the system's devices"),
        ("/dev/null.png", "in /dev, the folder of the system's devices"),
        ("/dev", "/dev, the folder of the system's devices"),
        ("/proc/x", "in /proc, the kernel's folder of processes"),
        ("/sys/x/y", "in /sys, the kernel's folder of its settings"),
    ],
)
def test_system_place_refuses_bad_paths_in_the_systems_folders_whatever_their_suffix(
    path: str, place: str
) -> None:
    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev here")
    assert path_checks.system_place(Path(path)) == place


def test_system_place_follows_links_and_leaves_the_users_own_paths(tmp_path: Path) -> None:
    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev here")
    (tmp_path / "devices").symlink_to("/dev")
    assert path_checks.system_place(tmp_path / "devices" / "x.png") == (
        "in /dev, the folder of the system's devices (it leads to /dev/x.png)"
    )
    assert path_checks.system_place(tmp_path / "x.png") is None
    assert path_checks.system_place(tmp_path) is None
    assert path_checks.system_place(Path("runs/a")) is None


def test_system_place_leaves_dev_shm_a_tmpfs_for_files() -> None:
    if not os.path.isdir("/dev/shm"):
        pytest.skip("no /dev/shm here")
    assert path_checks.system_place(Path("/dev/shm")) is None
    assert path_checks.system_place(Path("/dev/shm/run/curves.png")) is None
    assert path_checks.system_place(Path("/dev/shmx")) == (
        "in /dev, the folder of the system's devices"
    )
