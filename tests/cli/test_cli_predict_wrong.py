"""``linearnets predict RUN_DIR --wrong`` on a 1-epoch run trained on the real Fashion-MNIST, against
the mistakes torch finds from the run's own weights: argmax of X @ W + b (D2L §3.6.7)."""

from __future__ import annotations

import dataclasses
import gzip
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.cli import main
from linearnets.plotting._fonts import cjk_family

REAL_DIR = Path("/usr/share/datasets/fashion-mnist")
pytestmark = pytest.mark.skipif(
    not REAL_DIR.is_dir(), reason="needs the real Fashion-MNIST (Debian package)"
)
BOOK_LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
               "bag", "ankle boot"]  # fmt: skip
BOOK_LABELS_ZH = ["T恤", "裤子", "套衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴"]
TRAIN = ["--epochs", "1", "--threads", "1", "--seed", "0", "--plot", "none", "--device", "cpu"]
PNG = b"\x89PNG\r\n\x1a\n"


def _idx(path: Path) -> np.ndarray:
    """A whole gzipped IDX file, read with numpy alone."""
    with gzip.open(path) as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data[4 + 4 * ndim :], dtype=np.uint8).reshape(shape)


@dataclasses.dataclass(frozen=True)
class Oracle:
    images: torch.Tensor  # uint8 (10000, 28, 28)
    labels: torch.Tensor  # int64 (10000,)
    pred: torch.Tensor  # int64 (10000,)
    wrong: list[int]  # the test-set positions of the mistakes, ascending


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-epoch softmax run on the real data (about 3 s)."""
    run = tmp_path_factory.mktemp("trained") / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LINEARNETS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        mp.delenv("LINEARNETS_DATA", raising=False)
        assert main(["softmax", *TRAIN, "--data-dir", str(REAL_DIR), "--out", str(run)]) == 0
    return run


@pytest.fixture(scope="module")
def oracle(trained: Path) -> Oracle:
    """The model's predictions on the whole test set, computed here in float64 with torch."""
    images = torch.from_numpy(_idx(REAL_DIR / "t10k-images-idx3-ubyte.gz").copy())
    labels = torch.from_numpy(_idx(REAL_DIR / "t10k-labels-idx1-ubyte.gz").astype(np.int64))
    state = torch.load(trained / "model.pt", weights_only=True)["state_dict"]
    W, b = state["W"].double(), state["b"].double()  # (784, 10), (10,): the book's X @ W + b
    logits = images.reshape(-1, 784).double() / 255 @ W + b  # (10000, 10)
    top2 = logits.topk(2, dim=1).values
    assert float((top2[:, 0] - top2[:, 1]).min()) > 1e-4  # no near-ties: float32 agrees
    pred = logits.argmax(dim=1)
    wrong = (pred != labels).nonzero().flatten().tolist()
    assert 100 < len(wrong) < 5000  # a model that learnt something, and more mistakes than -n
    return Oracle(images, labels, pred, wrong)


