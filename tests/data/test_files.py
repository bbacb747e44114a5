"""Finding the files: each search location, in order, and the errors when they are nowhere."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from linearnets.cli._cli_words import cli_words
from linearnets.data import files
from linearnets.data.files import HOW_TO_GET, find_fashion_mnist
from linearnets.errors import DatasetError, DataWarning, UsageError

from .conftest import Tiny, broken_link, get_again

LOCATIONS = ["env", "debian", "data", "parent-data", "keras"]


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """One empty folder per search location, wired in: env var, Debian dir, cwd, ../, home."""
    work = tmp_path / "project" / "work"
    work.mkdir(parents=True)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: home))
    folders = {
        "env": tmp_path / "env",
        "debian": tmp_path / "debian",
        "data": work / "data" / "FashionMNIST" / "raw",
        "parent-data": tmp_path / "project" / "data" / "FashionMNIST" / "raw",
        "keras": home / ".keras" / "datasets" / "fashion-mnist",
    }
    folders["env"].mkdir()  # LINEARNETS_DATA must name a folder; an empty one is passed over
    monkeypatch.setenv("LINEARNETS_DATA", str(folders["env"]))
    monkeypatch.setattr(files, "_debian_dir", lambda: folders["debian"])
    return folders


LABELS = {
    "env": "$LINEARNETS_DATA",
    "debian": "Debian package",
    "data": "data/FashionMNIST/raw",
    "parent-data": "../data/FashionMNIST/raw",
    "keras": "Keras cache",
}


@pytest.mark.parametrize("first", range(len(LOCATIONS)), ids=LOCATIONS)
def test_each_location_in_order(
    places: dict[str, Path], tiny: Tiny, first: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if first > 0:  # an empty LINEARNETS_DATA passed over warns (tested on its own): left unset
        monkeypatch.delenv("LINEARNETS_DATA")
    for where in LOCATIONS[first:]:  # every later location holds the files too: the earliest wins
        tiny.write(places[where])
    found = find_fashion_mnist(checksums=tiny.files)
    where = LOCATIONS[first]
    assert LABELS[where] in found.source
    assert found.directory.resolve() in (
        places[where].resolve(),
        places[where].parents[1].resolve(),
    )
    assert set(found.paths) == set(tiny.files)
    assert all(p.resolve().parent == places[where].resolve() for p in found.paths.values())


def test_explicit_root_comes_first(places: dict[str, Path], tiny: Tiny, tmp_path: Path) -> None:
    for where in LOCATIONS:
        tiny.write(places[where])
    root = tiny.write(tmp_path / "mine", gz=False)
    found = find_fashion_mnist(root, checksums=tiny.files)
    assert found.source == f"--data-dir {root}"
    assert found.paths["train-images-idx3-ubyte"] == root / "train-images-idx3-ubyte"


def test_root_with_torchvision_layout(places: dict[str, Path], tiny: Tiny, tmp_path: Path) -> None:
    tiny.write(tmp_path / "root" / "FashionMNIST" / "raw")
    found = find_fashion_mnist(tmp_path / "root", checksums=tiny.files)
    assert (
        found.paths["t10k-labels-idx1-ubyte"].parent == tmp_path / "root" / "FashionMNIST" / "raw"
    )


@pytest.mark.parametrize("layout", ["flat", "torchvision"])
def test_found_folder_is_the_folder_holding_the_files(
    tiny: Tiny, tmp_path: Path, layout: str
) -> None:
    """``directory`` is the root searched; ``folder`` the layout folder the four files are in."""
    root = tmp_path / "root"
    holder = root if layout == "flat" else root / "FashionMNIST" / "raw"
    tiny.write(holder)
    found = find_fashion_mnist(root, checksums=tiny.files)
    assert found.directory == root and found.folder == holder
    assert sorted(p.name for p in found.folder.iterdir()) == sorted(f"{n}.gz" for n in tiny.files)


def test_unset_env_and_missing_debian_are_skipped(
    places: dict[str, Path], tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINEARNETS_DATA")
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    tiny.write(places["keras"])
    assert "Keras" in find_fashion_mnist(checksums=tiny.files).source


def test_a_location_missing_one_file_is_passed_over(places: dict[str, Path], tiny: Tiny) -> None:
    tiny.write(places["env"])
    (places["env"] / "t10k-labels-idx1-ubyte.gz").unlink()
    tiny.write(places["keras"])
    with pytest.warns(DataWarning) as caught:
        assert "Keras" in find_fashion_mnist(checksums=tiny.files).source
    assert [str(w.message) for w in caught] == [
        f"LINEARNETS_DATA names {places['env']}, which lacks t10k-labels-idx1-ubyte, so it was "
        "passed over: Fashion-MNIST is read from the Keras cache ~/.keras/datasets/fashion-mnist: "
        f"{places['keras']}; point it at the folder with the four *-ubyte.gz files (or their "
        "FashionMNIST/raw), or unset it (unset LINEARNETS_DATA) to read these without a warning"
    ]


def test_explicit_root_missing_files_lists_them(tiny: Tiny, tmp_path: Path) -> None:
    root = tiny.write(tmp_path / "root")
    (root / "train-labels-idx1-ubyte.gz").unlink()
    (root / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(
        UsageError, match=r"which lacks train-labels-idx1-ubyte, t10k-images-idx3-ubyte;"
    ):
        find_fashion_mnist(root, checksums=tiny.files)


def test_a_root_with_the_files_split_across_its_two_layouts_is_told_to_move_them(
    tiny: Tiny, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The training files in root, the test files in its FashionMNIST/raw/: it was told it lacks
    the test files, which are there, and to install or download them."""
    from linearnets.cli import main

    root = tmp_path / "split"
    tiny.write(root)
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (root / f"{name}.gz").rename(raw / f"{name}.gz")
    said = (
        "which lacks t10k-images-idx3-ubyte (found in FashionMNIST/raw/, apart from the others), "
        "t10k-labels-idx1-ubyte (found in FashionMNIST/raw/, apart from the others); the 4 files "
        "must sit in one folder: move t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz "
        f"from {raw}/ into {root} (or the others into {raw}/)"
    )
    with pytest.raises(UsageError) as info:
        find_fashion_mnist(root, checksums=tiny.files)
    assert str(info.value) == (
        "root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
        f"{str(root)!r}, {said}"
    )
    assert main(["data", "--data-dir", str(root)]) == 2  # the real checksums: the same refusal
    assert capsys.readouterr().err == (
        "linearnets data: error: --data-dir must hold the Fashion-MNIST files (or "
        f"FashionMNIST/raw/ with them), got {str(root)!r}, {said}\n"
    )
    (raw / "t10k-labels-idx1-ubyte.gz").rename(root / "t10k-labels-idx1-ubyte.gz")
    (root / "train-images-idx3-ubyte.gz").rename(raw / "train-images-idx3-ubyte.gz")
    (root / "train-labels-idx1-ubyte.gz").rename(raw / "train-labels-idx1-ubyte.gz")
    with pytest.raises(UsageError) as info:  # raw/ holds three: the one apart is in root
        find_fashion_mnist(root, checksums=tiny.files)
    assert str(info.value).endswith(
        f"which lacks t10k-labels-idx1-ubyte (found in {root} itself, apart from the others); "
        "the 4 files must sit in one folder: move t10k-labels-idx1-ubyte.gz from "
        f"{root} into {raw}/ (or the others into {root})"
    )


