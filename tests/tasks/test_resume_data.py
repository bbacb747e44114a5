"""The data file a resume continues on, as the run recorded it: gone, relative, or changed.

Unit tests of :mod:`linearnets.tasks.resume_data` and :mod:`linearnets.tasks.resume_content` on
configs and files built by hand; a file that moved, as a change of settings, is in
``test_resume_changes.py``.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from linearnets.cli._report import one_line
from linearnets.config import SoftmaxConfig
from linearnets.data import files
from linearnets.data.folder_contents import FASHION_MNIST_FILES
from linearnets.errors import UsageError
from linearnets.tasks.resume_content import data_change
from linearnets.tasks.resume_data import check_recorded_data, refuse_data_beside
from linearnets.tasks.resume_settings import resumed_config


def test_a_changed_data_file_is_refused_unless_forced(tmp_path: Path) -> None:
    exp: Any = SimpleNamespace(config=SoftmaxConfig(data=tmp_path / "d.npz"), data_sha256="b" * 64)
    assert data_change({"data_sha256": "b" * 64}, exp, tmp_path, force=False) is None
    assert data_change({"data_sha256": None}, exp, tmp_path, force=False) is None
    with pytest.raises(
        UsageError, match=r"d\.npz' changed since the run .* \(SHA-256 aaaaaaaaaaaa…"
    ) as info:
        data_change({"data_sha256": "a" * 64}, exp, tmp_path, force=False)
    # Python's words, then the command line's, as it printed them
    said = (
        "{} changed since the run in {} started (SHA-256 aaaaaaaaaaaa… then, bbbbbbbbbbbb… now), "
        "which would change its result; put the original file back, or pass {} to continue on the "
        "new content"
    )
    data = tmp_path / "d.npz"
    assert str(info.value) == said.format(f"data={str(data)!r}", tmp_path, "force=True")
    assert one_line(info.value) == said.format(f"--data {data}", tmp_path, "--force")
    assert data_change({"data_sha256": "a" * 64}, exp, tmp_path, force=True) == ("a" * 64, "b" * 64)


@pytest.mark.parametrize(
    ("saved", "kept", "fix"),
    [
        ({"data_sha256": "a" * 64}, True, "(its SHA-256 is checked: the same content continues the run, without {})"),
        ({}, True, "with {} (the run recorded no SHA-256 to check the content against)"),
        # config.json lost, the checkpoint's record in its place: checked alike
        ({"data_sha256": "a" * 64}, False, "(its SHA-256 is checked: the same content continues the run, without {})"),
        # ... an earlier linearnets' checkpoint records none: the run did, in the lost file
        ({}, False, "with {} (config.json is lost, and checkpoint.pt, which stands in for it, is an earlier linearnets' that recorded no SHA-256 to check the content against)"),
    ],
    ids=["recorded-sha", "no-sha", "lost-config-checkpoint-sha", "lost-config-no-sha"],
)  # fmt: skip
def test_a_recorded_data_file_that_is_gone_is_named_as_the_runs(
    tmp_path: Path, saved: dict[str, Any], kept: bool, fix: str
) -> None:
    """The user passed no data: the path is the run's config's, and the fix is data=NEWPATH (on
    the command line --data NEWPATH, as it printed). ``kept``: the run's config.json is there
    (``saved`` is it), else ``saved`` is its checkpoint's stand-in."""
    if kept:
        (tmp_path / "config.json").write_text("{}")
    config = SoftmaxConfig(data=tmp_path / "gone.npz", plot="none", device="cpu")
    said = (
        "the run in {} was trained on {}, as the run's config records, which does not exist or is "
        "not a file now; if the file moved, pass {} {}"
    )
    gone = str(tmp_path / "gone.npz")
    with pytest.raises(UsageError) as info:
        check_recorded_data(config, saved, given=set(), run_dir=tmp_path)
    assert str(info.value) == said.format(
        tmp_path, f"data={gone!r}", "data=NEWPATH", fix.format("force=True")
    )
    assert one_line(info.value) == said.format(
        tmp_path, f"--data {gone}", "--data NEWPATH", fix.format("--force")
    )
    # passed by the caller: the data reader's own error names it; a file that is there passes
    check_recorded_data(config, saved, given={"data"}, run_dir=tmp_path)
    (tmp_path / "gone.npz").write_bytes(b"")
    check_recorded_data(config, saved, given=set(), run_dir=tmp_path)