@pytest.fixture
def run(trained: Path, tmp_path: Path) -> Path:
    """A copy of the trained run, for figures of its own."""
    return Path(shutil.copytree(trained, tmp_path / "run"))


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The real files found by searching (Debian folder first), with a private verification cache."""
    from linearnets.data import files

    monkeypatch.setenv("LINEARNETS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setattr(files, "_debian_dir", lambda: REAL_DIR)


def _lines(
    oracle: Oracle, indices: list[int], labels: list[str] = BOOK_LABELS, *, size: int = 10_000
) -> list[str]:
    """What predict prints for the mistakes at ``indices`` of a test set of ``size`` images:
    "#index", right-aligned as wide as the last index, then true -> predicted."""
    width = len(f"#{size - 1}")
    out = []
    for i in indices:
        true, guess = labels[int(oracle.labels[i])], labels[int(oracle.pred[i])]
        pad = 12 - sum(1 if ch.isascii() else 2 for ch in true)  # a Chinese character: 2 columns
        out.append(f"{'#' + str(i):>{width}} {' ' * pad}{true} -> {guess}   (wrong)")
    return out


def test_wrong_prints_the_first_n_mistakes_with_their_index_and_the_count(
    env: None, run: Path, oracle: Oracle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["predict", str(run), "--wrong"]) == 0
    out = run / "predict-wrong-6.png"
    assert capsys.readouterr().out.splitlines() == [
        *_lines(oracle, oracle.wrong[:6]),
        f"the first 6 of {len(oracle.wrong):,} wrong in 10,000 test images; figure: {out}",
    ]
    assert out.read_bytes()[:8] == PNG
    assert not (run / "predict-6.png").exists()  # the predictions' figure is another one


def test_wrong_draws_exactly_the_first_n_test_images_the_model_gets_wrong(
    env: None,
    run: Path,
    oracle: Oracle,
    capture_drawing: Callable[[], list[tuple[Any, ...]]],
) -> None:
    drawn = capture_drawing()
    assert main(["predict", str(run), "--wrong", "-n", "20"]) == 0
    ((images, true, pred, out, num_cols),) = drawn
    first = oracle.wrong[:20]
    np.testing.assert_allclose(images, oracle.images[first].numpy() / 255.0, rtol=0, atol=1e-7)
    assert true == [BOOK_LABELS[int(oracle.labels[i])] for i in first]
    assert pred == [BOOK_LABELS[int(oracle.pred[i])] for i in first]
    assert all(t != p for t, p in zip(true, pred, strict=True))
    assert (out, num_cols) == (run / "predict-wrong-20.png", 10)  # 2 rows of 10


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # no CJK font on the machine
def test_wrong_names_the_labels_in_chinese_and_draws_into_out(
    env: None, run: Path, oracle: Oracle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if cjk_family() is None:  # predict refuses to draw Chinese titles as empty boxes
        pytest.skip("no font with Chinese glyphs installed (scripts/setup.sh installs one)")
    figure = tmp_path / "mistakes.png"
    argv = ["predict", str(run), "--wrong", "-n", "4", "--lang", "zh", "--out", str(figure)]
    assert main(argv) == 0
    assert capsys.readouterr().out.splitlines() == [
        *_lines(oracle, oracle.wrong[:4], BOOK_LABELS_ZH),
        f"the first 4 of {len(oracle.wrong):,} wrong in 10,000 test images; figure: {figure}",
    ]
    assert figure.read_bytes()[:8] == PNG
    assert not (run / "predict-wrong-4.png").exists()


def _test_set_of(monkeypatch: pytest.MonkeyPatch, oracle: Oracle, keep: list[int]) -> None:
    """Have predict read the real test split's examples at ``keep`` alone, as its test set."""
    import linearnets.cli.predict as predict_cli

    real = predict_cli.read_test_set

    def subset(*args: Any) -> Any:
        arrays = real(*args)
        assert torch.equal(arrays.test_labels, oracle.labels)  # the real split, as read
        return dataclasses.replace(
            arrays, _test_images=arrays.test_images[keep], _test_labels=arrays.test_labels[keep]
        )

    monkeypatch.setattr(predict_cli, "read_test_set", subset)