def test_a_file_in_both_layouts_is_not_offered_the_others_moved_onto_it(
    tiny: Tiny, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """root holds a valid train-images, its FashionMNIST/raw/ one cut short beside the test files:
    the fix offered the others moved into root too, the cut one over the valid one (h379)."""
    from linearnets.cli import main

    root = tiny.write(tmp_path / "d3")
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (root / f"{name}.gz").rename(raw / f"{name}.gz")
    (raw / "train-images-idx3-ubyte.gz").write_bytes(tiny.gz["train-images-idx3-ubyte"][:40])
    said = (
        f"which lacks train-labels-idx1-ubyte (found in {root} itself, apart from the others); "
        "the 4 files must sit in one folder: move train-labels-idx1-ubyte.gz from "
        f"{root} into {raw}/"
    )
    with pytest.raises(UsageError) as info:
        find_fashion_mnist(root, checksums=tiny.files)
    assert str(info.value).endswith(said)
    assert main(["data", "--data-dir", str(root)]) == 2  # the real checksums: the same fix
    assert capsys.readouterr().err.endswith(f"{said}\n")


def _do_as_told(message: str) -> None:
    """Run, from the working folder, the ``mv`` of each rename and move ``message`` tells, its
    paths word for word."""
    for fix in message.split("; ")[1:]:
        if fix.startswith("rename "):
            pairs = fix.removeprefix("rename ").split(", the names")[0]
            for pair in re.split(r", | and ", pairs):
                source, target = pair.split(" to ")
                subprocess.run(["mv", "-n", source, target], check=True)
        elif "must sit in one folder: move " in fix:
            told = re.fullmatch(r".*: move (.+) from (\S+) into (\S+)(?: \(or the others .*)?", fix)
            assert told is not None, fix
            names, source, target = told.groups()
            for name in re.split(r", | and ", names):
                subprocess.run(["mv", "-n", f"{source.rstrip('/')}/{name}", target], check=True)


def _lay_out(tiny: Tiny, root: Path, layout: str) -> None:
    """Write the tiny files under ``root`` in ``layout``: some in ``root``, some in its
    FashionMNIST/raw/, or one misnamed (a near miss the folder's check names a rename for)."""
    raw = root / "FashionMNIST" / "raw"
    if layout in ("near miss in raw, 3 in root", "split across the layouts"):
        tiny.write(root)
        raw.mkdir(parents=True)
        if layout == "near miss in raw, 3 in root":
            (root / "train-images-idx3-ubyte.gz").rename(raw / "train-images.idx3-ubyte.gz")
        else:
            (root / "t10k-labels-idx1-ubyte.gz").rename(raw / "t10k-labels-idx1-ubyte.gz")
    elif layout == "all in raw, one misnamed":
        tiny.write(raw)
        (raw / "t10k-labels-idx1-ubyte.gz").rename(raw / "t10k-labels.idx1-ubyte.gz")
    else:  # mixed: apart and misnamed
        tiny.write(raw)
        (raw / "t10k-images-idx3-ubyte.gz").rename(root / "t10k-images-idx3-ubyte.gz")
        (raw / "t10k-labels-idx1-ubyte.gz").rename(root / "t10k-labels.idx1-ubyte.gz")


@pytest.mark.parametrize(
    "layout",
    ["near miss in raw, 3 in root", "all in raw, one misnamed", "mixed: apart and misnamed"],
)
def test_the_moves_and_renames_told_done_word_for_word_from_the_same_folder_give_a_read_folder(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    """The reviewer's layouts of --data-dir lay/s2, lay/s3 and lay/s6: the rename's target was a
    bare name ("to train-images-idx3-ubyte.gz") whether the file stayed in FashionMNIST/raw/ or
    went to the root, and the move named the root from the working folder but FashionMNIST/raw/
    from the root; a mv as told failed or left the folder refused."""
    monkeypatch.chdir(tmp_path)
    root = Path("lay") / "s"
    _lay_out(tiny, root, layout)
    with pytest.raises(UsageError) as info:
        find_fashion_mnist(root, checksums=tiny.files)
    _do_as_told(str(info.value))
    found = find_fashion_mnist(root, checksums=tiny.files)
    assert sorted(found.paths) == sorted(tiny.files)


@pytest.mark.parametrize(
    "layout", ["split across the layouts", "all in raw, one misnamed", "mixed: apart and misnamed"]
)
def test_the_moves_and_renames_told_for_a_folder_with_a_space_run_as_pasted_into_bash(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    """--data-dir "my data" was told "move t10k-labels-idx1-ubyte.gz from my
    data/FashionMNIST/raw/ into my data": pasted after mv, four words, and a mv that fails.
    Each path is quoted for the shell now; the advice, run by bash as written, gives a folder
    that reads."""
    monkeypatch.chdir(tmp_path)
    root = Path("my data")
    _lay_out(tiny, root, layout)
    with pytest.raises(UsageError) as info:
        find_fashion_mnist(root, checksums=tiny.files)
    message = str(info.value)
    told = "; ".join(message.split("; ")[1:])  # the fixes: the description names it unquoted
    assert "'my data" in told and " my data" not in told
    for fix in message.split("; ")[1:]:
        if fix.startswith("rename "):
            pairs = fix.removeprefix("rename ").split(", the names")[0]
            for pair in re.split(r", | and ", pairs):
                subprocess.run(["bash", "-c", f"mv -n {pair.replace(' to ', ' ')}"], check=True)
        elif "must sit in one folder: move " in fix:
            moved = re.fullmatch(
                r".*: move (.+) from (.+?) into (.+?)(?: \(or the others .*)?", fix
            )
            assert moved is not None, fix
            names, source, target = moved.groups()
            for name in re.split(r", | and ", names):
                path = f"{source.rstrip('/')}/{name}"  # 'my data'/a, 'my data/F/raw'/a
                subprocess.run(["bash", "-c", f"mv -n {path} {target}"], check=True)
    found = find_fashion_mnist(root, checksums=tiny.files)
    assert sorted(found.paths) == sorted(tiny.files)


@pytest.mark.parametrize(
    ("spelled", "raw"),
    [
        ({"train-images-idx3-ubyte": "train-images.idx3-ubyte.gz"}, False),
        ({"t10k-labels-idx1-ubyte": "t10k-labels-idx1-ubyte.GZ"}, False),
        ({"train-images-idx3-ubyte": "Train-Images.idx3-ubyte"}, True),
    ],
    ids=["dotted", ".GZ", "case and dots in raw/"],
)
def test_a_file_under_a_near_miss_name_is_told_to_be_renamed(
    tiny: Tiny, tmp_path: Path, spelled: dict[str, str], raw: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """train-images.idx3-ubyte (some mirrors' spelling) or .GZ: the root was told it lacks the
    file, with no word of the one there under a name one rename away. Both paths of the rename
    start at the root as given: a bare target ("to t10k-labels-idx1-ubyte.gz") was in place for
    one file in FashionMNIST/raw/ and the root for one moved in from the root."""
    monkeypatch.chdir(tmp_path)
    root = Path("root")  # given relative: the mv is run from here
    folder = tiny.write(root / "FashionMNIST" / "raw" if raw else root)
    ((name, other),) = spelled.items()
    (folder / f"{name}.gz").rename(folder / other)
    target = name if not other.lower().endswith(".gz") else f"{name}.gz"
    shown = f"FashionMNIST/raw/{other}" if raw else other
    with pytest.raises(UsageError) as info:
        find_fashion_mnist(root, checksums=tiny.files)
    assert str(info.value) == (
        "root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
        f"'root', which lacks {name} (found as {shown}); rename root/{shown} to "
        f"{folder / target}, the names linearnets and torchvision read"
    )
    _do_as_told(str(info.value))
    assert find_fashion_mnist(root, checksums=tiny.files).folder == folder


def test_a_near_miss_name_in_the_other_layout_is_told_to_be_renamed_into_the_fuller_one(
    tiny: Tiny, tmp_path: Path
) -> None:
    """Three files in FashionMNIST/raw/, the fourth in the root as train-images.idx3-ubyte.gz: it
    was told to be renamed where it was, then refused as apart from the others. The rename it is
    told moves it into the layout that holds the rest, and the folder is then read."""
    root = tmp_path / "root"
    folder = tiny.write(root / "FashionMNIST" / "raw")
    (folder / "train-images-idx3-ubyte.gz").rename(root / "train-images.idx3-ubyte.gz")
    with pytest.raises(UsageError) as info:
        find_fashion_mnist(root, checksums=tiny.files)
    assert str(info.value) == (
        "root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
        f"{str(root)!r}, which lacks train-images-idx3-ubyte (found as train-images.idx3-ubyte.gz); "
        f"rename {root}/train-images.idx3-ubyte.gz to {folder}/train-images-idx3-ubyte.gz, the "
        "names linearnets and torchvision read"
    )
    _do_as_told(str(info.value))
    assert find_fashion_mnist(root, checksums=tiny.files).folder == folder


def test_explicit_root_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"root must be an existing folder, got .*nowhere"):
        find_fashion_mnist(tmp_path / "nowhere")


def test_nothing_found_says_how_to_get_it(places: dict[str, Path], tiny: Tiny) -> None:
    with pytest.raises(DatasetError) as info:
        find_fashion_mnist(checksums=tiny.files)
    message = str(info.value)
    assert "was not found" in message
    assert "apt-get install dataset-fashion-mnist" in message
    # the Python call, not the command ('linearnets data download' on the command line)
    assert "linearnets.data.download.download_fashion_mnist('DIR')" in message
    assert str(places["env"]) in message  # says where it looked


def test_debian_dir_from_dpkg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    listing = f"/.\n{tmp_path}/pkg\n{tmp_path}/pkg/train-images-idx3-ubyte.gz\n"
    fake = SimpleNamespace(stdout=listing)
    monkeypatch.setattr(files.subprocess, "run", lambda *a, **k: fake)
    assert files._debian_dir() == tmp_path / "pkg"


def test_an_installed_package_whose_files_are_gone_is_told_to_reinstall(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dpkg has dataset-fashion-mnist installed, its files deleted: 'sudo apt-get install
    dataset-fashion-mnist' does nothing then; the fix is its --reinstall, searched or given a
    root. Where the package holds the files, or dpkg lists none, the fix is as before."""
    pkg = tmp_path / "pkg"  # listed by dpkg, gone from the disk
    listing = SimpleNamespace(stdout=f"/.\n{pkg}\n{pkg}/train-images-idx3-ubyte.gz\n")
    monkeypatch.setattr(files.subprocess, "run", lambda *a, **k: listing)
    monkeypatch.setattr(files, "DEBIAN_DIR", tmp_path / "absent")
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    again = (
        "the Debian package dataset-fashion-mnist is installed here, but its files are gone: get "
        "them again with 'sudo apt-get install --reinstall dataset-fashion-mnist', or "
        "linearnets.data.download.download_fashion_mnist('DIR') where a network exists, then "
        "pass root=DIR (or set LINEARNETS_DATA)"
    )
    with pytest.raises(DatasetError) as searched:
        find_fashion_mnist()
    assert str(searched.value).endswith(f"{pkg}, data, ../data, {tmp_path / 'home' / '.keras' / 'datasets' / 'fashion-mnist'}); {again}")  # fmt: skip
    assert searched.value.misplaced is False  # nothing in place: load_data_fashion_mnist downloads
    assert cli_words(again).endswith(
        "get them again with 'sudo apt-get install --reinstall dataset-fashion-mnist', or "
        "'linearnets data download --data-dir DIR' where a network exists, then pass --data-dir "
        "DIR (or set LINEARNETS_DATA)"
    )
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=rf"; {re.escape(again)}$"):
        find_fashion_mnist(tmp_path / "empty")
    tiny.write(pkg)  # the package's files back (of the real names): a plain install is no fix
    with pytest.raises(UsageError) as other:
        find_fashion_mnist(tmp_path / "empty")
    assert "--reinstall" not in str(other.value)
    monkeypatch.setattr(files.subprocess, "run", lambda *a, **k: SimpleNamespace(stdout=""))
    with pytest.raises(DatasetError, match=rf"; {re.escape(HOW_TO_GET)}$"):
        find_fashion_mnist()  # not installed: install it


@pytest.mark.parametrize("gone", [["t10k-labels-idx1-ubyte"], ["train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]])  # fmt: skip
def test_an_installed_package_missing_some_files_names_them(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gone: list[str]
) -> None:
    """One of the package's four files deleted, the advice said "the Debian package ... is
    installed here, but its files are gone" where three of four were there, naming none: it
    names the files gone, searched or given a root."""
    from .conftest import dpkg_lists

    pkg = tiny.write(tmp_path / "pkg")
    for name in gone:
        (pkg / f"{name}.gz").unlink()
    dpkg_lists(monkeypatch, pkg)
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    what = (
        f"its file {gone[0]} is gone from {pkg}: get it"
        if len(gone) == 1
        else f"its files {gone[0]} and {gone[1]} are gone from {pkg}: get them"
    )
    again = (
        f"the Debian package dataset-fashion-mnist is installed here, but {what} again with "
        "'sudo apt-get install --reinstall dataset-fashion-mnist', or "
        "linearnets.data.download.download_fashion_mnist('DIR') where a network exists, then "
        "pass root=DIR (or set LINEARNETS_DATA)"
    )
    with pytest.raises(DatasetError, match=rf"; {re.escape(again)}$"):
        find_fashion_mnist(checksums=tiny.files)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=rf"; {re.escape(again)}$"):
        find_fashion_mnist(tmp_path / "empty", checksums=tiny.files)


def test_debian_dir_without_dpkg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_dpkg(*args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError("dpkg")

    monkeypatch.setattr(files.subprocess, "run", no_dpkg)
    monkeypatch.setattr(files, "DEBIAN_DIR", tmp_path)
    assert files._debian_dir() == tmp_path
    monkeypatch.setattr(files, "DEBIAN_DIR", tmp_path / "absent")
    assert files._debian_dir() is None


def test_debian_dir_when_dpkg_hangs(monkeypatch: pytest.MonkeyPatch) -> None:
    def hang(*args: Any, **kwargs: Any) -> Any:
        raise subprocess.TimeoutExpired("dpkg", 10)

    monkeypatch.setattr(files.subprocess, "run", hang)
    monkeypatch.setattr(files, "DEBIAN_DIR", Path("/nonexistent-linearnets"))
    assert files._debian_dir() is None


def test_missing_files_are_listed_for_the_torchvision_layout(tiny: Tiny, tmp_path: Path) -> None:
    raw = tiny.write(tmp_path / "root" / "FashionMNIST" / "raw")
    (raw / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(UsageError, match=r"which lacks t10k-images-idx3-ubyte;"):
        find_fashion_mnist(tmp_path / "root", checksums=tiny.files)


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "plain"])
def test_torchvision_layout_under_the_env_folder(
    places: dict[str, Path], tiny: Tiny, gz: bool
) -> None:
    tiny.write(places["env"] / "FashionMNIST" / "raw", gz=gz)
    tiny.write(places["keras"])
    found = find_fashion_mnist(checksums=tiny.files)
    assert found.source.startswith("$LINEARNETS_DATA") and found.directory == places["env"]
    suffix = ".gz" if gz else ""
    assert found.paths["train-images-idx3-ubyte"] == (
        places["env"] / "FashionMNIST" / "raw" / f"train-images-idx3-ubyte{suffix}"
    )


def test_plain_file_is_preferred_to_its_gzip(tiny: Tiny, tmp_path: Path) -> None:
    root = tiny.write(tmp_path / "root")
    tiny.write(root, gz=False)
    found = find_fashion_mnist(root, checksums=tiny.files)
    assert all(p.suffix != ".gz" for p in found.paths.values())


def test_keras_cache_follows_home(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "fake-home"))  # Path.home() reads HOME
    tiny.write(tmp_path / "fake-home" / ".keras" / "datasets" / "fashion-mnist")
    found = find_fashion_mnist(checksums=tiny.files)
    assert found.directory == tmp_path / "fake-home" / ".keras" / "datasets" / "fashion-mnist"


def test_debian_location_redirected_by_constants(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever this machine has installed: an unknown package name falls back to DEBIAN_DIR."""
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(files, "DEBIAN_PACKAGE", "linearnets-no-such-package")
    monkeypatch.setattr(files, "DEBIAN_DIR", tiny.write(tmp_path / "debian"))
    found = find_fashion_mnist(checksums=tiny.files)
    assert found.source == f"Debian package linearnets-no-such-package: {tmp_path / 'debian'}"


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_linearnets_data_naming_no_folder_is_refused(
    places: dict[str, Path], tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Set on purpose, so not quietly replaced by the Debian copy (which holds the files here)."""
    tiny.write(places["debian"])
    target = tmp_path / "nowhere"
    if kind == "file":
        target.write_text("")
    monkeypatch.setenv("LINEARNETS_DATA", str(target))
    what = "does not exist" if kind == "missing" else "is not a folder"
    with pytest.raises(
        UsageError,
        match=rf"LINEARNETS_DATA must name an existing folder holding the Fashion-MNIST files, got "
        rf"'{target}', which {what}; point it at the folder .*, or unset it \(unset "
        r"LINEARNETS_DATA\) to search the usual places",
    ):
        find_fashion_mnist(checksums=tiny.files)
    root = tiny.write(tmp_path / "root")  # an explicit root needs no search: the setting is moot
    assert find_fashion_mnist(root, checksums=tiny.files).directory == root


def test_nothing_found_says_what_linearnets_data_lacks(places: dict[str, Path], tiny: Tiny) -> None:
    tiny.write(places["env"])
    (places["env"] / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(
        DatasetError,
        match=rf"searched {places['env']} \(from \$LINEARNETS_DATA, which lacks "
        r"t10k-labels-idx1-ubyte\), ",
    ):
        find_fashion_mnist(checksums=tiny.files)


def test_a_fashionmnist_folder_in_linearnets_data_is_told_to_name_the_folder_above(
    places: dict[str, Path], tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LINEARNETS_DATA=.../FashionMNIST, its raw/ holding the files: the fix given was to install
    or download them, where root= and --data-dir name the folder above."""
    torchvision_root = places["env"] / "tv"
    given = torchvision_root / "FashionMNIST"
    tiny.write(given / "raw")
    monkeypatch.setenv("LINEARNETS_DATA", str(given))
    with pytest.raises(DatasetError) as info:
        find_fashion_mnist(checksums=tiny.files)
    assert str(info.value).startswith(
        f"Fashion-MNIST was not found (searched {given} (from $LINEARNETS_DATA, which lacks "
        f"{', '.join(tiny.files)}), "
    )
    assert str(info.value).endswith(
        f"); $LINEARNETS_DATA's raw/ holds them: set LINEARNETS_DATA to {torchvision_root}, "
        "torchvision's root above FashionMNIST/raw/"
    )
    monkeypatch.setenv("LINEARNETS_DATA", str(torchvision_root))  # the fix, followed
    assert find_fashion_mnist(checksums=tiny.files).directory == torchvision_root


def test_linearnets_data_split_between_its_layouts_is_told_the_move_not_to_download(
    places: dict[str, Path], tiny: Tiny
) -> None:
    """LINEARNETS_DATA holding train-* flat and t10k-* in its FashionMNIST/raw/: all four there,
    the fix given was to install or download them (and the book's loader downloaded), where
    --data-dir gives the move. The same move, and the error marked misplaced: nothing to fetch."""
    env, raw = places["env"], places["env"] / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in tiny.files:
        folder = env if name.startswith("train") else raw
        (folder / f"{name}.gz").write_bytes(tiny.gz[name])
    with pytest.raises(files.NotFoundError) as info:
        find_fashion_mnist(checksums=tiny.files)
    assert info.value.misplaced
    assert str(info.value).endswith(
        "; $LINEARNETS_DATA's folder holds them all the same: the 4 files must sit in one folder: "
        f"move t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from {raw}/ into {env} "
        f"(or the others into {raw}/)"
    )


def test_linearnets_data_passed_over_for_a_later_place_is_warned_about(
    places: dict[str, Path], tiny: Tiny
) -> None:
    """A LINEARNETS_DATA lacking the files was passed over silently where a later place (the
    Debian package) held them: the user's setting was not read, unsaid."""
    tiny.write(places["env"])
    (places["env"] / "t10k-labels-idx1-ubyte.gz").unlink()
    tiny.write(places["debian"])
    with pytest.warns(DataWarning) as caught:
        found = find_fashion_mnist(checksums=tiny.files)
    assert found.directory == places["debian"]
    assert [str(w.message) for w in caught] == [
        f"LINEARNETS_DATA names {places['env']}, which lacks t10k-labels-idx1-ubyte, so it was "
        "passed over: Fashion-MNIST is read from the Debian package dataset-fashion-mnist: "
        f"{places['debian']}; point it at the folder with the four *-ubyte.gz files (or their "
        "FashionMNIST/raw), or unset it (unset LINEARNETS_DATA) to read these without a warning"
    ]


def test_a_fashionmnist_folder_in_linearnets_data_whose_raw_lacks_files_gets_the_usual_fix(
    places: dict[str, Path], tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tiny.write(places["env"] / "FashionMNIST" / "raw")
    (raw / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv("LINEARNETS_DATA", str(raw.parent))
    with pytest.raises(DatasetError, match=rf"; {re.escape(HOW_TO_GET)}$"):
        find_fashion_mnist(checksums=tiny.files)


def test_an_empty_linearnets_data_is_unset(
    places: dict[str, Path], tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LINEARNETS_DATA= (set, but empty) is no folder to search: not '.', which holds files here."""
    monkeypatch.setenv("LINEARNETS_DATA", "")
    tiny.write(Path.cwd())
    tiny.write(places["keras"])
    assert find_fashion_mnist(checksums=tiny.files).source.startswith("Keras cache")


def test_linearnets_data_may_start_with_a_tilde(
    places: dict[str, Path], tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LINEARNETS_DATA", "~/fm")
    folder = tiny.write(tmp_path / "home" / "fm")
    found = find_fashion_mnist(checksums=tiny.files)
    assert found.directory == folder and found.source == f"$LINEARNETS_DATA: {folder}"


def test_nothing_found_names_every_place_searched(places: dict[str, Path], tiny: Tiny) -> None:
    tiny.write(places["env"])
    (places["env"] / "train-images-idx3-ubyte.gz").unlink()
    (places["env"] / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError) as info:
        find_fashion_mnist(checksums=tiny.files)
    keras = places["keras"]
    assert str(info.value) == (
        f"Fashion-MNIST was not found (searched {places['env']} (from $LINEARNETS_DATA, which "
        f"lacks train-images-idx3-ubyte, t10k-labels-idx1-ubyte), {places['debian']}, data, "
        f"../data, {keras}); {HOW_TO_GET}"
    )


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda p: (p / "sub").mkdir(parents=True), "a folder"),
        (lambda p: os.mkfifo(p), "a FIFO"),
        (lambda p: p.symlink_to(p.parent / "gone"), "a broken link"),
    ],
    ids=["folder", "fifo", "broken-link"],
)
def test_what_stands_in_place_of_a_file_is_named(
    tiny: Tiny, tmp_path: Path, make: Any, what: str
) -> None:
    root = tiny.write(tmp_path / "root")
    (root / "t10k-labels-idx1-ubyte.gz").unlink()
    make(root / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(
        UsageError,
        match=rf"which lacks t10k-labels-idx1-ubyte \(t10k-labels-idx1-ubyte\.gz there is {what}\);",
    ):
        find_fashion_mnist(root, checksums=tiny.files)


def test_a_data_file_passed_as_the_folder_is_told_to_pass_its_folder(
    tiny: Tiny, tmp_path: Path
) -> None:
    root = tiny.write(tmp_path / "root")
    with pytest.raises(UsageError) as info:
        find_fashion_mnist(root / "train-images-idx3-ubyte.gz", checksums=tiny.files)
    assert str(info.value) == (
        f"root must be an existing folder, got the file '{root}/train-images-idx3-ubyte.gz'; pass "
        f"the folder that holds it ('{root}') instead"
    )


@pytest.mark.parametrize("name", ["oracle.py", "null"])
def test_a_file_that_is_no_data_file_is_told_a_folder_is_needed_not_its_parent(
    tiny: Tiny, tmp_path: Path, name: str
) -> None:
    """/dev/null was told to pass '/dev' instead, a script to pass its folder: neither holds the
    files; the parent is the fix only for one of Fashion-MNIST's files (above)."""
    given = tmp_path / name
    given.write_bytes(b"x")
    with pytest.raises(UsageError) as info:
        find_fashion_mnist(given, checksums=tiny.files)
    assert str(info.value) == (
        f"root must be an existing folder, got the file '{given}'; it is no Fashion-MNIST file: "
        "pass the folder that holds the Fashion-MNIST files instead"
    )


def test_an_uncompressed_data_file_passed_as_the_folder_is_told_to_pass_its_folder(
    tmp_path: Path,
) -> None:
    given = tmp_path / "t10k-labels-idx1-ubyte"
    given.write_bytes(b"x")
    with pytest.raises(UsageError) as info:
        find_fashion_mnist(given)
    assert str(info.value) == (
        f"root must be an existing folder, got the file '{given}'; pass the folder that holds it "
        f"('{tmp_path}') instead"
    )


# how to get the files, as the command line says it
HOW_TO_GET_ON_THE_COMMAND_LINE = (
    "get it with 'sudo apt-get install dataset-fashion-mnist', or 'linearnets data download "
    "--data-dir DIR' where a network exists, then pass --data-dir DIR (or set LINEARNETS_DATA)"
)


def test_files_found_nowhere_are_told_the_python_call_that_downloads_them_and_the_cli_its_command(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Python session was told to run 'linearnets data download --data-dir DIR', a shell
    command: it is told the call, as a damaged file's fix tells it; the command line keeps its
    command, quoted as the Debian package's is, and its option."""
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatasetError) as info:
        find_fashion_mnist(checksums=tiny.files)
    head = "Fashion-MNIST was not found (searched data, ../data, "
    head += f"{tmp_path / 'home' / '.keras' / 'datasets' / 'fashion-mnist'}); "
    assert str(info.value) == head + (
        "get it with 'sudo apt-get install dataset-fashion-mnist', or "
        "linearnets.data.download.download_fashion_mnist('DIR') where a network exists, then "
        "pass root=DIR (or set LINEARNETS_DATA)"
    )
    assert cli_words(str(info.value)) == head + HOW_TO_GET_ON_THE_COMMAND_LINE


def test_a_search_without_a_home_folder_skips_the_keras_cache(
    no_home: None, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It crashed with "Could not determine home directory" before looking anywhere."""
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatasetError) as info:
        find_fashion_mnist(checksums=tiny.files)
    assert str(info.value) == (
        f"Fashion-MNIST was not found (searched data, ../data); {HOW_TO_GET}"
    )
    tiny.write(tmp_path / "data" / "FashionMNIST" / "raw")
    assert find_fashion_mnist(checksums=tiny.files).source.startswith("torchvision-style data/")


@pytest.mark.parametrize("where", ["data", "../data"])
def test_files_directly_in_data_are_not_labelled_torchvision_style(
    places: dict[str, Path], tiny: Tiny, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The four files flat in ./data were reported "found: torchvision-style
    data/FashionMNIST/raw: data", a folder they are not in."""
    monkeypatch.delenv("LINEARNETS_DATA")
    tiny.write(Path(where))
    found = find_fashion_mnist(checksums=tiny.files)
    book = " (the book's root)" if where == "../data" else ""
    # the path once: it was "folder data, the files directly in it: data"
    assert found.source == f"folder {Path(where)}{book}, the files directly in it"


def test_a_search_looks_a_place_up_only_when_it_gets_there(
    places: dict[str, Path], tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Debian copy found, neither dpkg's listing after it nor the home folder is needed."""
    monkeypatch.delenv("LINEARNETS_DATA")  # not under test: an empty one passed over warns
    asked: list[str] = []
    monkeypatch.setattr(files, "_debian_dir", lambda: asked.append("debian") or places["debian"])
    monkeypatch.setattr(
        Path, "home", classmethod(lambda cls: asked.append("home") or places["env"])
    )
    tiny.write(places["debian"])
    assert find_fashion_mnist(checksums=tiny.files).source.startswith("Debian package")
    assert asked == ["debian"]


def _unknown_user(path: str) -> str:
    """Return ``path``, after checking that ``os.path.expanduser`` leaves its ``~user`` as it is."""
    if os.path.expanduser(path) != path:  # the oracle: Python knows no such user either
        pytest.skip("this machine has a user named linearnets-nobody")
    return path


def test_a_tilde_user_that_does_not_exist_is_refused_naming_the_setting(
    tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _unknown_user("~linearnets-nobody/fm")
    message = (
        r"must be a path whose ~linearnets-nobody can be expanded, got '~linearnets-nobody/fm', "
        r"but the user database knows no user 'linearnets-nobody'; write the path out in full "
        r"\(e\.g\. /home/linearnets-nobody/fm\), or pass "
        + re.escape(str(Path.cwd() / "~linearnets-nobody" / "fm"))
        + r" for a folder named ~linearnets-nobody here$"
    )
    with pytest.raises(UsageError, match=rf"^root {message}"):
        find_fashion_mnist(path, checksums=tiny.files)
    monkeypatch.setenv("LINEARNETS_DATA", path)
    with pytest.raises(UsageError, match=rf"^LINEARNETS_DATA {message}"):
        find_fashion_mnist(checksums=tiny.files)


def test_a_tilde_without_a_home_folder_is_refused_naming_the_setting(
    no_home: None, tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEARNETS_DATA", "~/fm")
    with pytest.raises(
        UsageError,
        match=r"^LINEARNETS_DATA must be a path whose ~ can be expanded, got '~/fm', but HOME is "
        r"not set and the user database has no entry for this user; write the path out in full "
        r"\(e\.g\. /home/me/fm\), or set HOME$",
    ):
        find_fashion_mnist(checksums=tiny.files)


@pytest.mark.parametrize("kind", ["broken", "loop"])
def test_a_link_to_nowhere_given_as_the_folder_is_named(
    tiny: Tiny, tmp_path: Path, no_debian: None, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    link, what = broken_link(tmp_path, "fm", kind)
    with pytest.raises(
        UsageError,
        match="^" + re.escape(f"root must be an existing folder, got '{link}', but {what}; get it"),
    ):
        find_fashion_mnist(link, checksums=tiny.files)
    monkeypatch.setenv("LINEARNETS_DATA", str(link))
    with pytest.raises(UsageError, match=re.escape(f"got '{link}', but {what}; point it at")):
        find_fashion_mnist(checksums=tiny.files)


def test_a_root_that_is_no_path_suggests_root_in_pythons_words() -> None:
    """The suggestion, pass e.g. root='~/data' (--data-dir on the command line), gave Python the
    command line's word; the command line, which always passes a path, translates root itself."""
    from linearnets.cli._report import one_line
    from linearnets.errors import UsageTypeError

    with pytest.raises(UsageTypeError) as info:
        find_fashion_mnist(123)  # type: ignore[arg-type]
    assert str(info.value) == (
        "root must be a folder path (str or Path), got 123; pass e.g. root='~/data'"
    )
    assert one_line(info.value) == (
        "--data-dir must be a folder path (str or Path), got 123; pass e.g. --data-dir ~/data"
    )


@pytest.mark.parametrize(
    ("kind", "pattern"),
    [
        ("missing", r"root must be an existing folder, got '.*batch_size=64'; get it"),
        ("empty", r"root must hold the Fashion-MNIST files .*, got '.*batch_size=64', which lacks"),
        (
            "file",
            r"root must be an existing folder, got the file '.*batch_size=64'; it is no Fashion-MNIST file: pass",
        ),
    ],
)
def test_a_path_after_got_is_quoted_so_the_command_line_keeps_it_a_path(
    tmp_path: Path, no_debian: None, kind: str, pattern: str
) -> None:
    """Printed bare, a folder named batch_size=64 read as the setting: the command line's
    translation made it "--batch-size 64"."""
    from linearnets.cli._report import one_line

    folder = tmp_path / "batch_size=64"
    if kind == "empty":
        folder.mkdir()
    elif kind == "file":
        folder.write_text("x")
    with pytest.raises(UsageError, match=f"^{pattern}") as info:
        find_fashion_mnist(folder)
    line = one_line(info.value)
    assert f"got {'the file ' if kind == 'file' else ''}{str(folder)!r}" in line
    assert "--batch-size" not in line and line.startswith("--data-dir must ")


def _cut_short_in_read_only(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, str, pytest.ExceptionInfo[DatasetError]]:
    """Read a read-only folder ro1 whose t10k labels are cut short: the folder, that file's name
    and the refusal."""
    from linearnets.data.fashion_mnist import read_fashion_mnist

    folder = tiny.write(tmp_path / "ro1")
    name = "t10k-labels-idx1-ubyte"
    (folder / f"{name}.gz").write_bytes(tiny.gz[name][:-10])  # cut short
    _read_only(monkeypatch, folder)
    with pytest.raises(DatasetError) as info:
        read_fashion_mnist(folder, checksums=tiny.files)
    return folder, name, info


@pytest.mark.usefixtures("no_debian")
def test_a_damaged_file_in_a_read_only_folder_is_told_a_download_into_another(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only --data-dir was told "get it again ...: linearnets data download --data-dir
    ro1", which refuses that folder as not writable: the download goes into a folder of the
    user's choosing, or the files are copied into one."""
    monkeypatch.chdir(tmp_path)  # ./data, the example, not made yet: it can be
    folder, name, info = _cut_short_in_read_only(tiny, tmp_path, monkeypatch)
    fix = (
        f"{folder} cannot be written, so get it again into a folder you can write, where a "
        "network exists: linearnets.data.download.download_fashion_mnist('DIR') (e.g. "
        "DIR=./data), then pass root=DIR (or set LINEARNETS_DATA); or copy the four files into "
        "such a folder, replace this one there, and pass root=DIR"
    )
    assert str(info.value) == (
        f"{folder / name}.gz: expected a complete gzip stream, got one cut short after 10 "
        f"decompressed bytes (the gzip stream is truncated); {fix}"
    )
    assert cli_words(fix).endswith(
        "where a network exists: linearnets data download --data-dir DIR (e.g. DIR=./data), then "
        "pass --data-dir DIR (or set LINEARNETS_DATA); or copy the four files into such a "
        "folder, replace this one there, and pass --data-dir DIR"
    )


def test_a_damaged_file_in_a_read_only_folder_is_told_the_debian_copy_where_it_is_installed(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A damaged file in a read-only folder was told only to get it again into another folder,
    or copy the files there, without the Debian package's copy the writable case is offered
    (the read-only branch returned before it), though the package was installed here."""
    from linearnets.cli._report import one_line

    monkeypatch.chdir(tmp_path)
    debian = tiny.write(tmp_path / "pkg")
    monkeypatch.setattr(files, "_debian_dir", lambda: debian)
    monkeypatch.setattr(files, "FASHION_MNIST_FILES", tiny.files)  # the package's, whole
    folder, _, info = _cut_short_in_read_only(tiny, tmp_path, monkeypatch)
    installed = (
        f"the Debian package dataset-fashion-mnist is installed here, with the files in {debian}: "
        "they are read from there when no root=DIR is passed (and LINEARNETS_DATA is unset)"
    )
    assert str(info.value).endswith(
        "; or copy the four files into such a folder, replace this one there, and pass root=DIR; "
        f"or read the Debian package's copy: {installed}, or pass root={str(debian)!r}"
    ), str(info.value)
    assert f"{folder} cannot be written, so get it again into a folder" in str(info.value)
    assert one_line(info.value).endswith(
        "replace this one there, and pass --data-dir DIR; or read the Debian package's copy: "
        f"{installed.replace('root=DIR', '--data-dir DIR')}, or pass --data-dir {debian}"
    )


@pytest.mark.usefixtures("no_debian")
@pytest.mark.parametrize("where", ["data", "data/FashionMNIST/raw"])
def test_a_read_only_data_folder_is_not_given_itself_as_the_example(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """./data read-only, holding the damaged file (or above its folder), was told to download
    into a folder it can write, "e.g. DIR=./data": that folder itself. The example is left out."""
    monkeypatch.chdir(tmp_path)
    folder = tiny.write(tmp_path / where)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(tiny.gz["t10k-labels-idx1-ubyte"][:-10])
    other = tiny.write(tmp_path / "ro")
    _read_only(monkeypatch, folder, other)  # the folder alone: ./data above raw/ can be written
    fix = files.how_to_replace(folder / "t10k-labels-idx1-ubyte.gz")
    assert fix.startswith(
        f"{folder} cannot be written, so get it again into a folder you can write, "
        "where a network exists: linearnets.data.download.download_fashion_mnist('DIR'), then "
        "pass root=DIR (or set LINEARNETS_DATA); "
    ), fix
    # another read-only folder keeps the example, where ./data is not the read-only one
    example = "('DIR') (e.g. DIR=./data), then" in files.how_to_replace(other / "x.gz")
    assert example is (where != "data")


@pytest.mark.usefixtures("no_debian")
@pytest.mark.parametrize("unwritable", ["./data", "the working folder, without ./data"])
def test_a_data_folder_that_cannot_be_written_is_not_given_as_the_example(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unwritable: str
) -> None:
    """A damaged file in a read-only folder was told to download into a folder it can write,
    "e.g. DIR=./data", where ./data could not be written either (read-only itself, or not made
    yet in a read-only working folder: 'cd R; linearnets data --data-dir flat'), and the
    download following it was refused. The example is left out then."""
    from linearnets.data.fashion_mnist import read_fashion_mnist

    work = tmp_path / "R"
    work.mkdir()
    monkeypatch.chdir(work)
    folder = tiny.write(work / "flat")
    name = "t10k-labels-idx1-ubyte"
    (folder / f"{name}.gz").write_bytes(tiny.gz[name][:-10])  # cut short
    if unwritable == "./data":
        (work / "data").mkdir()
        _read_only(monkeypatch, folder, work / "data")
    else:
        _read_only(monkeypatch, work)
    with pytest.raises(DatasetError) as info:
        read_fashion_mnist("flat", checksums=tiny.files)
    assert str(info.value).endswith(
        "; flat cannot be written, so get it again into a folder you can write, where a network "
        "exists: linearnets.data.download.download_fashion_mnist('DIR'), then pass root=DIR (or "
        "set LINEARNETS_DATA); or copy the four files into such a folder, replace this one "
        "there, and pass root=DIR"
    ), str(info.value)


def _read_only(monkeypatch: pytest.MonkeyPatch, *folders: Path) -> None:
    """Make ``folders``, and what lies in them, unwritable to ``os.access``, as on a read-only
    mount (a test run as root could write in a folder chmod made read-only)."""
    real_access = os.access
    shut = [os.path.realpath(folder) for folder in folders]

    def access(path: Any, mode: int) -> bool:
        real = os.path.realpath(path)
        inside = any(real == f or real.startswith(f"{f}{os.sep}") for f in shut)
        return not (inside and mode & os.W_OK) and real_access(path, mode)

    monkeypatch.setattr(files.os, "access", access)


@pytest.mark.usefixtures("no_debian")  # the fix alone, as where the package is not installed
def test_a_damaged_file_is_told_the_fix_for_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The package's copy is reinstalled: a download elsewhere would not be read, the package's
    folder being searched first. Anywhere else a download into the folder the search reads
    replaces it (the one above FashionMNIST/raw; a plain 'data download' writes into ./data)."""
    monkeypatch.setattr(files, "DEBIAN_DIR", tmp_path / "debian")
    name = "train-images-idx3-ubyte.gz"
    debian = files.how_to_replace(tmp_path / "debian" / name)
    assert debian.startswith(
        "get it again: 'sudo apt-get install --reinstall dataset-fashion-mnist' restores the "
        "Debian package's files; without the rights to, "
        "linearnets.data.download.download_fashion_mnist('DIR') fetches all four into DIR"
    )
    assert debian.endswith("then pass root=DIR (or set LINEARNETS_DATA)")
    # the command line's words, as the other branch's: the command, and its option
    assert cli_words(debian).endswith(
        "without the rights to, linearnets data download --data-dir DIR fetches all four into "
        "DIR where a network exists, then pass --data-dir DIR (or set LINEARNETS_DATA)"
    )
    raw = tmp_path / "my data" / "FashionMNIST" / "raw"
    assert files.how_to_replace(raw / name) == get_again(tmp_path / "my data")
    assert files.how_to_replace(tmp_path / "flat" / name) == get_again(tmp_path / "flat")
    assert files.how_to_replace(name) == get_again(".")  # read from the working folder
    monkeypatch.chdir(tmp_path)
    assert files.how_to_replace(Path("debian") / name) == debian  # the same folder, relative


@pytest.mark.parametrize(
    ("layout", "denied", "blamed"),
    [
        ("flat", "root", "root"),  # chmod 000 root
        ("torchvision", "root/FashionMNIST", "root/FashionMNIST"),  # chmod 000 root/FashionMNIST
        ("flat", "parent", "parent"),  # root=parent/root, chmod 000 parent
    ],
)
def test_a_root_that_cannot_be_searched_is_named_with_its_fix_not_a_bare_oserror(
    tiny: Tiny,
    tmp_path: Path,
    deny_search: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    layout: str,
    denied: str,
    blamed: str,
) -> None:
    """Python 3.11's Path.is_file and Path.exists raise for such a folder: 'linearnets data
    --data-dir DIR' ended with "[Errno 13] Permission denied: 'DIR/train-images-idx3-ubyte'
    (PermissionError)", exit 1, and FashionMNIST(root) with the bare PermissionError."""
    from linearnets.cli import main
    from linearnets.data.dataset import FashionMNIST

    root = tmp_path / "parent" / "root"
    tiny.write(root / "FashionMNIST" / "raw" if layout == "torchvision" else root)
    deny_search(tmp_path / denied.replace("root", "parent/root"))
    folder = tmp_path / blamed.replace("root", "parent/root")
    got = (
        f"must be a folder you can open, got '{root}', but {folder} cannot be searched "
        f"(Permission denied); make it readable (chmod u+rx {folder}), or pass another folder"
    )
    with pytest.raises(UsageError) as info:
        find_fashion_mnist(root, checksums=tiny.files)
    assert str(info.value) == f"root {got}"
    with pytest.raises(UsageError) as info:
        FashionMNIST(root)  # not "root must hold the Fashion-MNIST files": it may well
    assert str(info.value) == f"root {got}"
    assert main(["data", "--data-dir", str(root)]) == 2
    assert capsys.readouterr().err == f"linearnets data: error: --data-dir {got}\n"


def test_a_root_holding_the_files_beside_a_folder_that_cannot_be_searched_is_read(
    tiny: Tiny, tmp_path: Path, deny_search: Callable[..., None]
) -> None:
    """Only when the files are not found is an unsearchable FashionMNIST/ blamed."""
    root = tiny.write(tmp_path / "root")
    (root / "FashionMNIST" / "raw").mkdir(parents=True)
    deny_search(root / "FashionMNIST")
    assert find_fashion_mnist(root, checksums=tiny.files).folder == root


def test_a_search_passes_over_a_place_that_cannot_be_searched_and_says_so(
    places: dict[str, Path],
    tiny: Tiny,
    monkeypatch: pytest.MonkeyPatch,
    deny_search: Callable[..., None],
) -> None:
    """An unsearchable ./data/FashionMNIST (or a home folder not this user's) stopped the search
    with Python's PermissionError, the Keras cache after it never looked at."""
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    denied = places["data"].parent  # data/FashionMNIST
    denied.mkdir(parents=True)
    deny_search(denied, places["env"])
    with pytest.raises(DatasetError) as info:
        find_fashion_mnist(checksums=tiny.files)
    assert str(info.value) == (
        f"Fashion-MNIST was not found (searched {places['env']} (from $LINEARNETS_DATA, but "
        f"{places['env']} cannot be searched: Permission denied), data (data/FashionMNIST "
        f"cannot be searched: Permission denied), ../data, {places['keras']}); {HOW_TO_GET}"
    )
    tiny.write(places["keras"])
    with pytest.warns(DataWarning) as caught:
        assert "Keras" in find_fashion_mnist(checksums=tiny.files).source
    assert [str(w.message) for w in caught] == [
        f"LINEARNETS_DATA names {places['env']}, but {places['env']} cannot be searched: "
        "Permission denied, so it was passed over: Fashion-MNIST is read from the Keras cache "
        f"~/.keras/datasets/fashion-mnist: {places['keras']}; point it at the folder with the "
        "four *-ubyte.gz files (or their FashionMNIST/raw), or unset it (unset LINEARNETS_DATA) "
        "to read these without a warning"
    ]


def test_linearnets_data_that_cannot_be_reached_is_refused_naming_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deny_search: Callable[..., None]
) -> None:
    """It was a bare PermissionError (Path.is_dir of a folder inside an unsearchable one)."""
    inner = tmp_path / "locked" / "inner"
    inner.mkdir(parents=True)
    monkeypatch.setenv("LINEARNETS_DATA", str(inner))
    deny_search(tmp_path / "locked")
    with pytest.raises(UsageError) as info:
        find_fashion_mnist()
    locked = tmp_path / "locked"
    assert str(info.value) == (
        f"LINEARNETS_DATA must name a folder you can open, got '{inner}', but {locked} cannot "
        f"be searched (Permission denied); make it readable (chmod u+rx {locked}), or unset it "
        "(unset LINEARNETS_DATA) to search the usual places"
    )


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root searches a folder of mode 000"
)
def test_a_root_of_mode_000_is_named_with_its_fix(tiny: Tiny, tmp_path: Path) -> None:
    root = tiny.write(tmp_path / "root")
    root.chmod(0)
    try:
        with pytest.raises(UsageError, match="cannot be searched"):
            find_fashion_mnist(root, checksums=tiny.files)
    finally:
        root.chmod(0o755)


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "plain"])
def test_a_fashionmnist_folder_given_as_root_is_told_to_pass_the_folder_above(
    tiny: Tiny, tmp_path: Path, capsys: pytest.CaptureFixture[str], gz: bool
) -> None:
    """--data-dir data/FashionMNIST, its raw/ holding the files: the fix given was to install or
    download them, which are one folder below."""
    from linearnets.cli import main

    tiny.write(tmp_path / "data" / "FashionMNIST" / "raw", gz=gz)
    passed = tmp_path / "data" / "FashionMNIST"
    lacks = ", ".join(tiny.files)
    with pytest.raises(UsageError) as info:
        find_fashion_mnist(passed, checksums=tiny.files)
    assert str(info.value) == (
        f"root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
        f"'{passed}', which lacks {lacks}; its raw/ holds them: pass root='{tmp_path / 'data'}', "
        "torchvision's root above FashionMNIST/raw/"
    )
    assert find_fashion_mnist(tmp_path / "data", checksums=tiny.files).folder == passed / "raw"
    assert main(["data", "--data-dir", str(passed)]) == 2  # the real checksums: the same refusal
    assert capsys.readouterr().err == (
        f"linearnets data: error: --data-dir must hold the Fashion-MNIST files (or "
        f"FashionMNIST/raw/ with them), got '{passed}', which lacks {lacks}; its raw/ holds "
        f"them: pass --data-dir {tmp_path / 'data'}, torchvision's root above FashionMNIST/raw/\n"
    )


def test_a_fashionmnist_folder_whose_raw_lacks_files_gets_the_usual_fix(
    tiny: Tiny, tmp_path: Path, no_debian: None
) -> None:
    raw = tiny.write(tmp_path / "data" / "FashionMNIST" / "raw")
    (raw / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(UsageError, match=rf"; {re.escape(HOW_TO_GET)}$"):
        find_fashion_mnist(raw.parent, checksums=tiny.files)


def test_a_fashionmnist_root_one_short_is_told_the_root_above_for_the_files_asked(
    tmp_path: Path,
) -> None:
    """The test split alone asks for its two files: a FashionMNIST/raw/ holding those two is the
    fix named, though the training files are not there."""
    from linearnets.data.folder_contents import FASHION_MNIST_FILES

    test_files = ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    raw = tmp_path / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in test_files:
        (raw / f"{name}.gz").write_bytes(b"x")
    root = tmp_path / "data" / "FashionMNIST"
    with pytest.raises(UsageError) as info:
        find_fashion_mnist(root, checksums={n: FASHION_MNIST_FILES[n] for n in test_files})
    assert str(info.value) == (
        f"root must hold Fashion-MNIST's t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (or "
        f"FashionMNIST/raw/ with them), got {str(root)!r}, which lacks t10k-images-idx3-ubyte, "
        f"t10k-labels-idx1-ubyte; its raw/ holds them: pass root={str(tmp_path / 'data')!r}, "
        "torchvision's root above FashionMNIST/raw/"
    )


@pytest.mark.parametrize("case", ["file", "blank", "empty", "FashionMNIST"])
def test_a_root_named_with_a_line_break_is_named_on_one_line_as_the_shell_takes_it(
    tiny: Tiny, tmp_path: Path, no_debian: None, case: str
) -> None:
    """repr named the folder, and the one to pass in the fix, '.../a\\nb' in Python's escapes,
    which the shell reads as a backslash and an n: as shown_path names it; the fix written as
    Python (root='...') stays repr, and the command line says it as --data-dir $'...'."""
    from linearnets.cli._report import one_line

    odd, said = tmp_path / "a\nb", f"$'{tmp_path}/a\\nb"
    odd.mkdir()
    given, lacks = odd, ", which lacks " + ", ".join(tiny.files)
    holds = "must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
    if case == "file":
        given = tiny.write(odd) / "train-images-idx3-ubyte.gz"
        rule = (
            f"must be an existing folder, got the file {said}/train-images-idx3-ubyte.gz'; pass "
            f"the folder that holds it ({said}') instead"
        )
        cli = rule
    elif case == "blank":
        given = tmp_path / "a\nb "
        rule = cli = f"must be an existing folder, got {said} '; drop the blank: {said}'"
    elif case == "empty":
        rule = f"{holds}{said}'{lacks}; "
        rule, cli = rule + HOW_TO_GET, rule + HOW_TO_GET_ON_THE_COMMAND_LINE
    else:
        given = odd / "FashionMNIST"
        tiny.write(given / "raw")
        rule = f"{holds}{said}/FashionMNIST'{lacks}; its raw/ holds them: pass "
        rule, cli = (
            f"{rule}root={str(odd)!r}, torchvision's root above FashionMNIST/raw/",
            f"{rule}--data-dir {said}', torchvision's root above FashionMNIST/raw/",
        )
    with pytest.raises(UsageError) as info:
        find_fashion_mnist(given, checksums=tiny.files)
    assert str(info.value) == f"root {rule}"
    assert one_line(info.value) == f"--data-dir {cli}"


def test_a_damaged_file_is_told_the_debian_copy_where_it_is_installed(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A truncated file in a given root was told only to download it again, where a network
    exists, though the Debian package's copy is installed (as the message of a root lacking the
    files says); and from Python, FashionMNIST(root, train=False), as the command it is not."""
    from linearnets.cli._report import one_line
    from linearnets.torchvision.datasets import FashionMNIST

    debian = tiny.write(tmp_path / "pkg")
    monkeypatch.setattr(files, "_debian_dir", lambda: debian)
    monkeypatch.setattr(files, "FASHION_MNIST_FILES", tiny.files)  # the package's, whole
    root = tiny.write(tmp_path / "d_t")
    name = "t10k-labels-idx1-ubyte"
    (root / f"{name}.gz").write_bytes(tiny.gz[name][:-10])  # cut short
    with pytest.raises(DatasetError) as info:
        FashionMNIST(str(root), train=False)
    installed = (
        f"the Debian package dataset-fashion-mnist is installed here, with the files in {debian}: "
        "they are read from there when no root=DIR is passed (and LINEARNETS_DATA is unset)"
    )
    assert str(info.value).endswith(
        " get it again where a network exists: linearnets.data.download.download_fashion_mnist"
        f"({str(root)!r}); or read the Debian package's copy: {installed}, or pass "
        f"root={str(debian)!r}"
    ), str(info.value)
    assert one_line(info.value).endswith(
        f" get it again where a network exists: linearnets data download --data-dir {root}; or "
        "read the Debian package's copy: "
        f"{installed.replace('root=DIR', '--data-dir DIR')}, or pass --data-dir {debian}"
    )


def test_a_damaged_debian_copy_is_not_offered_as_the_fix(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The package's copy was offered for a damaged file in a root when its four files merely
    existed: one of them cut short too, it would fail as this one did. Only whole-looking copies
    (each file's size, from a gzip's trailer, as the table has it) are offered."""
    debian = tiny.write(tmp_path / "pkg")
    monkeypatch.setattr(files, "_debian_dir", lambda: debian)
    monkeypatch.setattr(files, "FASHION_MNIST_FILES", tiny.files)
    name = "t10k-labels-idx1-ubyte"
    root = tmp_path / "d_t"
    assert files.how_to_replace(root / f"{name}.gz").startswith(f"{get_again(root)}; or read ")
    (debian / f"{name}.gz").write_bytes(tiny.gz[name][:-10])  # the package's copy cut short
    assert files.how_to_replace(root / f"{name}.gz") == get_again(root)
    (debian / f"{name}.gz").unlink()
    (debian / name).write_bytes(tiny.raw[name] + b"x")  # plain, and one byte too many
    assert files.how_to_replace(root / f"{name}.gz") == get_again(root)
    assert files.installed_copy(tiny.files) is None


def test_a_damaged_debian_file_read_through_a_link_is_told_to_reinstall(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A root that is a link to the package's folder was told to download into it (writing into
    the package's files) or to read the package's copy: the very copy that failed. It is the
    package's file, restored by reinstalling it, as when named by the package's own path."""
    debian = tiny.write(tmp_path / "pkg")
    monkeypatch.setattr(files, "_debian_dir", lambda: debian)
    monkeypatch.setattr(files, "DEBIAN_DIR", tmp_path / "elsewhere")  # dpkg names the folder
    name = "t10k-labels-idx1-ubyte"
    (debian / f"{name}.gz").write_bytes(tiny.gz[name][:-10])
    link = tmp_path / "d_t"
    link.symlink_to(debian, target_is_directory=True)
    reinstall = (
        "get it again: 'sudo apt-get install --reinstall dataset-fashion-mnist' restores the "
        "Debian package's files; without the rights to, "
        "linearnets.data.download.download_fashion_mnist('DIR') fetches all four into DIR where a "
        "network exists, then pass root=DIR (or set LINEARNETS_DATA)"
    )
    assert files.how_to_replace(link / f"{name}.gz") == reinstall
    assert files.how_to_replace(debian / f"{name}.gz") == reinstall  # its own path, from dpkg
    monkeypatch.setattr(files, "_debian_dir", lambda: None)  # no dpkg: the known folder, linked
    monkeypatch.setattr(files, "DEBIAN_DIR", debian)
    assert files.how_to_replace(link / f"{name}.gz") == reinstall


def test_not_found_error_pickles_with_its_notes_and_attributes() -> None:
    """A NotFoundError crosses processes whole: its parts, a note added and an attribute set later
    (the base class's pickling keeps them for a DatasetError)."""
    import pickle

    exc = files.NotFoundError(
        what="Fashion-MNIST was", searched="data, ../data", fix=HOW_TO_GET, misplaced=False
    )
    exc.add_note("while reading rank 1's data")
    exc.rank = 1  # type: ignore[attr-defined]
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is files.NotFoundError and str(copy) == str(exc)
    assert (copy.what, copy.searched, copy.fix, copy.misplaced) == (
        "Fashion-MNIST was",
        "data, ../data",
        HOW_TO_GET,
        False,
    )
    assert copy.__notes__ == ["while reading rank 1's data"] and copy.rank == 1
