"""``linearnets predict RUN_DIR`` against a model whose predictions numpy computes independently."""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.cli import main
from linearnets.cli._unencodable import escape_what_cannot_be_shown
from linearnets.plotting._fonts import cjk_family

REAL_DIR = Path("/usr/share/datasets/fashion-mnist")
pytestmark = pytest.mark.skipif(
    not REAL_DIR.is_dir(), reason="needs the real Fashion-MNIST (Debian package)"
)
# the book's text labels (D2L §3.5.1), in class order
BOOK_LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
               "bag", "ankle boot"]  # fmt: skip


def _idx(path: Path, count: int) -> np.ndarray:
    """The first ``count`` items of a gzipped IDX file, read with numpy alone."""
    with gzip.open(path) as f:
        ndim = f.read(4)[3]
        shape = [int.from_bytes(f.read(4), "big") for _ in range(ndim)]
        size = int(np.prod(shape[1:], dtype=np.int64))
        return np.frombuffer(f.read(count * size), dtype=np.uint8).reshape(count, *shape[1:])


def _write_model(
    run: Path, *, side: int = 28, resize: int | None = None, **payload: Any
) -> tuple[Any, Any]:
    """A run folder holding a concise model with random weights; return (W, b) as numpy.

    ``payload`` replaces entries of model.pt."""
    g = torch.Generator().manual_seed(5)
    W, b = torch.randn(10, side * side, generator=g), torch.randn(10, generator=g)
    run.mkdir()
    saved = {"impl": "concise", "num_inputs": side * side, "num_outputs": 10, "resize": resize,
             "classes": BOOK_LABELS, "state_dict": {"1.weight": W, "1.bias": b}} | payload  # fmt: skip
    torch.save(saved, run / "model.pt")
    return W.numpy().astype(np.float64), b.numpy().astype(np.float64)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    """The real files found by searching (Debian folder first), with a private verification cache."""
    from linearnets.data import files

    monkeypatch.setenv("LINEARNETS_CACHE_DIR", str(cache))
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setattr(files, "_debian_dir", lambda: REAL_DIR)


def _expected(W: Any, b: Any, n: int) -> tuple[list[str], int]:
    X = _idx(REAL_DIR / "t10k-images-idx3-ubyte.gz", n).reshape(n, -1) / 255.0
    y = _idx(REAL_DIR / "t10k-labels-idx1-ubyte.gz", n)
    scores = X @ W.T + b
    top2 = np.sort(scores, axis=1)[:, -2:]
    assert (top2[:, 1] - top2[:, 0]).min() > 1e-3  # no near-ties: float32 agrees with float64
    pred = scores.argmax(axis=1)
    lines = [
        f"{BOOK_LABELS[t]:>12} -> {BOOK_LABELS[p]}" + ("" if t == p else "   (wrong)")
        for t, p in zip(y, pred, strict=True)
    ]
    return lines, int((pred == y).sum())


def test_predict_prints_each_true_and_predicted_label_and_the_count(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    W, b = _write_model(run)
    assert main(["predict", str(run)]) == 0  # the book's 6 images
    lines, correct = _expected(W, b, 6)
    out = run / "predict-6.png"
    assert capsys.readouterr().out.splitlines() == [*lines, f"{correct}/6 correct; figure: {out}"]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["predict", str(run), "-n", "20", "--out", str(tmp_path / "p.png")]) == 0
    lines, correct = _expected(W, b, 20)
    assert 0 < correct < 20  # both kinds of line are checked
    printed = capsys.readouterr().out.splitlines()
    assert printed == [*lines, f"{correct}/20 correct; figure: {tmp_path / 'p.png'}"]
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_predict_draws_the_first_test_images_titled_true_and_predicted(
    env: None, tmp_path: Path, capture_drawing: Callable[[], list[tuple[Any, ...]]]
) -> None:
    drawn = capture_drawing()
    run = tmp_path / "run"
    W, b = _write_model(run)
    assert main(["predict", str(run), "-n", "9"]) == 0
    ((images, true, pred, out, num_cols),) = drawn
    assert num_cols == 9  # one row, as the book's
    X = _idx(REAL_DIR / "t10k-images-idx3-ubyte.gz", 9)
    np.testing.assert_allclose(images, X / 255.0, rtol=0, atol=1e-7)
    lines, _ = _expected(W, b, 9)
    assert [f"{t:>12} -> {p}" for t, p in zip(true, pred, strict=True)] == [
        line.removesuffix("   (wrong)") for line in lines
    ]
    assert out == run / "predict-9.png"


@pytest.mark.parametrize(("n", "rows", "cols"), [(6, 1, 6), (20, 2, 10), (23, 3, 8)])
def test_predict_draws_rows_of_at_most_10_images(
    env: None, tmp_path: Path, n: int, rows: int, cols: int
) -> None:
    """-n 20 drew one row of 20 images (-n 100: a strip 11,645 × 160 pixels, unreadable on a
    projector); rows of at most 10, as evenly filled as they can be, keep the book's single row
    up to 10. The PNG's shape tells the grid: a column about 120 pixels wide (1.5 inches at 100
    dpi, the tight crop's margins aside), a row 1.2 to 1.7 times that (an image and its title)."""
    from PIL import Image

    run = tmp_path / "run"
    _write_model(run)
    assert main(["predict", str(run), "-n", str(n)]) == 0
    with Image.open(run / f"predict-{n}.png") as image:
        width, height = image.size
    cell = width / cols
    assert 100 < cell < 130, (width, height)
    assert 1.2 * rows < height / cell < 1.7 * rows, (width, height)


def test_predict_resizes_as_the_model_was_trained(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    _write_model(run, side=14, resize=14)  # trained on 14×14 images: 196 inputs
    assert main(["predict", str(run), "-n", "3"]) == 0
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .endswith(f"/3 correct; figure: {run / 'predict-3.png'}")
    )