def test_fewer_mistakes_than_n_are_all_drawn_and_said_to_be_fewer(
    env: None,
    run: Path,
    oracle: Oracle,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    capture_drawing: Callable[[], list[tuple[Any, ...]]],
) -> None:
    """A test set of the first 40 real test images, fewer than 20 of them wrong."""
    _test_set_of(monkeypatch, oracle, list(range(40)))
    wrong = [i for i in oracle.wrong if i < 40]
    assert 1 < len(wrong) < 20
    assert main(["predict", str(run), "--wrong", "-n", "20"]) == 0
    out = run / "predict-wrong-20.png"
    assert capsys.readouterr().out.splitlines() == [
        *_lines(oracle, wrong, size=40),
        f"only {len(wrong)} of 40 test images wrong, fewer than -n 20; figure: {out}",
    ]
    assert out.read_bytes()[:8] == PNG
    drawn = capture_drawing()
    assert main(["predict", str(run), "--wrong", "-n", "20"]) == 0
    ((images, true, _, _, num_cols),) = drawn
    assert len(images) == len(true) == len(wrong)
    np.testing.assert_allclose(images, oracle.images[wrong].numpy() / 255.0, rtol=0, atol=1e-7)
    assert num_cols == -(-len(wrong) // -(-len(wrong) // 10))  # rows of at most 10, evenly filled


def test_a_test_set_without_mistakes_draws_nothing_and_says_so(
    env: None,
    run: Path,
    oracle: Oracle,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    right = [i for i in range(40) if i not in oracle.wrong][:8]
    _test_set_of(monkeypatch, oracle, right)
    assert main(["predict", str(run), "--wrong"]) == 0
    assert capsys.readouterr() == (
        "none of the 8 test images wrong: nothing to draw, no figure written\n",
        "",
    )
    assert not (run / "predict-wrong-6.png").exists()


@pytest.mark.parametrize("then", ["removed", "replaced"])
@pytest.mark.parametrize("mistakes", [True, False])
def test_weights_a_resume_replaced_meanwhile_are_refused_with_mistakes_or_none(
    env: None,
    run: Path,
    oracle: Oracle,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    then: str,
    mistakes: bool,
) -> None:
    """As predict's figure is (test_cli_predict): refused before anything is printed. A test set
    without mistakes skipped the check and printed "none of the 8 test images wrong" of the weights
    a resume had removed or replaced, exit 0."""
    import linearnets.mistakes

    if not mistakes:
        _test_set_of(monkeypatch, oracle, [i for i in range(40) if i not in oracle.wrong][:8])
    real_find = linearnets.mistakes.find_mistakes

    def resumed_meanwhile(*args: Any, **kwargs: Any) -> Any:
        if then == "removed":  # the resume begins
            (run / "model.pt").unlink()
        else:  # ... and ends: its new weights renamed into place
            torch.save(torch.load(run / "model.pt", weights_only=True), run / "new.pt")
            (run / "new.pt").replace(run / "model.pt")
        return real_find(*args, **kwargs)

    monkeypatch.setattr(linearnets.mistakes, "find_mistakes", resumed_meanwhile)
    assert main(["predict", str(run), "--wrong"]) == 2
    what, again = (
        ("predict-wrong-6.png would show the weights before, and was removed", "draw it again")
        if mistakes
        else ("its 'none wrong' was found with the weights before (no predict-wrong-6.png written)",
              "look again")
    )  # fmt: skip
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: RUN_DIR must keep its trained weights model.pt while predict "
        f"draws them, got {str(run)!r}, whose model.pt a resume {then} meanwhile: {what}; once "
        f"the run ends, {again} with: linearnets predict {run} -n 6 --wrong\n",
    )
    assert not (run / "predict-wrong-6.png").exists()


def test_a_resume_removes_the_mistakes_figure_as_it_removes_the_predictions(
    env: None, run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The figures showed the 1-epoch weights' mistakes beside the 2-epoch weights; the note's
    commands, run as printed, draw them again from the new weights."""
    assert main(["predict", str(run)]) == 0
    assert main(["predict", str(run), "--wrong"]) == 0
    old = (run / "predict-wrong-6.png").read_bytes()
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 0
    assert capsys.readouterr().err == (
        f"linearnets: note: removed predict-6.png and predict-wrong-6.png from {run}: linearnets "
        "predict drew them from the weights before this resume (an older model than the run's); "
        f"once the run ends, draw them again with: linearnets predict {run} -n 6; linearnets "
        f"predict {run} -n 6 --wrong\n"
    )
    assert not (run / "predict-6.png").exists() and not (run / "predict-wrong-6.png").exists()
    assert main(["predict", str(run), "-n", "6", "--wrong"]) == 0
    assert (run / "predict-wrong-6.png").read_bytes() != old  # the 2-epoch model's mistakes


def test_wrong_takes_the_checks_of_n(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit, match=r"^2$"):  # argparse's refusal
        main(["predict", str(run), "--wrong", "-n", "101"])
    assert (
        "argument -n: must be an integer from 1 to 100, got '101'; pass e.g. -n 6"
        in capsys.readouterr().err
    )
    with pytest.raises(SystemExit, match=r"^2$"):  # argparse's refusal
        main(["predict", str(run), "--wrong", "-n", "0"])
    assert "argument -n: must be an integer from 1 to 100, got '0'; pass" in capsys.readouterr().err
    assert not list(run.glob("predict-*"))


@pytest.mark.parametrize(
    ("argv", "name", "what"),
    [
        (["--wrong"], "predict-6.png", "predictions of that run's weights at -n 6"),
        ([], "predict-wrong-6.png", "mistakes of that run's weights at -n 6 --wrong"),
        (["--wrong"], "predict-wrong-3.png", "mistakes of that run's weights at -n 3 --wrong"),
    ],
)
def test_an_out_over_another_predict_figure_of_the_run_is_refused(
    run: Path, capsys: pytest.CaptureFixture[str], argv: list[str], name: str, what: str
) -> None:
    """The mistakes drawn as predict-6.png would pass for the predictions, and the other way
    round; another -n's mistakes for that -n's."""
    own = "predict-wrong-6.png" if argv else "predict-6.png"
    assert main(["predict", str(run), *argv, "--out", str(run / name)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets predict: error: --out {run / name} is {name} in the run folder {run}, the "
        f"name linearnets predict gives the {what}: a figure written there would pass for them; "
        f"leave out --out to draw into {run / own}, or pass a file outside the run folder, e.g. "
        f"--out {own}\n"
    )
    assert not list(run.glob("predict-*"))


def test_its_own_mistakes_figure_named_as_out_is_drawn(
    env: None, run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "." / "run" / ".." / "run" / "predict-wrong-2.png"
    assert main(["predict", str(run), "-n", "2", "--wrong", "--out", str(out)]) == 0
    assert capsys.readouterr().out.endswith(f"figure: {out}\n")
    assert (run / "predict-wrong-2.png").read_bytes()[:8] == PNG


def test_a_mistakes_figure_drawn_while_a_resume_replaced_the_weights_is_removed(
    env: None, run: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As predict-N.png: the figure would show the weights before; the advice keeps --wrong."""
    import linearnets.mistakes

    real = linearnets.mistakes.find_mistakes

    def resumed_meanwhile(*args: Any, **kwargs: Any) -> Any:
        torch.save(torch.load(run / "model.pt", weights_only=True), run / "new.pt")
        (run / "new.pt").replace(run / "model.pt")  # a resume's new weights renamed into place
        return real(*args, **kwargs)

    monkeypatch.setattr(linearnets.mistakes, "find_mistakes", resumed_meanwhile)
    assert main(["predict", str(run), "--wrong"]) == 2
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: RUN_DIR must keep its trained weights model.pt while predict "
        f"draws them, got {str(run)!r}, whose model.pt a resume replaced meanwhile: "
        "predict-wrong-6.png would show the weights before, and was removed; once the run ends, "
        f"draw it again with: linearnets predict {run} -n 6 --wrong\n",
    )
    assert not (run / "predict-wrong-6.png").exists()


def test_weights_of_another_shape_copied_in_are_sent_to_move_out_then_resume(
    env: None, run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another run's model.pt copied in (4 inputs) was refused with "re-run training to recreate
    it", though the run's checkpoint holds its weights; and the resume kept the copy, saying the
    run was complete. The advice moves it out first (kept: it may be the other run's one copy),
    and works as said."""
    import shlex

    model = run / "model.pt"
    saved = torch.load(model, weights_only=True)  # the scratch model's W (784, 10) and b (10,)
    other = {"W": torch.zeros(4, 10), "b": torch.zeros(10)}
    torch.save(saved | {"num_inputs": 4, "state_dict": other}, model)  # a --data run's, 4 features
    assert main(["predict", str(run), "-n", "1"]) == 1
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: {model} is not this run's: it holds a model of 4 inputs and "
        "10 outputs, but the run trained one of 784 and 10 (its last epoch, 1, which its "
        "checkpoint.pt holds and its results.json reports), so it was copied from another run; "
        "put back the run's own model.pt, or move it out of the run folder (a resume keeps a "
        "model.pt that loads), then write it again from the run's checkpoint with linearnets "
        f"softmax --resume {shlex.quote(str(run))} (linearnets.resume_softmax in Python)\n",
    )
    model.rename(tmp_path / "kept.pt")  # as it says
    assert main(["softmax", "--resume", str(run)]) == 0
    capsys.readouterr()
    assert main(["predict", str(run), "-n", "1"]) == 0
    assert capsys.readouterr().out.endswith(f"figure: {run / 'predict-1.png'}\n")


@pytest.mark.parametrize("told_by", ["impl", "weights"])
def test_another_fashion_mnist_runs_model_pt_copied_in_is_refused_and_the_fix_works(
    env: None,
    run: Path,
    oracle: Oracle,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    told_by: str,
) -> None:
    """A model.pt of another Fashion-MNIST run, of the same shape, was predicted with silently
    (1,652 mistakes for the run's 1,852): refused, naming what tells it (its impl beside the run's
    results.json, or its weights beside the complete run's checkpoint), with a fix that gives
    back the run's own weights (the oracle's mistakes)."""
    import shlex

    model = run / "model.pt"
    saved = torch.load(model, weights_only=True)  # the analytic model's W (784, 10) and b (10,)
    W, b = saved["state_dict"]["W"], saved["state_dict"]["b"]
    if told_by == "impl":  # a concise run's: nn.Linear's weight (10, 784), bias (10,)
        other = saved | {"impl": "concise", "state_dict": {"1.weight": W.T.clone(), "1.bias": b}}
        why = "its impl is 'concise', but the run's results.json says 'analytic'"
    else:  # an analytic run's of other weights (another seed, more epochs)
        other = saved | {"state_dict": {"W": W + 0.01, "b": b}}
        why = (
            "its weights are not those the run ended with (its last epoch, 1, which its "
            "checkpoint.pt holds and its results.json reports)"
        )
    torch.save(other, model)
    assert main(["predict", str(run), "-n", "6", "--wrong"]) == 1
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: {model} is not this run's: {why}, so it was copied from "
        "another run; put back the run's own model.pt, or move it out of the run folder (a resume "
        "keeps a model.pt that loads), then write it again from the run's checkpoint with "
        f"linearnets softmax --resume {shlex.quote(str(run))} (linearnets.resume_softmax in "
        "Python)\n",
    )
    assert main(["softmax", "--resume", str(run)]) == 2  # kept, the run said complete: as it says
    capsys.readouterr()
    model.rename(tmp_path / "kept.pt")
    assert main(["softmax", "--resume", str(run)]) == 0
    capsys.readouterr()
    assert main(["predict", str(run), "-n", "6", "--wrong"]) == 0
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .startswith(f"the first 6 of {len(oracle.wrong):,} wrong in 10,000 test images")
    )


def test_a_linear_regression_runs_config_json_beside_softmax_weights_is_named_as_copied(
    env: None, run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A linreg run's config.json copied into a softmax run's folder was refused as "a
    linear-regression run ...; pass its folder", the folder passed. Its fix, deleting it, works."""
    assert main(["linreg", "--epochs", "1", "--out", str(tmp_path / "lr")]) == 0
    shutil.copy(tmp_path / "lr" / "config.json", run / "config.json")
    capsys.readouterr()
    assert main(["predict", str(run), "-n", "1"]) == 2
    assert capsys.readouterr() == (
        "",
        f"linearnets predict: error: {run / 'config.json'} is a linear-regression run's (task "
        "'linreg'), but model.pt beside it holds a softmax model and checkpoint.pt a softmax "
        "run: config.json was copied from another run; put back the run's own config.json, or "
        "delete it (predict reads only its data and data_dir, and draws without it)\n",
    )
    (run / "checkpoint.pt").unlink()
    assert main(["predict", str(run), "-n", "1"]) == 2
    # either may be the copy, the checkpoint gone: neither is to be deleted (a linear-regression
    # run's config.json, deleted as told, was lost where model.pt was the copy; h384)
    assert capsys.readouterr().err == (
        f"linearnets predict: error: {run / 'config.json'} is a linear-regression run's (task "
        "'linreg'), but model.pt beside it holds a softmax model: one of them was copied from "
        "another run; if config.json, put back the run's own, or move it out of the folder, "
        "keeping it (predict reads only its data and data_dir, and draws without it); if "
        "model.pt, move it out of the folder, keeping it\n"
    )
    (run / "config.json").rename(tmp_path / "config.json")  # as it says
    assert main(["predict", str(run), "-n", "1"]) == 0
    assert capsys.readouterr().out.endswith(f"figure: {run / 'predict-1.png'}\n")