@pytest.mark.parametrize("written", ["x", "data/d.npz"], ids=["name", "nested"])
def test_a_relative_data_path_in_config_json_is_refused_naming_the_key_and_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    """A run writes its data file absolute; "data": "x" by hand was read from the current folder
    and said as the file the run trained on ("trained on data='/elsewhere/x', as the run's config
    records"), even found there. It is refused naming the file's key, the rule, the value and
    where it would be looked for; a data file given to the resume replaces it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x").write_bytes(b"")  # found here, still not the run's: refused all the same
    saved = {"config": {"data": written}, "data_sha256": "a" * 64}
    config = SoftmaxConfig(data=written, plot="none", device="cpu")
    run_dir = tmp_path / "run"
    with pytest.raises(UsageError) as info:
        check_recorded_data(config, saved, given=set(), run_dir=run_dir)
    said = (
        f"{run_dir / 'config.json'}: its 'config' section's 'data' must be an absolute path (a "
        f'run writes the file it trained on as one), got the string "{written}", a relative '
        f"path, which a resume would look for in the current folder, as {config.data}; write the "
        "file's absolute path there, or pass {} to resume on that file (its SHA-256 is checked: "
        "the same content continues the run, without {})"
    )
    assert str(info.value) == said.format("data=FILE", "force=True")
    assert one_line(info.value) == said.format("--data FILE", "--force")
    check_recorded_data(config, saved, given={"data"}, run_dir=run_dir)
    # the path a run writes, and one from the home folder, are no hand edit to refuse
    for taken in (str(tmp_path / "x"), "~/x"):
        monkeypatch.setenv("HOME", str(tmp_path))
        config = SoftmaxConfig(data=taken, plot="none", device="cpu")
        check_recorded_data(config, {"config": {"data": taken}}, given=set(), run_dir=run_dir)


@pytest.mark.parametrize("written", ["fm", "data/fashion-mnist"], ids=["name", "nested"])
def test_a_relative_data_dir_in_config_json_is_refused_naming_the_key_and_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    """A run writes its Fashion-MNIST folder absolute; "data_dir": "fm" by hand was read from
    the current folder, so from another folder a resume read another copy, or none, and said
    --data-dir, an option never given. It is refused naming the key, the rule, the value and
    where it would be looked for; a folder given to the resume replaces it, as a data file does
    (which drops the run's folder)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / written).mkdir(parents=True)  # found here, not the run's: refused all the same
    saved = {"config": {"data_dir": written, "data": None}}
    config = SoftmaxConfig(data_dir=written, plot="none", device="cpu")
    run_dir = tmp_path / "run"
    with pytest.raises(UsageError) as info:
        check_recorded_data(config, saved, given=set(), run_dir=run_dir)
    said = (
        f"{run_dir / 'config.json'}: its 'config' section's 'data_dir' must be an absolute path "
        f'(a run writes the Fashion-MNIST folder it trained on as one), got the string "{written}", '
        "a relative path, which a resume would look for in the current folder, as "
        f"{tmp_path / written}; write the folder's absolute path there (or null, to search the "
        "usual places), or pass {} to resume on the files in that folder"
    )
    assert str(info.value) == said.format("data_dir=DIR")
    assert one_line(info.value) == said.format("--data-dir DIR")
    check_recorded_data(config, saved, given={"data_dir"}, run_dir=run_dir)
    on_file = resumed_config(config, {"data": tmp_path / "d.npz"}, run_dir)  # drops data_dir
    check_recorded_data(on_file, saved, given={"data"}, run_dir=run_dir)
    # the path a run writes, one from the home folder, and none, are no hand edit to refuse (the
    # folder holding the files: one that lost them is refused as the run's, tested below)
    monkeypatch.setenv("HOME", str(tmp_path))
    _four_files(tmp_path / written)
    for taken in (str(tmp_path / written), f"~/{written}", None):
        config = SoftmaxConfig(data_dir=taken, plot="none", device="cpu")
        check_recorded_data(config, {"config": {"data_dir": taken}}, given=set(), run_dir=run_dir)


def _four_files(folder: Path) -> Path:
    """``folder`` made to hold the Fashion-MNIST files by name (what the search looks for)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in FASHION_MNIST_FILES:
        (folder / f"{name}.gz").write_bytes(b"")
    return folder


@pytest.mark.parametrize(
    ("state", "problem"),
    [
        ("gone", "is no longer a folder"),
        ("empty", "lacks train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte now"),
        ("one-gone", "lacks t10k-labels-idx1-ubyte now"),
    ],
    ids=["gone", "empty", "one-gone"],
)  # fmt: skip
@pytest.mark.parametrize("copy", [True, False], ids=["a-copy-found", "no-copy"])
def test_a_recorded_data_dir_that_lost_the_files_is_named_as_the_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state: str, problem: str, copy: bool
) -> None:
    """The user passed no data_dir: the folder is the run's config's. Its reader said "--data-dir
    must be an existing folder, got ...", an option never given, and "they are read from there
    when no --data-dir DIR is passed", which it was not: a resume reads the run's folder. It is
    named as the run's, with the fix data_dir=NEWDIR (--data-dir NEWDIR), and a copy found here
    offered as one."""
    monkeypatch.chdir(tmp_path)  # no data/FashionMNIST here or above, no Keras cache
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    debian = _four_files(tmp_path / "debian") if copy else None
    monkeypatch.setattr(files, "_debian_dir", lambda: debian)
    folder = tmp_path / "fm"
    if state != "gone":
        folder.mkdir()
    if state == "one-gone":
        _four_files(folder)
        (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    config = SoftmaxConfig(data_dir=folder, plot="none", device="cpu")
    saved = {"config": {"data_dir": str(folder), "data": None}}
    run_dir = tmp_path / "run"
    with pytest.raises(UsageError) as info:
        check_recorded_data(config, saved, given=set(), run_dir=run_dir)
    said = (
        "the run in {} was trained on {}, as the run's config records, which {}; if the "
        "Fashion-MNIST files moved, pass {} (they are checked against Fashion-MNIST's MD5s: any "
        "folder with the four continues the run){}"
    )
    found = (
        "; a copy is found here (Debian package dataset-fashion-mnist: {}): pass {} to resume on it"
    )
    api_found = found.format(debian, f"data_dir={str(debian)!r}") if copy else ""
    cli_found = found.format(debian, f"--data-dir {debian}") if copy else ""
    assert str(info.value) == said.format(
        run_dir, f"data_dir={str(folder)!r}", problem, "data_dir=NEWDIR", api_found
    )
    assert one_line(info.value) == said.format(
        run_dir, f"--data-dir {folder}", problem, "--data-dir NEWDIR", cli_found
    )
    # given by the caller: the reader's own error names it; a folder with the files passes
    check_recorded_data(config, saved, given={"data_dir"}, run_dir=run_dir)
    _four_files(folder)
    check_recorded_data(config, saved, given=set(), run_dir=run_dir)


_SYNTHETIC = ("num_examples", "noise_std", "true_w", "true_b")
_WHY = "the rule"


@pytest.mark.parametrize(
    ("records", "fix"),
    [
        ({"data_sha256": "a" * 64}, 'set "num_examples" and "true_w" to null, as the run was trained on the file (its "data_sha256" records the file\'s content)'),
        ({"data_sha256": None}, 'set "data" to null, as the run was trained on no data file (its "data_sha256" is null)'),
        ({}, 'set "data" to null, or "num_examples" and "true_w" to null, as the run was trained'),
    ],
    ids=["file-run", "no-file-run", "unknown"],
)  # fmt: skip
def test_a_data_file_beside_settings_no_run_records_with_one_is_named_as_the_file_holds_them(
    tmp_path: Path, records: dict[str, Any], fix: str
) -> None:
    """A synthetic run's config.json given a "data" by hand was refused as "num_examples and ...
    cannot be given with --data /cwd/rel/x.csv": options never passed, and the path made
    absolute. The keys and values are named as the file holds them, with the rule, and the fix
    the run's data_sha256 tells."""
    section = {"data": "rel/x.csv", "num_examples": 50, "noise_std": None, "true_w": [2.0, -3.4]}
    saved = {"config": section, **records}
    with pytest.raises(UsageError) as info:
        refuse_data_beside(saved, tmp_path, _SYNTHETIC, why=_WHY, instead="put it back")
    said = (
        f'{tmp_path / "config.json"}: its \'config\' section holds "data": "rel/x.csv" beside '
        '"num_examples": 50 and "true_w": [2.0, -3.4], which no run records together (the rule); '
        f"{fix}, or put it back"
    )
    assert str(info.value) == said
    assert one_line(info.value) == said  # no option named: the command line says it the same


@pytest.mark.parametrize(
    "section",
    [
        {"data": None, "num_examples": 50},  # a synthetic run's
        {"data": "/d.csv", "num_examples": None, "true_w": None},  # a data file's run's
        {"data": "", "num_examples": 50},  # no path: the setting's check names it
        {"data": 5, "num_examples": 50},
        {"num_examples": 50},
    ],
    ids=["synthetic", "file", "empty", "number", "no-data"],
)
def test_a_data_file_alone_or_no_data_file_passes_the_check_of_data_beside_others(
    tmp_path: Path, section: dict[str, Any]
) -> None:
    refuse_data_beside({"config": section}, tmp_path, _SYNTHETIC, why=_WHY, instead="")
    refuse_data_beside({"config": 5}, tmp_path, _SYNTHETIC, why=_WHY, instead="")