def test_an_unfinished_run_is_pointed_at_resume(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    interrupted_checkpoint: Callable[[Path], Path],
) -> None:
    """A run stopped before its weights were saved has a checkpoint: finish it, then predict."""
    run = tmp_path / "run"
    interrupted_checkpoint(run)  # what an interrupted run leaves (no model.pt)
    assert main(["predict", str(run)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"linearnets predict: error: RUN_DIR must hold the trained weights model.pt, got {str(run)!r} "
        "without them; its run stopped before it finished, after 1 of its 2 epochs: finish it "
        f"with linearnets softmax --resume {run} (linearnets.resume_softmax in Python), then "
        "predict; or end it there, with the weights of epoch 1, with linearnets softmax --resume "
        f"{run} --epochs 1 (epochs=1 in linearnets.resume_softmax), then predict\n"
    )
    (run / "checkpoint.pt").unlink()
    assert main(["predict", str(run)]) == 2
    assert "pass a folder written by a finished 'linearnets softmax' run" in capsys.readouterr().err


BOOK_LABELS_ZH = ["T恤", "裤子", "套衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴"]


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # no CJK font on the machine
def test_chinese_labels_are_right_aligned_in_terminal_columns(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Chinese character takes two columns, an ASCII one one: each true label ends at column 12."""
    if cjk_family() is None:
        pytest.skip("no font with Chinese glyphs installed (scripts/setup.sh installs one)")
    run = tmp_path / "run"
    W, b = _write_model(run)
    assert main(["predict", str(run), "-n", "8", "--lang", "zh"]) == 0
    X = _idx(REAL_DIR / "t10k-images-idx3-ubyte.gz", 8).reshape(8, -1) / 255.0
    y = _idx(REAL_DIR / "t10k-labels-idx1-ubyte.gz", 8)
    pred = (X @ W.T + b).argmax(axis=1)
    columns = [sum(1 if ch.isascii() else 2 for ch in BOOK_LABELS_ZH[t]) for t in y]
    expected = [
        " " * (12 - c)
        + f"{BOOK_LABELS_ZH[t]} -> {BOOK_LABELS_ZH[p]}"
        + ("" if t == p else "   (wrong)")
        for c, t, p in zip(columns, y, pred, strict=True)
    ]
    assert capsys.readouterr().out.splitlines()[:-1] == expected


@pytest.mark.parametrize("wrong", [False, True], ids=["predict", "predict --wrong"])
def test_chinese_labels_escaped_for_an_ascii_output_are_aligned_as_written(
    env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wrong: bool
) -> None:
    """PYTHONIOENCODING=ascii: each label is written as its escapes (恤 as \\u6064, six columns,
    not two), and was padded by the columns of its Chinese characters: the '->' did not line up."""
    if cjk_family() is None:
        pytest.skip("no font with Chinese glyphs installed (scripts/setup.sh installs one)")
    run = tmp_path / "run"
    _write_model(run)
    out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", out)
    escape_what_cannot_be_shown()  # as the command's entry sets its streams up
    argv = ["predict", str(run), "-n", "12", "--lang", "zh", *(["--wrong"] if wrong else [])]
    assert main(argv) == 0
    out.flush()
    rows = out.buffer.getvalue().decode("ascii").splitlines()[:-1]  # type: ignore[attr-defined]
    assert len(rows) == 12
    # the true label, as Python escapes it, right-aligned to the widest one written (or 12)
    trues = [row.split(" -> ")[0].split()[-1] for row in rows]
    assert all(label.startswith("\\u") for label in trues)
    expected = {label.encode("ascii").decode("unicode_escape") for label in trues}
    assert expected <= set(BOOK_LABELS_ZH)
    index = len("#9999 ") if wrong else 0  # the widest test index (of 10,000), right-aligned
    assert {row.index(" -> ") for row in rows} == {index + max(12, *map(len, trues))}


def test_chinese_labels_without_a_font_for_them_name_lang_zh_and_its_fix(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a CJK font, --lang zh was refused as "true_labels hold Chinese ... (true_labels[0]
    = '短靴')": the command's user never typed true_labels."""
    import linearnets.plotting._fonts as fonts

    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    run = tmp_path / "run"
    _write_model(run)
    first = BOOK_LABELS_ZH[0]  # the first of the ten the font lacks: refused before reading
    assert main(["predict", str(run), "-n", "3", "--lang", "zh"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets predict: error: --lang zh gives Chinese label names ('{first}'), but no "
        "installed font has their characters (the figure would show empty boxes); pass --lang en "
        "for the book's English labels, or install a font that has them, e.g. 'sudo apt-get "
        "install fonts-wqy-microhei'\n"
    )
    assert not (run / "predict-3.png").exists()


def test_at_most_100_images_are_predicted(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import linearnets.plotting

    drawn: list[int] = []
    monkeypatch.setattr(
        linearnets.plotting,
        "plot_predictions",
        lambda images, true, pred, *, out, num_cols: drawn.append((len(true), num_cols)),
    )
    run = tmp_path / "run"
    _write_model(run)
    assert main(["predict", str(run), "-n", "100"]) == 0
    assert drawn == [(100, 10)] and len(capsys.readouterr().out.splitlines()) == 101
    with pytest.raises(SystemExit, match=r"^2$"):  # refused as the parser reads it, as 1.01e2 is
        main(["predict", str(run), "-n", "101"])
    assert capsys.readouterr().err.startswith(
        "linearnets predict: error: argument -n: must be an integer from 1 to 100, got '101'; pass e.g. -n 6 "
    )


def test_a_run_dir_that_is_no_folder_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("x")
    for run, what in (
        (tmp_path / "nope", "does not exist"),
        (tmp_path / "file", "is not a folder"),
    ):
        assert main(["predict", str(run)]) == 2
        assert capsys.readouterr().err == (
            f"linearnets predict: error: RUN_DIR must be a run folder, got {str(run)!r}, which "
            f"{what}; pass the folder a 'linearnets softmax' run wrote\n"
        )


def test_a_run_dir_named_with_a_line_break_is_named_on_one_line_as_the_shell_takes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """repr named it '.../a\\nb', Python's escape, which the shell reads as a backslash and an n:
    named as shown_path names it ($'...'), on one line, where missing, a file or not writable."""
    import os

    import linearnets.cli.predict as predict_cli

    run = tmp_path / "a\nb"
    said = f"$'{tmp_path}/a\\nb'"
    for what in ("does not exist", "is not a folder"):
        assert main(["predict", str(run)]) == 2
        assert capsys.readouterr().err == (
            f"linearnets predict: error: RUN_DIR must be a run folder, got {said}, which {what}; "
            "pass the folder a 'linearnets softmax' run wrote\n"
        )
        run.write_text("x")
    run.unlink()
    _write_model(run)
    real_access = os.access
    monkeypatch.setattr(
        predict_cli.os, "access", lambda p, m: False if Path(p) == run else real_access(p, m)
    )
    assert main(["predict", str(run), "-n", "3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"linearnets predict: error: RUN_DIR must be a folder you can write to for the figure "
        f"predict-3.png when no --out is given, got {said}, which "
    )
    assert err.count("\n") == 1 and err.endswith(", e.g. --out predict-3.png\n")


@pytest.mark.parametrize("folder", ["lr=0.5", "seed=3", "device=GPU", "runs/out=DIR"])
def test_a_run_dir_named_like_a_setting_is_shown_as_given(
    folder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sweep's folder "lr=0.5" was printed as the option: "got --lr 0.5, which is not a folder"."""
    monkeypatch.chdir(tmp_path)
    assert main(["predict", folder]) == 2
    assert capsys.readouterr().err == (
        f"linearnets predict: error: RUN_DIR must be a run folder, got '{folder}', which does not "
        "exist; pass the folder a 'linearnets softmax' run wrote\n"
    )


@pytest.mark.parametrize(
    ("argv", "argument", "wanted"),
    [
        (["predict", ""], "RUN_DIR", "the run folder a 'linearnets softmax' run wrote, e.g. runs/a"),
        (["predict", "r1", "--out", ""], "--out", "an image file, e.g. --out predictions.png"),
        (["predict", "r1", "--data-dir", ""], "--data-dir",
         "the folder holding the Fashion-MNIST files, e.g. --data-dir data"),
    ],
)  # fmt: skip
def test_an_empty_path_is_refused_with_the_path_wanted(
    argv: list[str], argument: str, wanted: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each said "pass the file or folder name the option takes", RUN_DIR (no option) too."""
    from linearnets.cli._parser import UsageExit

    with pytest.raises(UsageExit):
        main(argv)
    assert capsys.readouterr().err == (
        f"linearnets predict: error: argument {argument}: must be a path, got an empty string; "
        f"pass {wanted} (see linearnets predict --help)\n"
    )


def test_a_model_trained_on_a_data_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Even one whose sizes happen to fit Fashion-MNIST's: its inputs were other features (its
    classes "0" to "9", as a --data run names them)."""
    import json

    run = tmp_path / "run"
    _write_model(run, classes=[str(c) for c in range(10)])
    (run / "config.json").write_text(json.dumps({"config": {"data": "pixels.npz"}}))
    assert main(["predict", str(run)]) == 2
    assert capsys.readouterr().err.startswith(
        f"linearnets predict: error: predict draws Fashion-MNIST test images, but the run in {run} "
        "was trained on --data pixels.npz; evaluate that model on its own data from Python"
    )


@pytest.mark.parametrize("checkpoint", [False, True], ids=["alone", "beside-a-checkpoint"])
def test_a_data_file_in_config_json_beside_a_fashion_mnist_model_names_config_json(
    env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    interrupted_checkpoint: Callable[[Path], Path],
    checkpoint: bool,
) -> None:
    """A "data" written into a Fashion-MNIST run's config.json by hand was said to be what the run
    trained on, and the model sent to Python for that data, though its model.pt is Fashion-MNIST's
    (its class names, which a --data run's never are): config.json is named as disagreeing with
    it, with what each says, and the fix, which predict then follows."""
    import json

    run = tmp_path / "run"
    _write_model(run)  # Fashion-MNIST's class names
    if checkpoint:
        interrupted_checkpoint(run)  # its settings name no data file
    settings = {"config": {"data": "/tmp/nothere.npz"}}
    (run / "config.json").write_text(json.dumps(settings))
    assert main(["predict", str(run), "-n", "2"]) == 2
    also = ", and its checkpoint.pt's settings name no --data file" if checkpoint else ""
    assert capsys.readouterr().err == (
        f"linearnets predict: error: {run / 'config.json'} disagrees with model.pt beside it: it "
        "says the run was trained on --data /tmp/nothere.npz, but model.pt holds a Fashion-MNIST "
        f"model (784 inputs, 10 outputs, Fashion-MNIST's class names){also}; config.json was "
        'edited or copied from another run: put back the run\'s own, or set "data" in its '
        '"config" back to null, then predict\n'
    )
    settings["config"]["data"] = None  # as it says
    (run / "config.json").write_text(json.dumps(settings))
    assert main(["predict", str(run), "-n", "2"]) == 0
    assert capsys.readouterr().out.endswith(f"/2 correct; figure: {run / 'predict-2.png'}\n")


@pytest.mark.parametrize(
    ("value", "got"),
    [(1, "got 1"), (True, "got true"), ("", 'got ""'), ([], "got []")],
    ids=["number", "true", "empty", "array"],
)
def test_a_hand_edited_data_value_in_config_json_is_refused_in_the_files_words(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: object, got: str
) -> None:
    """A "data": 1 by hand was said as "the run ... was trained on --data 1" (true as "--data
    True"): no file. It is refused as the resumes refuse it, the key, the rule and the value in
    the file's words, with the fix of a damaged config.json, which predict then follows."""
    import json

    run = tmp_path / "run"
    W, b = _write_model(run)
    (run / "config.json").write_text(json.dumps({"config": {"data": value}}))
    assert main(["predict", str(run), "-n", "2"]) == 2
    rule = (
        f"data must be a non-empty path or null, {got}"
        if value == ""
        else f"data must be a path (a string) or null, {got}"
    )
    assert capsys.readouterr().err == (
        f"linearnets predict: error: {run / 'config.json'}: its 'config' section holds a value no "
        f"run takes ({rule}); correct it, or delete config.json alone (not the folder), or "
        "restore it from a copy of the run: the run's weights (model.pt) do not need it, so "
        "linearnets predict works without it\n"
    )
    (run / "config.json").unlink()  # as advised
    assert main(["predict", str(run), "-n", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == _expected(W, b, 2)[0]


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (5, "data_dir must be a path (a string) or null, got 5"),
        (True, "data_dir must be a path (a string) or null, got true"),
        ([], "data_dir must be a path (a string) or null, got []"),
        ("", 'data_dir must be a non-empty path or null, got ""'),
    ],
    ids=["number", "true", "array", "empty"],
)
def test_a_hand_edited_data_dir_value_in_config_json_is_refused_in_the_files_words(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: object, rule: str
) -> None:
    """A "data_dir": 5 (true, [], "") by hand was passed over unread: predict searched the usual
    places as if the run had no folder of its own, where --resume refuses the file. It is refused
    as "data" is, the key, the rule and the value in the file's words, with the fix of a damaged
    config.json, which predict then follows."""
    import json

    run = tmp_path / "run"
    W, b = _write_model(run)
    (run / "config.json").write_text(json.dumps({"config": {"data": None, "data_dir": value}}))
    assert main(["predict", str(run), "-n", "2"]) == 2
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: {run / 'config.json'}: its 'config' section holds a value "
        f"no run takes ({rule}); correct it, or delete config.json alone (not the folder), or "
        "restore it from a copy of the run: the run's weights (model.pt) do not need it, so "
        "linearnets predict works without it\n",
    )
    assert not (run / "predict-2.png").exists()
    (run / "config.json").unlink()  # as advised
    assert main(["predict", str(run), "-n", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == _expected(W, b, 2)[0]


@pytest.mark.parametrize("weights", ["missing", "damaged"])
def test_a_data_file_run_without_sound_weights_is_refused_for_its_data_not_sent_to_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], weights: str
) -> None:
    """It said to write model.pt again with --resume "then predict", which then refused the run
    for its --data: a resume that could never have helped."""
    import json

    run = tmp_path / "run"
    _write_model(run)
    (run / "config.json").write_text(json.dumps({"config": {"data": "d.npz"}}))
    (run / "checkpoint.pt").write_bytes(b"epoch 1")
    (run / "results.json").write_text("{}")
    if weights == "missing":
        (run / "model.pt").unlink()
    else:
        (run / "model.pt").write_bytes(b"cut short")
    assert main(["predict", str(run), "-n", "2"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets predict: error: predict draws Fashion-MNIST test images, but the run in {run} "
        "was trained on --data d.npz; evaluate that model on its own data from Python "
        "(linearnets.tasks.softmax.load_trained)\n"
    )


@pytest.mark.realdata
def test_a_model_pt_without_its_resize_entry_is_a_28_by_28_model(
    tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """load_trained takes a model.pt without "resize" (an older file): so does predict."""
    W, b = _write_model(tmp_path / "run", resize=None)
    payload = torch.load(tmp_path / "run" / "model.pt", weights_only=True)
    assert "resize" in payload
    del payload["resize"]
    torch.save(payload, tmp_path / "run" / "model.pt")
    assert main(["predict", str(tmp_path / "run"), "-n", "4"]) == 0
    lines, correct = _expected(W, b, 4)
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == lines and out[4].startswith(f"{correct}/4 correct")


def test_a_model_of_other_classes_is_refused_without_its_config_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --data run's model.pt names its own classes: with config.json gone, they still tell."""
    run = tmp_path / "run"
    _write_model(run, classes=[str(i) for i in range(10)])
    assert main(["predict", str(run)]) == 2
    assert capsys.readouterr().err.startswith(
        f"linearnets predict: error: predict draws Fashion-MNIST test images, but the model in "
        f"{run} was trained on other classes (0, 1, 2, 3, ...): --data;"
    )


def test_a_run_dir_under_tilde_is_the_home_folders_as_out_is(
    env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """'~/run' quoted (no shell expanded it): RUN_DIR, like --out, is read as the shell would."""
    import os

    monkeypatch.setenv("HOME", str(tmp_path))
    assert os.path.expanduser("~/run") == str(tmp_path / "run")  # the oracle
    W, b = _write_model(tmp_path / "run")
    assert main(["predict", "~/run", "-n", "3"]) == 0
    lines, correct = _expected(W, b, 3)
    out = tmp_path / "run" / "predict-3.png"  # the default figure, in the expanded folder
    assert capsys.readouterr().out.splitlines() == [*lines, f"{correct}/3 correct; figure: {out}"]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # --out is expanded too, and the figure line names the file written
    assert main(["predict", "~/run", "-n", "3", "--out", "~/p.png"]) == 0
    assert capsys.readouterr().out.endswith(f"figure: {tmp_path / 'p.png'}\n")
    assert (tmp_path / "p.png").is_file() and not Path("~").exists()


@pytest.mark.parametrize("content", ["{bad", '{"config": 5}'])
def test_a_damaged_config_json_is_named_with_a_fix_predict_then_follows(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    """predict needs only model.pt: deleting the damaged config.json (not the run folder) is
    enough, which the message says; a 'config' that is no object is named as such."""
    run = tmp_path / "run"
    W, b = _write_model(run)
    (run / "config.json").write_text(content)
    assert main(["predict", str(run), "-n", "2"]) == 2
    err = capsys.readouterr().err
    what = (
        " is not a readable JSON config ("
        if content == "{bad"
        else ": its 'config' section must be a JSON object (the run's settings), got the number 5;"
    )
    assert err.startswith(f"linearnets predict: error: {run / 'config.json'}{what}")
    assert err.endswith(
        "; delete config.json alone (not the folder), or restore it from a copy of the run: the "
        "run's weights (model.pt) do not need it, so linearnets predict works without it\n"
    )
    (run / "config.json").unlink()  # as advised
    assert main(["predict", str(run), "-n", "2"]) == 0
    lines, _ = _expected(W, b, 2)
    assert capsys.readouterr().out.splitlines()[:2] == lines


def test_training_settings_predict_does_not_use_are_read_past(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """predict reads 'data' and 'data_dir' from config.json alone (the model's shape is its
    weights'): an "lr": "0.5" by hand, which --resume refuses, or a file lacking the settings a
    run writes, is no reason to refuse drawing the model's predictions (docs/cli.md says so)."""
    import json

    run = tmp_path / "run"
    W, b = _write_model(run)
    section = {"lr": "0.5", "epochs": "three", "resize": 10}  # resize: model.pt's (None) holds
    (run / "config.json").write_text(json.dumps({"config": section}))
    assert main(["predict", str(run), "-n", "2"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[:2] == _expected(W, b, 2)[0]
    assert err == ""


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (
            {"confg": {"data": None}},
            "has no 'config' section (the run's settings), but keys no run writes: 'confg' (did "
            "you mean 'config'?); name the settings 'config' again",
        ),
        (
            {"config": {"data": None}, "epochs": 3},
            ": a top-level key must be a section a run writes, or a note of your own named unlike "
            "any of them, got 'epochs' (a setting: the 'config' section holds them), which would "
            "go unread; correct it",
        ),
    ],
    ids=["misspelt-section", "setting-at-top-level"],
)
def test_a_misspelt_section_or_a_setting_out_of_config_is_refused(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any, why: str
) -> None:
    """The file's sections are checked as --resume checks them (docs/cli.md): a "data" under a
    misspelt "confg" would go unread, as would an "epochs" at the top level."""
    import json

    run = tmp_path / "run"
    _write_model(run)
    (run / "config.json").write_text(json.dumps(content))
    assert main(["predict", str(run), "-n", "2"]) == 2
    space = "" if why.startswith(":") else " "
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: {run / 'config.json'}{space}{why}, or delete config.json "
        "alone (not the folder), or restore it from a copy of the run: the run's weights "
        "(model.pt) do not need it, so linearnets predict works without it\n",
    )
    assert not (run / "predict-2.png").exists()


def test_without_data_dir_the_runs_own_data_folder_is_read_as_resume_reads_it(
    env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run trained with --data-dir DIR records DIR in config.json: predict read only the usual
    places, so where none held the files it said "Fashion-MNIST was not found" though DIR held
    them (and --resume found them there). A DIR removed since falls back to the search."""
    import json

    from linearnets.data import files

    folder = tmp_path / "my data"
    folder.mkdir()
    for path in REAL_DIR.glob("*.gz"):
        (folder / path.name).symlink_to(path)
    run = tmp_path / "run"
    W, b = _write_model(run)
    (run / "config.json").write_text(
        json.dumps({"config": {"data": None, "data_dir": str(folder)}})
    )
    monkeypatch.setattr(files, "_debian_dir", lambda: None)  # no other copy: not in ./data, ~
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(["predict", str(run), "-n", "5"]) == 0
    lines, correct = _expected(W, b, 5)
    out = run / "predict-5.png"
    assert capsys.readouterr().out.splitlines() == [*lines, f"{correct}/5 correct; figure: {out}"]
    # the folder removed: the search's copy (the Debian package's) is the same data
    for path in folder.iterdir():
        path.unlink()
    monkeypatch.setattr(files, "_debian_dir", lambda: REAL_DIR)
    assert main(["predict", str(run), "-n", "5"]) == 0
    assert capsys.readouterr().out.splitlines() == [*lines, f"{correct}/5 correct; figure: {out}"]


def test_a_relative_data_dir_in_config_json_is_refused_unless_data_dir_is_given(
    env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A "data_dir": "fm" by hand (a run writes it absolute) was read from the current folder:
    predict drew from whatever fm it found there, or passed over the run's folder for the search.
    It is refused as --resume refuses it, naming the key, the rule, the value and where it would
    be read; --data-dir DIR, which replaces the run's folder, predicts."""
    import json

    run = tmp_path / "run"
    W, b = _write_model(run)
    (run / "config.json").write_text(json.dumps({"config": {"data": None, "data_dir": "fm"}}))
    (tmp_path / "elsewhere").mkdir()
    _test_files_only(tmp_path / "elsewhere" / "fm")  # a copy here: still not the run's folder
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert main(["predict", "../run", "-n", "2"]) == 2
    assert capsys.readouterr() == (
        "",
        "linearnets predict: error: ../run/config.json: its 'config' section's 'data_dir' must be "
        "an absolute path (a run writes the Fashion-MNIST folder it trained on as one), got the "
        'string "fm", a relative path, which predict would look for in the current folder, as '
        f"{tmp_path / 'elsewhere' / 'fm'}; write the folder's absolute path there (or null, to "
        "search the usual places), or pass --data-dir DIR to read the test images from that "
        "folder\n",
    )
    assert not (run / "predict-2.png").exists()
    assert main(["predict", "../run", "-n", "2", "--data-dir", str(REAL_DIR)]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == _expected(W, b, 2)[0]


@pytest.mark.parametrize("read_only", [True, False])
def test_a_run_dir_that_cannot_take_the_default_figure_is_named_before_predicting(
    env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    read_only: bool,
) -> None:
    """A run folder on a read-only mount was refused at saving, after the model had run, as
    "--out must be a file in a folder you can write to", an --out never given. As root every
    folder passes os.access, so the mount's answers are stood in for."""
    import os
    from types import SimpleNamespace

    import linearnets.cli.predict as predict_cli

    run = tmp_path / "run"
    _write_model(run)
    real_access, real_statvfs = os.access, os.statvfs
    monkeypatch.setattr(
        predict_cli.os, "access", lambda p, m: False if Path(p) == run else real_access(p, m)
    )
    flags = os.ST_RDONLY if read_only else 0
    monkeypatch.setattr(
        predict_cli.os,
        "statvfs",
        lambda p: SimpleNamespace(f_flag=flags) if Path(p) == run else real_statvfs(p),
    )
    assert main(["predict", str(run), "-n", "3"]) == 2
    why = "is on a read-only file system" if read_only else "is not writable"
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: RUN_DIR must be a folder you can write to for the figure "
        f"predict-3.png when no --out is given, got {str(run)!r}, which {why}; pass --out to write "
        "the figure elsewhere, e.g. --out predict-3.png\n",
    )
    assert list(run.iterdir()) == [run / "model.pt"]
    out = tmp_path / "p.png"  # as advised
    assert main(["predict", str(run), "-n", "3", "--out", str(out)]) == 0
    assert capsys.readouterr().out.endswith(f"figure: {out}\n") and out.is_file()


@pytest.mark.parametrize("kind", ["empty", "linreg"])
def test_a_folder_that_is_no_softmax_run_is_named_so_before_it_is_found_unwritable(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    """An unwritable folder holding no model.pt (/proc/self, a read-only data folder) or a
    linear-regression run was told to take --out, and only once it was given refused for what no
    --out fixes. As root every folder passes os.access, so the mount's answers are stood in for."""
    import os
    from types import SimpleNamespace

    import linearnets.cli.predict as predict_cli

    run = tmp_path / "ro2"
    if kind == "empty":
        run.mkdir()
        why = (
            f"RUN_DIR must hold the trained weights model.pt, got {str(run)!r} without them; "
            "pass a folder written by a finished 'linearnets softmax' run"
        )
    else:
        assert main(["linreg", "--epochs", "1", "--out", str(run)]) == 0
        capsys.readouterr()
        why = (
            f"the run folder {run} holds a linear-regression run (its config.json is of task "
            "'linreg'), not a softmax run; predict draws a 'linearnets softmax' run's "
            "predictions: pass its folder"
        )
    files = sorted(run.iterdir())
    real_access, real_statvfs = os.access, os.statvfs
    monkeypatch.setattr(
        predict_cli.os, "access", lambda p, m: False if Path(p) == run else real_access(p, m)
    )
    monkeypatch.setattr(
        predict_cli.os,
        "statvfs",
        lambda p: SimpleNamespace(f_flag=os.ST_RDONLY) if Path(p) == run else real_statvfs(p),
    )
    assert main(["predict", str(run)]) == 2
    assert capsys.readouterr() == ("", f"linearnets predict: error: {why}\n")
    assert sorted(run.iterdir()) == files


def test_a_run_dir_writable_but_not_searchable_cannot_take_the_default_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder of mode 0o600 (write, no search): no file can be made in it. As root every folder
    passes os.access, so its answers are stood in for."""
    import os
    from types import SimpleNamespace

    import linearnets.cli.predict as predict_cli
    from linearnets.errors import UsageError

    access = os.access
    monkeypatch.setattr(  # that folder alone: the working folder, offered instead, can be written
        predict_cli.os,
        "access",
        lambda p, mode: not (mode & os.X_OK and Path(p) == tmp_path) and access(p, mode),
    )
    monkeypatch.setattr(predict_cli.os, "statvfs", lambda p: SimpleNamespace(f_flag=0))
    with pytest.raises(UsageError) as info:
        predict_cli._check_writable(tmp_path, "predict-6.png")
    assert str(info.value) == (
        "RUN_DIR must be a folder you can write to for the figure predict-6.png when no --out is "
        f"given, got {str(tmp_path)!r}, which is not writable; pass --out to write the figure "
        "elsewhere, e.g. --out predict-6.png"
    )


@pytest.mark.parametrize("state", ["emptied", "damaged"])
def test_the_runs_data_folder_passed_over_is_named_where_the_search_finds_nothing(
    env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    state: str,
) -> None:
    """The run's data_dir, searched first, went unmentioned in "not found (searched ...)"."""
    folder = tmp_path / "my data"
    folder.mkdir()
    for path in REAL_DIR.glob("*.gz"):
        if state == "damaged" or path.name.startswith("train"):
            (folder / path.name).symlink_to(path)
    if state == "damaged":
        (folder / "t10k-labels-idx1-ubyte.gz").unlink()
        with gzip.open(folder / "t10k-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"junk")
    run = tmp_path / "run"
    err = _predict_error(run, folder, tmp_path, monkeypatch, capsys)
    why = (
        "it lacks t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte"
        if state == "emptied"
        else f"a damaged file ({folder / 't10k-labels-idx1-ubyte.gz'}: expected 10008 bytes"
    )
    assert (
        "Fashion-MNIST's t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte were not found "
        f"(searched {str(folder)!r}, the run's data_dir in config.json, first: {why}" in err
    ), err
    assert "; then " in err and not (run / "predict-2.png").exists()


def test_the_runs_data_folder_passed_over_is_named_as_the_shell_takes_it(
    env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A data_dir named with a line break was named by repr ('.../my\\ndata'), which the shell
    reads as a backslash and an n: as shown_path names it, the error on one line."""
    folder = tmp_path / "my\ndata"
    folder.mkdir()
    run = tmp_path / "run"
    err = _predict_error(run, folder, tmp_path, monkeypatch, capsys)
    assert (
        "were not found (searched "
        f"$'{tmp_path}/my\\ndata', the run's data_dir in config.json, first: it lacks "
        "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; then " in err
    ), err
    assert err.count("\n") == 1


def _predict_error(
    run: Path,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> str:
    """Return what ``linearnets predict`` prints to stderr for a run trained on ``data_dir``
    (recorded in its config.json), with no Debian package or home copy to fall back on."""
    import json

    from linearnets.data import files

    _write_model(run)
    (run / "config.json").write_text(
        json.dumps({"config": {"data": None, "data_dir": str(data_dir)}})
    )
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(["predict", str(run), "-n", "2"]) != 0
    return capsys.readouterr().err


def _test_files_only(folder: Path) -> Path:
    """Copy the Debian package's two test files, alone, into ``folder``; return it."""
    import shutil

    folder.mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(REAL_DIR / name, folder / name)
    return folder


def test_a_data_dir_holding_the_test_files_alone_predicts_as_the_full_folder(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """predict reads the test split only, yet refused a --data-dir without the train files:
    "--data-dir must hold the Fashion-MNIST files ..., which lacks train-images-idx3-ubyte, ..."."""
    only = _test_files_only(tmp_path / "test only")
    run = tmp_path / "run"
    W, b = _write_model(run)
    out = tmp_path / "p.png"
    assert main(["predict", str(run), "-n", "12", "--data-dir", str(only), "--out", str(out)]) == 0
    from_only = capsys.readouterr().out
    lines, correct = _expected(W, b, 12)
    assert from_only.splitlines() == [*lines, f"{correct}/12 correct; figure: {out}"]
    assert (
        main(["predict", str(run), "-n", "12", "--data-dir", str(REAL_DIR), "--out", str(out)]) == 0
    )
    assert capsys.readouterr().out == from_only  # the full folder: the same predictions
    # training still needs all four files, and says which are missing, and (the Debian package
    # installed, env) where this machine has them
    assert (
        main(["softmax", "--data-dir", str(only), "--epochs", "1", "--out", str(tmp_path / "r")])
        == 2
    )
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: --data-dir must hold the Fashion-MNIST files (or "
        f"FashionMNIST/raw/ with them), got {str(only)!r}, which lacks train-images-idx3-ubyte, "
        "train-labels-idx1-ubyte; the Debian package dataset-fashion-mnist is installed here, "
        f"with the files in {REAL_DIR}: they are read from there when no --data-dir DIR is "
        f"passed (and LINEARNETS_DATA is unset), or pass --data-dir {REAL_DIR}\n"
    )
    assert not (tmp_path / "r").exists()


def test_the_runs_data_folder_holding_the_test_files_alone_is_read(
    env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The run's data_dir from config.json, and the search ($LINEARNETS_DATA), take a folder of
    the two test files too."""
    import json

    from linearnets.data import files

    only = _test_files_only(tmp_path / "only")
    run = tmp_path / "run"
    W, b = _write_model(run)
    (run / "config.json").write_text(json.dumps({"config": {"data": None, "data_dir": str(only)}}))
    monkeypatch.setattr(files, "_debian_dir", lambda: None)  # no other copy: not in ./data, ~
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(["predict", str(run), "-n", "4"]) == 0
    lines, correct = _expected(W, b, 4)
    out = run / "predict-4.png"
    assert capsys.readouterr().out.splitlines() == [*lines, f"{correct}/4 correct; figure: {out}"]
    (run / "config.json").unlink()
    monkeypatch.setenv("LINEARNETS_DATA", str(only))
    assert main(["predict", str(run), "-n", "4"]) == 0
    assert capsys.readouterr().out.splitlines() == [*lines, f"{correct}/4 correct; figure: {out}"]


def test_a_data_dir_without_the_test_files_names_the_two_needed(
    env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from linearnets.data import files

    monkeypatch.setattr(files, "_debian_dir", lambda: None)  # without it: install it, or download
    folder = tmp_path / "train only"
    folder.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (folder / name).symlink_to(REAL_DIR / name)
    run = tmp_path / "run"
    _write_model(run)
    assert main(["predict", str(run), "--data-dir", str(folder)]) == 2
    assert capsys.readouterr().err == (
        "linearnets predict: error: --data-dir must hold Fashion-MNIST's t10k-images-idx3-ubyte "
        f"and t10k-labels-idx1-ubyte (or FashionMNIST/raw/ with them), got {str(folder)!r}, which "
        "lacks t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; get it with 'sudo apt-get install "
        "dataset-fashion-mnist', or 'linearnets data download --data-dir DIR' where a network "
        "exists, then pass --data-dir DIR (or set LINEARNETS_DATA)\n"
    )
    assert not (run / "predict-6.png").exists()


@pytest.mark.parametrize(
    "name",
    [
        "curves.png",
        "curves.svg",
        "predictions.png",
        "confusion.png",
        "predict-3.png",
        "predict-3.pdf",
    ],
)
def test_an_out_over_a_figure_of_the_run_is_refused_and_the_figure_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """--out onto the run's own curves.png wrote the prediction grid over them, and predict-3.png
    at -n 6 held six predictions under -n 3's name (as .pdf too, --out's other formats): each would
    pass for the run's figure."""
    run = tmp_path / "run"
    _write_model(run)
    (run / name).write_bytes(b"the run's figure")
    assert main(["predict", str(run), "--out", str(run / name)]) == 2
    what = (
        f"{name}, which the run in {run} writes: a figure written there would pass for the run's"
        if not name.startswith("predict-3.")
        else f"{name} in the run folder {run}, the name linearnets predict gives the predictions "
        "of that run's weights at -n 3: a figure written there would pass for them"
    )
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: --out {run / name} is {what}; leave out --out to draw into "
        f"{run / 'predict-6.png'}, or pass a file outside the run folder, e.g. --out "
        "predict-6.png\n",
    )
    assert (run / name).read_bytes() == b"the run's figure"
    assert sorted(p.name for p in run.iterdir()) == sorted([name, "model.pt"])


def test_an_out_among_another_runs_predictions_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run a's predictions drawn into run b's folder as predict-6.png passed for b's own."""
    a, b = tmp_path / "a", tmp_path / "b"
    _write_model(a)
    _write_model(b)
    assert main(["predict", str(a), "--out", str(b / "predict-6.png")]) == 2
    assert capsys.readouterr().err.startswith(
        f"linearnets predict: error: --out {b / 'predict-6.png'} is predict-6.png in the run "
        f"folder {b}, the name linearnets predict gives the predictions of that run's weights at "
        "-n 6: a figure written there would pass for them; "
    )
    assert sorted(p.name for p in b.iterdir()) == ["model.pt"]


_ANY_CASE = "(the same file where a file system tells no case apart, as macOS's and Windows' do)"


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("confusion.pdf", "confusion.pdf, the run's confusion.png under another suffix"),
        ("predictions.svg", "predictions.svg, the run's predictions.png under another suffix"),
        ("curves.PDF", "curves.PDF, the run's curves.png and curves.svg under another suffix"),
        (
            "Confusion.png",
            f"Confusion.png, the run's confusion.png in other letters' case {_ANY_CASE}",
        ),
        ("Curves.svg", f"Curves.svg, the run's curves.svg in other letters' case {_ANY_CASE}"),
        ("PREDICTIONS.pdf", "PREDICTIONS.pdf, the run's predictions.png under another suffix"),
    ],
)
def test_an_out_of_a_runs_figure_under_another_suffix_or_case_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, what: str
) -> None:
    """--out run/confusion.pdf was accepted (only confusion.png refused): beside the run's own
    figures it passed for the run's confusion matrix, and no resume removed it. --out
    run/Confusion.png was accepted too (only the suffix was matched in any case): on macOS's or
    Windows' file system it is the run's confusion.png, and was written over it."""
    run = tmp_path / "run"
    _write_model(run)
    assert main(["predict", str(run), "-n", "2", "--out", str(run / name)]) == 2
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: --out {run / name} is {what}, which the run in {run} "
        "writes: a figure written there would pass for the run's; leave out --out to draw into "
        f"{run / 'predict-2.png'}, or pass a file outside the run folder, e.g. --out "
        "predict-2.png\n",
    )
    assert sorted(p.name for p in run.iterdir()) == ["model.pt"]


@pytest.mark.parametrize("name", ["predict-02.png", "predict-002.svg", "predict-wrong-02.PDF"])
def test_a_zero_padded_predict_figure_is_refused_as_the_figure_it_passes_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """predict -n 3 --out run/predict-02.png was accepted where predict-2.png was refused: it
    passed for -n 2's figure, and a resume that trains, which removes predict-2.png, kept it."""
    run = tmp_path / "run"
    _write_model(run)
    assert main(["predict", str(run), "-n", "3", "--out", str(run / name)]) == 2
    wrong = "wrong" in name
    canonical = ("predict-wrong-2" if wrong else "predict-2") + name[name.index(".") :]
    assert capsys.readouterr().err == (
        f"linearnets predict: error: --out {run / name} is {name} in the run folder {run}, which "
        f"passes for {canonical}, the name linearnets predict gives the "
        f"{'mistakes' if wrong else 'predictions'} of that run's weights at -n 2"
        f"{' --wrong' if wrong else ''}: a figure written there would pass for them; leave out "
        f"--out to draw into {run / 'predict-3.png'}, or pass a file outside the run folder, "
        "e.g. --out predict-3.png\n"
    )
    assert sorted(p.name for p in run.iterdir()) == ["model.pt"]


def test_its_own_figure_zero_padded_is_refused_with_its_name_as_predict_gives_it(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """predict -n 2 --out run/predict-02.png was drawn (exit 0), a name no resume removes: after
    one that trained it showed the weights before beside the new model. Refused now, the name
    offered is predict's own, which the resume removes."""
    run = tmp_path / "run"
    _write_model(run)
    assert main(["predict", str(run), "-n", "2", "--out", str(run / "predict-02.svg")]) == 2
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: --out {run / 'predict-02.svg'} is predict-2.svg "
        f"zero-padded, in the run folder {run}: it would pass for the figure linearnets predict "
        "draws there at -n 2, yet a resume that trains removes that figure and would keep this "
        f"one beside the new weights; pass --out {run / 'predict-2.svg'}, or leave out --out\n",
    )
    assert sorted(p.name for p in run.iterdir()) == ["model.pt"]
    assert main(["predict", str(run), "-n", "2", "--out", str(run / "predict-2.svg")]) == 0
    assert sorted(p.name for p in run.iterdir()) == ["model.pt", "predict-2.svg"]


@pytest.mark.parametrize("folder", ["existdir", "d.png"])
def test_an_out_that_is_a_folder_is_told_the_file_predict_would_draw_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], folder: str
) -> None:
    """--out existdir (a folder, no suffix) was told "--out must end with one of .png, .svg,
    .pdf"; --out d.png (a folder) was offered d.png/figure.png. Both now get predict's name."""
    run = tmp_path / "run"
    _write_model(run)
    (tmp_path / folder).mkdir()
    assert main(["predict", str(run), "-n", "2", "--out", str(tmp_path / folder)]) == 2
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: --out {tmp_path / folder} is a folder; pass a file name in "
        f"it, e.g. {tmp_path / folder / 'predict-2.png'}\n",
    )


def test_a_folder_holding_only_a_results_json_is_no_run_for_the_figure(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out paper/confusion.pdf, paper holding only a results.json (a paper's, say), was refused
    as "confusion.pdf ..., which the run in paper writes": no run is there without its
    config.json, checkpoint.pt or model.pt. One holding a config.json alone still refuses it."""
    run, paper = tmp_path / "run", tmp_path / "paper"
    _write_model(run)
    paper.mkdir()
    (paper / "results.json").write_text("{}")
    assert main(["predict", str(run), "-n", "2", "--out", str(paper / "confusion.pdf")]) == 0
    assert capsys.readouterr().out.endswith(f"figure: {paper / 'confusion.pdf'}\n")
    assert sorted(p.name for p in paper.iterdir()) == ["confusion.pdf", "results.json"]
    (paper / "config.json").write_text("{}")
    assert main(["predict", str(run), "-n", "2", "--out", str(paper / "curves.png")]) == 2
    assert f"which the run in {paper} writes" in capsys.readouterr().err


def test_a_predict_figure_in_other_case_is_refused_as_the_figure_it_passes_for(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out run/Predict-02.png (another -n's) and run/PREDICT-2.png (its own) were drawn: on a
    file system that tells no case apart they are predict-2.png, and no resume removes them
    under that name. The own one is offered as predict names it, which then draws."""
    run = tmp_path / "run"
    _write_model(run)
    assert main(["predict", str(run), "-n", "3", "--out", str(run / "Predict-02.png")]) == 2
    assert capsys.readouterr().err == (
        f"linearnets predict: error: --out {run / 'Predict-02.png'} is Predict-02.png in the run "
        f"folder {run}, which passes for predict-2.png, the name linearnets predict gives the "
        "predictions of that run's weights at -n 2: a figure written there would pass for them; "
        f"leave out --out to draw into {run / 'predict-3.png'}, or pass a file outside the run "
        "folder, e.g. --out predict-3.png\n"
    )
    assert main(["predict", str(run), "-n", "2", "--out", str(run / "PREDICT-02.svg")]) == 2
    assert capsys.readouterr().err == (
        f"linearnets predict: error: --out {run / 'PREDICT-02.svg'} is predict-2.svg zero-padded "
        f"and in other letters' case, in the run folder {run}: it would pass for the figure "
        "linearnets predict draws there at -n 2, yet a resume that trains removes that figure "
        f"and would keep this one beside the new weights; pass --out {run / 'predict-2.svg'}, "
        "or leave out --out\n"
    )
    assert main(["predict", str(run), "-n", "2", "--out", str(run / "Predict-2.png")]) == 2
    assert "is predict-2.png in other letters' case, in the run folder" in capsys.readouterr().err
    assert sorted(p.name for p in run.iterdir()) == ["model.pt"]
    assert main(["predict", str(run), "-n", "2", "--out", str(run / "predict-2.png")]) == 0
    assert sorted(p.name for p in run.iterdir()) == ["model.pt", "predict-2.png"]


def test_an_out_that_is_another_runs_folder_is_offered_a_file_outside_it(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--out r2, another run's folder, was told to pass r2/predict-2.png, which was then refused
    as passing for r2's predictions. A file outside r2 is offered now, and draws; the run's own
    folder as --out is still offered predict's name in it."""
    run, other = tmp_path / "run", tmp_path / "r2"
    _write_model(run)
    _write_model(other)
    monkeypatch.chdir(tmp_path)
    assert main(["predict", "run", "-n", "2", "--out", "r2"]) == 2
    assert capsys.readouterr() == (
        "",
        "linearnets predict: error: --out r2 is a folder, and holds another run than run's: "
        "a figure drawn in it would pass for that run's; leave out --out to draw into "
        "run/predict-2.png, or pass a file outside that run's folder, e.g. --out predict-2.png\n",
    )
    assert main(["predict", "run", "-n", "2", "--out", "predict-2.png"]) == 0
    assert (tmp_path / "predict-2.png").is_file()
    assert main(["predict", "run", "-n", "2"]) == 0
    assert sorted(p.name for p in run.iterdir()) == ["model.pt", "predict-2.png"]
    assert sorted(p.name for p in other.iterdir()) == ["model.pt"]
    capsys.readouterr()
    assert main(["predict", "run", "-n", "2", "--out", "run"]) == 2
    assert capsys.readouterr().err == (
        "linearnets predict: error: --out run is a folder; pass a file name in it, e.g. "
        "run/predict-2.png\n"
    )


def test_its_own_figure_named_as_out_is_drawn(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default figure, spelt as --out through another path to the same folder, is predict's."""
    run = tmp_path / "run"
    _write_model(run)
    out = tmp_path / "." / "run" / ".." / "run" / "predict-2.png"
    assert main(["predict", str(run), "-n", "2", "--out", str(out)]) == 0
    assert capsys.readouterr().out.endswith(f"figure: {out}\n")
    assert (run / "predict-2.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("out", [None, "elsewhere/p.png"])
def test_a_figure_a_full_disk_cannot_take_is_named(
    env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    out: str | None,
) -> None:
    """It said "[Errno 28] No space left on device (OSError): a device is full ...": not which
    file, nor in which folder (the run's or --out's), the device was full. No file is left."""
    import errno

    from matplotlib.figure import Figure

    def full(self: Figure, fname: Any, **kwargs: Any) -> None:
        fname.write(b"\x89PNG")  # part of it written, to the file matplotlib was handed
        raise OSError(errno.ENOSPC, "No space left on device")

    run = tmp_path / "run"
    _write_model(run)
    monkeypatch.setattr(Figure, "savefig", full)
    figure = run / "predict-20.png" if out is None else tmp_path / out
    options = [] if out is None else ["--out", str(figure)]
    assert main(["predict", str(run), "-n", "20", *options]) == 1
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: {figure} could not be written: No space left on device "
        "(OSError): a device is full (the disk, or where the output goes); free some space and "
        "run it again\n",
    )
    assert sorted(p.name for p in figure.parent.iterdir()) == (["model.pt"] if out is None else [])


def test_lines_a_full_stdout_cannot_take_leave_the_figure_and_status_0(
    env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``>/dev/full``: the figure was written, yet it said "free some space and run it again"
    (status 1); only the printed lines are lost, said once."""
    import errno

    class Full(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    run = tmp_path / "run"
    _write_model(run)
    monkeypatch.setattr(sys, "stdout", Full())
    assert main(["predict", str(run), "-n", "3", "--out", str(tmp_path / "c2.png")]) == 0
    assert capsys.readouterr().err == (
        "linearnets predict: warning: stdout could not be written (No space left on device): the "
        "lines it prints are lost from here on; the command goes on, and the files it writes are "
        "written as usual\n"
    )
    assert (tmp_path / "c2.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("then", ["removed", "replaced"])
def test_a_figure_drawn_while_a_resume_replaced_the_weights_is_removed(
    env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    then: str,
) -> None:
    """A resume started while predict drew (it removes model.pt, then the predict-N.png figures
    there, before training) once left predict-6.png, written after, showing the epoch-1 weights
    beside the resumed run's: the resume's note had nothing to name."""
    import linearnets.inference

    run = tmp_path / "run"
    _write_model(run)
    real_predict = linearnets.inference.draw_predictions  # predict, its --out checked

    def resumed_meanwhile(*args: Any, **kwargs: Any) -> None:
        if then == "removed":  # the resume begins
            (run / "model.pt").unlink()
        else:  # ... and ends: its new weights renamed into place
            torch.save(torch.load(run / "model.pt", weights_only=True), run / "new.pt")
            (run / "new.pt").replace(run / "model.pt")
        real_predict(*args, **kwargs)

    monkeypatch.setattr(linearnets.inference, "draw_predictions", resumed_meanwhile)
    assert main(["predict", str(run)]) == 2
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: RUN_DIR must keep its trained weights model.pt while predict "
        f"draws them, got {str(run)!r}, whose model.pt a resume {then} meanwhile: predict-6.png "
        "would show the weights before, and was removed; once the run ends, draw it again with: "
        f"linearnets predict {run} -n 6\n",
    )
    assert not (run / "predict-6.png").exists()
    monkeypatch.setattr(linearnets.inference, "draw_predictions", real_predict)
    if then == "replaced":  # as advised
        assert main(["predict", str(run)]) == 0
        assert (run / "predict-6.png").is_file()


def test_a_linear_regression_run_is_refused_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """predict, and softmax --resume, read a linreg run's config.json as a softmax run's: predict
    sent it to 'linearnets softmax --resume RUN', which refused its settings as values "no run
    takes" and told to delete config.json."""
    run = tmp_path / "lr"
    assert main(["linreg", "--epochs", "1", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["predict", str(run)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets predict: error: the run folder {run} holds a linear-regression run (its "
        "config.json is of task 'linreg'), not a softmax run; predict draws a 'linearnets "
        "softmax' run's predictions: pass its folder\n"
    )
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: the run folder {run} holds a linear-regression run (its "
        "config.json is of task 'linreg'), not a softmax run; it is complete after 1 epoch: "
        f"train it further with: linearnets linreg --resume {run} --epochs 6\n"
    )
    assert main(["linreg", "--resume", str(run), "--epochs", "6"]) == 0  # the fix works


def test_a_linear_regression_run_without_its_config_is_refused_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without config.json predict read a linreg run as a softmax run lacking model.pt and sent it
    to 'linearnets softmax --resume RUN', which refused it in turn: its checkpoint says linreg."""
    run = tmp_path / "lr"
    assert main(["linreg", "--epochs", "1", "--out", str(run)]) == 0
    (run / "config.json").unlink()
    capsys.readouterr()
    assert main(["predict", str(run)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets predict: error: the run folder {run} holds a linear-regression run (its "
        "checkpoint.pt is of task 'linreg'), not a softmax run; predict draws a 'linearnets "
        "softmax' run's predictions: pass its folder\n"
    )


def test_why_the_runs_data_folder_was_passed_over(tmp_path: Path) -> None:
    from linearnets.cli._predict_inputs import _why
    from linearnets.errors import DatasetError, UsageError

    assert _why(tmp_path / "gone", UsageError("data_dir must be a folder")) == (
        "it is no longer a folder"
    )
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    assert _why(tmp_path, UsageError("not found")) == "it lacks t10k-images-idx3-ubyte"
    damaged = DatasetError("f.gz: expected 10008 bytes, got 24; download it again")
    assert _why(tmp_path, damaged) == "a damaged file (f.gz: expected 10008 bytes, got 24)"


def test_a_data_dir_given_is_read_before_the_runs_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--data-dir decides: the run's data_dir in config.json is not even looked at."""
    from linearnets.cli._predict_inputs import read_test_set
    from linearnets.data import fashion_mnist

    read: list[object] = []

    def reading(folder: object, *, train: bool) -> str:
        read.append((folder, train))
        return "arrays"

    monkeypatch.setattr(fashion_mnist, "read_fashion_mnist", reading)
    assert read_test_set(tmp_path / "given", str(tmp_path / "trained on")) == "arrays"
    assert read == [(tmp_path / "given", False)]


def test_a_model_of_other_than_10_outputs_is_refused(tmp_path: Path) -> None:
    """784 inputs and 5 outputs, no class names saved: it predicted classes 0-4 alone, unsaid."""
    from linearnets.cli._predict_inputs import _check_fits_fashion_mnist
    from linearnets.errors import CheckpointError

    with pytest.raises(CheckpointError) as info:
        _check_fits_fashion_mnist(tmp_path, {"num_inputs": 784, "num_outputs": 5})
    assert str(info.value) == (
        f"{tmp_path / 'model.pt'} holds a model of 784 inputs and 5 outputs (resize=None), but "
        "predict needs 784 for Fashion-MNIST's 28×28 images and 10 for its classes; it was "
        "trained on other data (--data), copied from another run, or is damaged: re-run "
        "training to recreate it"
    )


def test_a_data_file_runs_weights_without_config_json_are_told_their_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without config.json, the checkpoint says the run's data, as a resume rebuilds config.json
    from it: the run is told its --data file, as with config.json there. It was told its model
    did not fit Fashion-MNIST's images, after a copied-in config.json was refused with "or
    delete it (predict reads only its data and data_dir)"."""
    import linearnets as ln

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", X=rng.normal(size=(30, 4)), y=np.arange(30) % 3)
    run = tmp_path / "run"
    ln.run_softmax(ln.SoftmaxConfig(data=tmp_path / "d.npz", plot="none", epochs=1, out=run))
    told = (
        f"linearnets predict: error: predict draws Fashion-MNIST test images, but the run in "
        f"{run} was trained on --data {tmp_path / 'd.npz'}; evaluate that model on its own data "
        "from Python (linearnets.tasks.softmax.load_trained)\n"
    )
    capsys.readouterr()
    assert main(["predict", str(run), "-n", "1"]) == 2
    assert capsys.readouterr().err == told
    (run / "config.json").unlink()
    assert main(["predict", str(run), "-n", "1"]) == 2
    assert capsys.readouterr().err == told


def test_a_data_file_runs_weights_with_data_null_by_hand_are_not_sent_to_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """config.json's "data" set to null by hand: the checkpoint says the run's data, and a
    resume of it writes the same 4-feature model again, so training again is the fix, and why
    is said."""
    import linearnets as ln

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", X=rng.normal(size=(30, 4)), y=np.arange(30) % 3)
    run = tmp_path / "run"
    ln.run_softmax(ln.SoftmaxConfig(data=tmp_path / "d.npz", plot="none", epochs=1, out=run))
    saved = json.loads((run / "config.json").read_text())
    saved["config"]["data"] = None
    (run / "config.json").write_text(json.dumps(saved))
    capsys.readouterr()
    assert main(["predict", str(run), "-n", "1"]) == 1
    assert capsys.readouterr().err.endswith(
        "or is damaged: re-run training to recreate it (the run's checkpoint.pt is of a run "
        f"trained on --data {tmp_path / 'd.npz'}, so no resume writes a Fashion-MNIST model)\n"
    )


def test_weights_put_in_place_by_a_rename_are_told_from_the_old(tmp_path: Path) -> None:
    """Same size and modification time (a copy with its times kept, renamed over): another file."""
    import os

    from linearnets.cli._predict_inputs import weights_stamp

    (tmp_path / "model.pt").write_bytes(b"weights")
    stamp = weights_stamp(tmp_path)
    old = os.stat(tmp_path / "model.pt")
    (tmp_path / "new.pt").write_bytes(b"WEIGHTS")
    os.utime(tmp_path / "new.pt", ns=(old.st_atime_ns, old.st_mtime_ns))
    os.replace(tmp_path / "new.pt", tmp_path / "model.pt")
    assert weights_stamp(tmp_path) != stamp
    assert weights_stamp(tmp_path / "none") is None


def test_a_figure_outside_the_run_is_kept_whatever_became_of_its_weights(tmp_path: Path) -> None:
    """Only a figure drawn into the run folder is the run's to remove."""
    from linearnets.cli._predict_inputs import check_weights_kept

    run = tmp_path / "run"
    run.mkdir()
    out = tmp_path / "mine.png"
    out.write_bytes(b"png")
    check_weights_kept(run, (1, 2, 3, 4), out, n=6)  # the weights gone meanwhile
    assert out.read_bytes() == b"png"


def test_weights_gone_while_wrong_found_none_is_refused_and_removes_no_file(
    tmp_path: Path,
) -> None:
    """--wrong without mistakes writes no figure: a file at its name is not predict's to remove,
    but the "none wrong" it would print was found with the weights before, refused as a figure is."""
    from linearnets.cli._predict_inputs import check_weights_kept
    from linearnets.errors import UsageError

    run = tmp_path / "run"
    run.mkdir()
    out = run / "predict-wrong-6.png"
    out.write_bytes(b"png")  # not drawn by this predict
    with pytest.raises(UsageError) as info:
        check_weights_kept(run, (1, 2, 3, 4), out, n=6, wrong=True, drawn=False)
    assert str(info.value) == (
        f"RUN_DIR must keep its trained weights model.pt while predict draws them, got "
        f"{str(run)!r}, whose model.pt a resume removed meanwhile: its 'none wrong' was "
        "found with the weights before (no predict-wrong-6.png written); once the run ends, look again with: "
        f"linearnets predict {run} -n 6 --wrong"
    )
    assert out.read_bytes() == b"png"


def test_weights_gone_from_a_run_dir_named_with_a_line_break_name_it_as_the_shell_takes_it(
    tmp_path: Path,
) -> None:
    """repr named it '.../a\\nb' beside the command to run again, which names it $'.../a\\nb'."""
    from linearnets.cli._predict_inputs import check_weights_kept
    from linearnets.errors import UsageError

    run = tmp_path / "a\nb"
    run.mkdir()
    with pytest.raises(UsageError) as info:
        check_weights_kept(run, (1, 2, 3, 4), run / "predict-6.png", n=6)
    assert str(info.value) == (
        f"RUN_DIR must keep its trained weights model.pt while predict draws them, got "
        f"$'{tmp_path}/a\\nb', whose model.pt a resume removed meanwhile: predict-6.png would "
        "show the weights before, and was removed; once the run ends, draw it again with: "
        f"linearnets predict $'{tmp_path}/a\\nb' -n 6"
    )


def test_a_figure_named_with_a_line_break_is_named_on_one_line(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The figure line said "figure: .../a" and "b.png", two lines; the figure is written at the
    name given."""
    W, b = _write_model(tmp_path / "run")
    out = tmp_path / "a\nb.png"
    assert main(["predict", str(tmp_path / "run"), "-n", "3", "--out", str(out)]) == 0
    lines, correct = _expected(W, b, 3)
    printed = capsys.readouterr().out.splitlines()
    assert printed == [*lines, f"{correct}/3 correct; figure: $'{tmp_path}/a\\nb.png'"]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("wrong", [False, True])
def test_a_folder_in_place_of_the_default_figure_is_named_not_blamed_on_an_out_never_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], wrong: bool
) -> None:
    """RUN_DIR/predict-6.png a folder: it said "--out RUN/predict-6.png is a folder; pass a file
    name in it", of an --out never given and with a figure inside the run's as the fix."""
    run = tmp_path / "run"
    _write_model(run)
    name = "predict-wrong-6.png" if wrong else "predict-6.png"
    (run / name).mkdir()
    assert main(["predict", str(run), *(["--wrong"] if wrong else [])]) == 2
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: RUN_DIR must be a folder the figure {name} can be written "
        f"in when no --out is given, got '{run}', which holds a folder '{run / name}' in its "
        f"place; move or rename that folder, or pass --out to write the figure elsewhere, e.g. "
        f"--out {name}\n",
    )
    assert sorted(p.name for p in run.iterdir()) == sorted([name, "model.pt"])
    assert not any((run / name).iterdir())


def test_inside_the_run_folder_itself_it_is_not_called_another_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cd RUN; predict .`` with a folder in the figure's place: the fix said "not in the current
    folder, which holds a run too", of the very run passed."""
    run = tmp_path / "run"
    _write_model(run)
    (run / "predict-6.png").mkdir()
    monkeypatch.chdir(run)
    assert main(["predict", "."]) == 2
    assert capsys.readouterr().err == (
        "linearnets predict: error: RUN_DIR must be a folder the figure predict-6.png can be "
        "written in when no --out is given, got '.', which holds a folder 'predict-6.png' in its "
        "place; move or rename that folder, or pass --out to write the figure elsewhere (outside "
        "the current folder, which is RUN_DIR)\n"
    )
    assert sorted(p.name for p in run.iterdir()) == ["model.pt", "predict-6.png"]


def test_a_figure_in_another_runs_folder_is_refused_as_that_folder_is(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--out r2 was refused ("a figure drawn in it would pass for that run's"), yet --out
    r2/x.png drew into r2 all the same; the run's own folder still takes any file name."""
    run, other = tmp_path / "run", tmp_path / "r2"
    _write_model(run)
    _write_model(other)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["predict", "run", "-n", "2", "--out", "r2/x.png"]) == 2
    assert capsys.readouterr() == (
        "",
        "linearnets predict: error: --out r2/x.png is in the folder r2, which holds another run "
        "than run's: a figure drawn in it would pass for that run's; leave out --out to draw "
        "into run/predict-2.png, or pass a file outside that run's folder, e.g. --out "
        "predict-2.png\n",
    )
    assert sorted(p.name for p in other.iterdir()) == ["model.pt"]
    assert main(["predict", "run", "-n", "2", "--out", "run/x.png"]) == 0
    assert main(["predict", "run", "-n", "2", "--out", "x.png"]) == 0
    assert sorted(p.name for p in run.iterdir()) == ["model.pt", "x.png"]
    assert (tmp_path / "x.png").is_file()


def test_a_dot_dot_in_out_is_judged_by_the_folder_it_lands_in(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--out r2/nd/../x.png (nd made by the write, then left) drew into run r2, and
    --out r/nd/../curves.png wrote over the run's curves: the folder was judged as typed."""
    run, other = tmp_path / "run", tmp_path / "r2"
    _write_model(run)
    _write_model(other)
    (run / "curves.png").write_bytes(b"the run's curves")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["predict", "run", "-n", "2", "--out", "r2/nd/../x.png"]) == 2
    assert capsys.readouterr().err == (
        "linearnets predict: error: --out r2/nd/../x.png is in the folder r2, which holds another "
        "run than run's: a figure drawn in it would pass for that run's; leave out --out to draw "
        "into run/predict-2.png, or pass a file outside that run's folder, e.g. --out "
        "predict-2.png\n"
    )
    assert main(["predict", "run", "-n", "2", "--out", "run/nd/../curves.png"]) == 2
    assert capsys.readouterr().err.startswith(
        "linearnets predict: error: --out run/nd/../curves.png is curves.png, which the run in "
        "run writes: a figure written there would pass for the run's; "
    )
    assert sorted(p.name for p in other.iterdir()) == ["model.pt"]
    assert sorted(p.name for p in run.iterdir()) == ["curves.png", "model.pt"]
    assert (run / "curves.png").read_bytes() == b"the run's curves"
    # a link in the path is followed as the kernel does: link/.. is the link target's parent
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "in").mkdir()
    (other / "link").symlink_to(tmp_path / "deep" / "in")
    assert main(["predict", "run", "-n", "2", "--out", "r2/link/../x.png"]) == 0
    assert (tmp_path / "deep" / "x.png").is_file()


def test_another_tools_model_pt_makes_no_run_of_a_folder(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project folder holding another tool's model.pt or checkpoint.pt was refused as
    "another run" for --out proj/x.png (and for --out x.png from inside it)."""
    run, proj = tmp_path / "run", tmp_path / "proj"
    _write_model(run)
    proj.mkdir()
    (proj / "model.pt").write_bytes(b"")
    torch.save({"epoch": 3, "model": {"w": torch.zeros(2)}}, proj / "checkpoint.pt")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["predict", "run", "-n", "2", "--out", "proj/x.png"]) == 0
    assert (proj / "x.png").is_file()
    monkeypatch.chdir(proj)
    assert main(["predict", "../run", "-n", "2", "--out", "y.png"]) == 0
    assert (proj / "y.png").is_file()
    assert sorted(p.name for p in run.iterdir()) == ["model.pt"]


def test_inside_another_runs_folder_no_out_in_it_is_offered(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The current folder another run's: an --out refused as another run's folder, or as a
    file there, was told "e.g. --out predict-2.png", drawn into the current folder, which was
    refused again as passing for its run's predictions. The bare name is offered only where the
    current folder holds no run; here, leaving out --out, which draws."""
    run, here, other = tmp_path / "run", tmp_path / "here", tmp_path / "r3"
    for folder in (run, here, other):
        _write_model(folder)
    monkeypatch.chdir(here)
    capsys.readouterr()
    not_here = "(not in the current folder, which holds a run too)"
    assert main(["predict", str(run), "-n", "2", "--out", str(other)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets predict: error: --out {other} is a folder, and holds another run than "
        f"{run}'s: a figure drawn in it would pass for that run's; leave out --out to draw into "
        f"{run / 'predict-2.png'}, or pass a file outside that run's folder {not_here}\n"
    )
    assert main(["predict", str(run), "-n", "2", "--out", str(other / "predict-2.png")]) == 2
    assert capsys.readouterr().err.endswith(
        f"leave out --out to draw into {run / 'predict-2.png'}, or pass a file outside the run "
        f"folder {not_here}\n"
    )
    assert main(["predict", str(run), "-n", "2", "--out", "predict-2.png"]) == 2  # what it said
    assert "would pass for them" in capsys.readouterr().err
    assert main(["predict", str(run), "-n", "2"]) == 0  # as it says now
    assert sorted(p.name for p in run.iterdir()) == ["model.pt", "predict-2.png"]
    assert [p.name for p in here.iterdir()] == [p.name for p in other.iterdir()] == ["model.pt"]


def test_a_read_only_run_dir_in_a_read_only_working_folder_is_told_a_writable_out(
    env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """On a read-only mount holding both the run and the working folder, predict advised
    "--out predict-3.png": the working folder, refused again. A folder that can be written is
    named. As root every folder passes os.access, so the mount's answers are stood in for."""
    import os
    from types import SimpleNamespace

    import linearnets.cli.predict as predict_cli

    mount, home = tmp_path / "mount", tmp_path / "home"
    run = mount / "run1"
    mount.mkdir()
    _write_model(run)
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(mount)
    real_access, real_statvfs = os.access, os.statvfs

    def on_mount(path: Any) -> bool:
        return Path(path).resolve() in (mount, run)

    monkeypatch.setattr(
        predict_cli.os, "access", lambda p, m: not on_mount(p) and real_access(p, m)
    )
    monkeypatch.setattr(
        predict_cli.os,
        "statvfs",
        lambda p: SimpleNamespace(f_flag=os.ST_RDONLY) if on_mount(p) else real_statvfs(p),
    )
    assert main(["predict", "run1", "-n", "3"]) == 2
    assert capsys.readouterr() == (
        "",
        "linearnets predict: error: RUN_DIR must be a folder you can write to for the figure "
        "predict-3.png when no --out is given, got 'run1', which is on a read-only file system; "
        "pass --out to write the figure elsewhere, e.g. --out ~/predict-3.png\n",
    )
    assert main(["predict", "run1", "-n", "3", "--out", str(home / "predict-3.png")]) == 0
    assert (home / "predict-3.png").is_file()  # as advised
    capsys.readouterr()
    assert main(["predict", "run1", "-n", "3"]) == 2  # that figure is not offered to overwrite
    assert capsys.readouterr().err.endswith("e.g. --out ~/predict-3-2.png\n")


def test_without_config_json_only_the_checkpoints_data_file_stands_in(tmp_path: Path) -> None:
    """The checkpoint's data_dir stood in too: messages then named a config.json not there
    ("the run's data_dir in config.json"), and a hand-edited data_dir of 5 in checkpoint.pt was
    refused as config.json's, where predict had read the test images from the usual places."""
    import linearnets as ln
    from linearnets.cli._predict_inputs import _checkpoint_settings

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", X=rng.normal(size=(30, 4)), y=np.arange(30) % 3)
    run = tmp_path / "run"
    ln.run_softmax(ln.SoftmaxConfig(data=tmp_path / "d.npz", plot="none", epochs=1, out=run))
    assert _checkpoint_settings(run) == {"data": str(tmp_path / "d.npz")}
    path = run / "checkpoint.pt"
    payload = torch.load(path, map_location="cpu", weights_only=True)
    payload["config"].update(data=None, data_dir=5)  # a Fashion-MNIST run's, edited by hand
    torch.save(payload, path)
    assert _checkpoint_settings(run) == {}
    assert _checkpoint_settings(tmp_path / "none") == {}
