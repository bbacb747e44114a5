"""The code blocks of docs/*.md and the README's ```sh blocks run as printed and show what the pages
say they show (the README's ```python block: tests/test_readme.py).

**```python blocks of docs/*.md**, found by parsing the pages (a block added later is run too): each
runs verbatim in a fresh process (``MPLBACKEND=Agg``, one thread, this checkout's ``src`` first on the
path), the blocks of a page in order in one temporary folder, so a later block may read the files an
earlier one wrote (python.md's ``load_trained("runs/a")``), never its names. Each exits 0 with nothing on stderr;
a block that prints has its output checked against what the code computes, by a check in
``_PYTHON_CHECKS`` (a printing block without one fails).

**```sh commands** (of docs/*.md and the README, a line with its ``\\`` continuations, comments
aside): ``.venv/bin/X`` is this environment's X, run in a temporary folder. Every command is either run
(``_SH_RUN``) or listed here, in ``_SH_NOT_RUN``, with why; a new one is neither, and fails. The
README's ``predict runs/softmax-concise-…`` runs on the folder the ``--json`` run before it printed.
Not run:

- ``make run``, ``make test``: set up ``.venv`` (apt-get, pip) and run the whole suite (6 minutes on
  2 cores); scripts/setup.sh is tested by tests/test_setup.py.
- ``linearnets softmax`` (the README's first line): 10 epochs on Fashion-MNIST, the run python.md's
  ``run_softmax`` block does here; its figures are checked by tests/test_readme.py.
- ``linearnets softmax --resume runs/softmax-analytic-…``: a placeholder for an interrupted run's
  folder (resume: tests/tasks/test_resume*.py).
- ``linearnets linreg --num-examples 1000000 --out runs/big``: 2.5 minutes on 2 cores.
- ``linearnets linreg --resume runs/big``: needs that run stopped by Ctrl-C
  (tests/cli/test_cli_linreg_resume.py).
- ``pip install notebook``, ``jupyter notebook examples/chapter3.ipynb``: the network, and a server;
  the notebook runs in a kernel in tests/test_examples.py.
- ``torchrun --nproc_per_node=2 ...``: 25 s on 2 cores (tests/distributed/test_data_parallel.py runs
  2 processes on smaller runs);
  ``torchrun --nnodes=2 ...``: 2 machines × 4 GPUs.
- ``pytest --collect-only -q tests | grep -cE ...``: the README's recount, run by tests/test_readme.py.
- ``linearnets data download --data-dir DIR``: the network (tests/data/test_download*.py serve it
  locally).
"""

from __future__ import annotations

import ast
import gzip
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

import linearnets
from linearnets.errors import LinearnetsError

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
# the code under test: this checkout's, as the test process imports it
SRC = Path(linearnets.__file__).resolve().parents[1]
TIMEOUT = 300
PNG = b"\x89PNG\r\n\x1a\n"
_FENCE = re.compile(r"^( *)```([\w-]*)\n(.*?)^\1```[ \t]*$", re.S | re.M)


def _blocks(page: Path, lang: str) -> list[str]:
    """Return the fenced blocks of ``page`` in language ``lang``, dedented, in page order."""
    text = page.read_text(encoding="utf-8")
    found = []
    for indent, fence_lang, body in _FENCE.findall(text):
        if fence_lang == lang:
            found.append(re.sub(rf"^{indent}", "", body, flags=re.M) if indent else body)
    return found


def _python_pages() -> dict[str, list[str]]:
    return {p.name: b for p in sorted(DOCS.glob("*.md")) if (b := _blocks(p, "python"))}


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
    # one thread, as the suite's other processes: torch's two on a busy 2-core machine take 6x as long
    return {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "PYTHONPATH": path}


def _require_fashion_mnist() -> None:
    from linearnets.data.fashion_mnist import read_fashion_mnist

    try:
        read_fashion_mnist(None, train=False)
    except LinearnetsError as exc:
        pytest.skip(f"Fashion-MNIST not found: {exc}")


def _test_images(count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` test images (count, 784) and labels, read from the IDX files directly."""
    from linearnets.data.fashion_mnist import read_fashion_mnist

    folder = Path(read_fashion_mnist(None, train=False).found.folder)

    def idx(name: str, header: int) -> np.ndarray:
        return _read_idx(next(p for p in folder.iterdir() if p.name.startswith(name)), header)

    images = idx("t10k-images-idx3-ubyte", 16).reshape(-1, 784)[:count]
    return images, idx("t10k-labels-idx1-ubyte", 8)[:count]


def _read_idx(path: Path, header: int) -> np.ndarray:
    """An IDX file's bytes past its header, as uint8, read with gzip and NumPy alone."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return np.frombuffer(data, dtype=np.uint8, offset=header)


# --- the checks of the python blocks' outputs: (a string the block holds, check(cwd, code, stdout))


def _quoted_output(code: str) -> str:
    """The value a block's ``print(...)  # VALUE: ...`` comment says it prints."""
    quoted = re.search(r"^print\(.*\)\s+#\s+([^:\s]+):", code, flags=re.M)
    assert quoted is not None, "the comment quoting what the block prints"
    return quoted.group(1)


def _check_scheduler(cwd: Path, code: str, stdout: str) -> None:
    """StepLR(step_size=2, gamma=0.5) stepped after each of the 10 epochs: lr 0.1 halved 5 times."""
    printed = float(stdout.splitlines()[-1])
    assert printed == 0.1 * 0.5 ** (10 // 2)
    assert float(_quoted_output(code)) == printed


def _check_run_softmax(cwd: Path, code: str, stdout: str) -> None:
    """One console line per epoch, and runs/a holding the run's files, its results the last epoch's."""
    lines = stdout.splitlines()
    assert [line.split(",")[0] for line in lines] == [f"epoch {e}" for e in range(1, 11)]
    run = cwd / "runs" / "a"
    expected = {"config.json", "checkpoint.pt", "model.pt", "metrics.jsonl", "results.json"}
    assert expected <= {p.name for p in run.iterdir()}
    results = json.loads((run / "results.json").read_text())
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert (results["epochs"], len(rows)) == (10, 10)
    assert results["test_acc"] == rows[-1]["test_acc"]
    assert lines[-1].split("test acc ")[1].startswith(f"{results['test_acc']:.3f},")


def _check_linreg(cwd: Path, code: str, stdout: str) -> None:
    """runs/b near the book's truth after 3 epochs; resumed to 5, exactly a 5-epoch run's w and b."""
    first, resumed = (re.fullmatch(r"(\S+) (\[.*\]) (\S+)", line) for line in stdout.splitlines())
    assert first is not None and resumed is not None, stdout
    assert first.group(1) == "runs/b" and (cwd / "runs" / "b" / "checkpoint.pt").is_file()
    assert re.search(r"w ≈ \[2, -3\.4\] and b ≈ 4\.2", code)  # the book's truth, as quoted
    w, b = ast.literal_eval(first.group(2)), float(first.group(3))
    assert w == pytest.approx([2, -3.4], abs=0.01) and b == pytest.approx(4.2, abs=0.01)
    never_stopped = linearnets.run_linreg(linearnets.LinregConfig(epochs=5))
    assert resumed.group(1) == "5"
    assert ast.literal_eval(resumed.group(2)) == never_stopped.w
    assert float(resumed.group(3)) == never_stopped.b
    rows = (cwd / "runs" / "b" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["epoch"] for r in rows] == [1, 2, 3, 4, 5]


def _check_load_trained(cwd: Path, code: str, stdout: str) -> None:
    """The classes predicted are argmax(X / 255 @ W + b), from model.pt's weights on the raw files."""
    saved = torch.load(cwd / "runs" / "a" / "model.pt", weights_only=True)
    images, _ = _test_images(8)
    X = torch.tensor(images, dtype=torch.float32) / 255  # (8, 784)
    scores = X @ saved["state_dict"]["W"] + saved["state_dict"]["b"]  # (8, 10)
    expected = [saved["classes"][int(i)] for i in scores.argmax(dim=1)]
    assert ast.literal_eval(stdout.strip()) == expected


def _check_show_results(cwd: Path, code: str, stdout: str) -> None:
    """The per-class table printed is the confusion of argmax(X / 255 @ W + b) on the raw test
    files, counted with numpy; both figures are PNGs; the figures python.md's prose quotes for
    that run are those counts (to their rounding: another machine's float sums may move one)."""
    saved = torch.load(cwd / "runs" / "a" / "model.pt", weights_only=True)
    images, labels = _test_images(10_000)
    X = torch.tensor(images, dtype=torch.float32) / 255  # (10000, 784)
    pred = (X @ saved["state_dict"]["W"] + saved["state_dict"]["b"]).argmax(dim=1).numpy()
    counts = np.zeros((10, 10), dtype=np.int64)
    np.add.at(counts, (labels.astype(np.int64), pred), 1)  # row = true class, column = predicted
    rows = [
        (name, int(counts[c, c]), int(counts[c].sum()), f"{counts[c, c] / counts[c].sum():.3f}")
        for c, name in enumerate(saved["classes"])
    ]
    right = int(np.trace(counts))
    rows.append(("overall", right, 10_000, f"{right / 10_000:.3f}"))
    printed = [re.fullmatch(r"(.+?)\s+(\d+)\s+(\d+)\s+(\S+)", line) for line in stdout.splitlines()]
    assert stdout.splitlines()[0].split() == ["class", "correct", "total", "accuracy"]
    assert [
        (m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)) for m in printed[1:] if m
    ] == rows
    for figure in ("predict-20.png", "wrong-20.png", "confusion.png"):
        assert (cwd / figure).read_bytes()[:8] == PNG, figure
    prose = " ".join((DOCS / "python.md").read_text(encoding="utf-8").split())
    assert f"that run gets {10_000 - right:,} of the 10,000 wrong" in prose
    _check_predict_wrong_example(labels.astype(np.int64), pred, saved["classes"])
    quoted = re.search(
        r"the table gives shirt (\S+), pullover (\S+) and t-shirt (\S+) against trouser (\S+), and "
        r"the matrix's shirt row says why: (\d+) of the 1,000 test shirts are predicted coat and "
        r"(\d+) t-shirt",
        prose,
    )
    assert quoted is not None, "python.md's figures for the run"
    acc = {name: counts[c, c] / counts[c].sum() for c, name in enumerate(saved["classes"])}
    for name, figure in zip(
        ["shirt", "pullover", "t-shirt", "trouser"], quoted.groups(), strict=False
    ):
        assert float(figure) == pytest.approx(acc[name], abs=0.0025), name
    shirt = saved["classes"].index("shirt")
    for name, figure in (("coat", quoted.group(5)), ("t-shirt", quoted.group(6))):
        assert int(figure) == pytest.approx(counts[shirt, saved["classes"].index(name)], abs=2)


def _check_predict_wrong_example(labels: np.ndarray, pred: np.ndarray, classes: list[str]) -> None:
    """cli.md's output of ``linearnets predict --wrong`` for the command's default run (python.md's
    runs/a) is that model's first 6 mistakes, counted here: index, true and predicted label."""
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    block = next(b for b in _blocks(DOCS / "cli.md", "") if "wrong in 10,000 test images" in b)
    assert "10 epochs of `analytic` at seed 0" in page
    wrong = np.flatnonzero(pred != labels)
    expected = [
        f"{'#' + str(i):>5} {classes[labels[i]]:>12} -> {classes[pred[i]]}   (wrong)"
        for i in wrong[:6]
    ]
    expected.append(
        f"the first 6 of {len(wrong):,} wrong in 10,000 test images; figure: "
        "RUN_DIR/predict-wrong-6.png"
    )
    assert block.splitlines() == expected


def _check_your_data_files(cwd: Path, code: str, stdout: str) -> None:
    """blobs.npz holds the arrays the softmax command reads (3 classes, 2 features, a test split),
    table.csv a header and rows whose least-squares fit is the w = [1, 2, 3], b = 0.5 quoted."""
    with np.load(cwd / "blobs.npz") as blobs:
        assert {k: blobs[k].shape for k in blobs.files} == {
            "X": (600, 2), "y": (600,), "X_test": (200, 2), "y_test": (200,)
        }  # fmt: skip
        assert set(blobs["y"].tolist()) == set(blobs["y_test"].tolist()) == {0, 1, 2}
    lines = (cwd / "table.csv").read_text().splitlines()
    assert lines[0] == "a,b,c,y" and len(lines) == 501
    table = np.loadtxt(cwd / "table.csv", delimiter=",", skiprows=1)  # (500, 4)
    fit = np.linalg.lstsq(np.c_[table[:, :3], np.ones(500)], table[:, 3], rcond=None)[0]
    assert re.search(r"w = \[1, 2, 3\], b = 0\.5", code)
    np.testing.assert_allclose(fit, [1, 2, 3, 0.5], atol=0.01)


_PYTHON_CHECKS: list[tuple[str, Callable[[Path, str, str], None]]] = [
    ("torch.optim.lr_scheduler.StepLR(updater, step_size=2, gamma=0.5)", _check_scheduler),
    ('ln.run_softmax(ln.SoftmaxConfig(epochs=10, out="runs/a")', _check_run_softmax),
    ('ln.resume_linreg("runs/b", epochs=5)', _check_linreg),
    ("pred = predict_labels(net, X)", _check_load_trained),
    ('print(format_per_class_table(matrix, meta["classes"]))', _check_show_results),
    ('np.savez("blobs.npz"', _check_your_data_files),
]
_NEEDS_DATA = ("fashion_mnist", "run_softmax", "load_trained")


def test_the_docs_hold_python_blocks_and_each_check_names_one() -> None:
    """The extraction finds the pages' blocks (none found would test nothing), and every check of
    ``_PYTHON_CHECKS`` matches one block: a block edited out of its check's reach fails here."""
    blocks = [code for codes in _python_pages().values() for code in codes]
    assert len(blocks) >= 6, "python.md's 5 blocks and d2l.md's one, at least"
    for marker, _ in _PYTHON_CHECKS:
        assert sum(marker in code for code in blocks) == 1, marker


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("page", sorted(_python_pages()))
def test_each_python_block_of_a_docs_page_runs_as_printed(
    page: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    scripts = tmp_path_factory.mktemp("blocks")  # beside the working folder, not in it
    for n, code in enumerate(_python_pages()[page]):
        if any(k in code for k in _NEEDS_DATA):
            _require_fashion_mnist()
        script = scripts / f"block{n + 1}.py"
        script.write_text(code, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        where = f"{page}'s block {n + 1}:\n{code}"
        assert done.returncode == 0, f"{where}\n{done.stderr}"
        assert done.stderr == "", where
        checks = [check for marker, check in _PYTHON_CHECKS if marker in code]
        if "print(" in code:
            assert checks, f"{where}\nprints, and no check of _PYTHON_CHECKS reads its output"
        for check in checks:
            check(tmp_path, code, done.stdout)


@pytest.mark.realdata
def test_the_load_trained_block_resizes_new_images_as_a_resize_run_did(tmp_path: Path) -> None:
    """python.md's "A finished run's model" block, run as printed on a --resize 14 run's model,
    predicts Pillow's bilinear 14×14 images divided by 255: without its resize step it failed with
    "X must hold 196 features per example, ... got shape (8, 784)". The oracle resizes with Pillow
    itself, image by image."""
    from PIL import Image

    from linearnets.data.labels import TEXT_LABELS

    _require_fashion_mnist()
    (code,) = [c for c in _python_pages()["python.md"] if "pred = predict_labels(net, X)" in c]
    run = tmp_path / "runs" / "a"
    run.mkdir(parents=True)
    g = torch.Generator().manual_seed(0)
    W, b = torch.randn(10, 14 * 14, generator=g), torch.randn(10, generator=g)
    torch.save(
        {"impl": "concise", "num_inputs": 196, "num_outputs": 10, "resize": 14,
         "classes": list(TEXT_LABELS), "state_dict": {"1.weight": W, "1.bias": b}},
        run / "model.pt",
    )  # fmt: skip
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    images, _ = _test_images(8)
    resized = np.stack(
        [
            np.asarray(Image.fromarray(i.reshape(28, 28)).resize((14, 14), Image.BILINEAR))
            for i in images
        ]
    ).reshape(8, -1)
    scores = resized / 255.0 @ W.double().numpy().T + b.double().numpy()  # (8, 10)
    top2 = np.sort(scores, axis=1)[:, -2:]
    assert (top2[:, 1] - top2[:, 0]).min() > 1e-3  # no near-ties: float32 agrees with float64
    assert ast.literal_eval(done.stdout.strip()) == [TEXT_LABELS[i] for i in scores.argmax(axis=1)]


# --- the sh blocks -------------------------------------------------------------------------------


def _sh_commands() -> dict[str, str]:
    """Each command of the sh blocks (key: its words, comments aside) with its text as printed."""
    commands: dict[str, str] = {}
    for page in [README, *sorted(DOCS.glob("*.md"))]:
        for block in _blocks(page, "sh"):
            for command in re.split(r"(?<!\\)\n", block.strip()):
                words = shlex.split(command.replace("\\\n", " "), comments=True)
                commands.setdefault(" ".join(words), command)
    return commands


# each command not run, with its name in the module's docstring, which says why
_SH_NOT_RUN = {
    "make run": "make run",
    "make test": "make test",
    ".venv/bin/linearnets softmax": "linearnets softmax",
    ".venv/bin/linearnets softmax --resume runs/softmax-analytic-…": (
        "linearnets softmax --resume runs/softmax-analytic-…"
    ),
    ".venv/bin/linearnets linreg --num-examples 1000000 --out runs/big": (
        "linearnets linreg --num-examples 1000000 --out runs/big"
    ),
    ".venv/bin/linearnets linreg --resume runs/big": "linearnets linreg --resume runs/big",
    ".venv/bin/pip install notebook": "pip install notebook",
    ".venv/bin/jupyter notebook examples/chapter3.ipynb": (
        "jupyter notebook examples/chapter3.ipynb"
    ),
    ".venv/bin/torchrun --nproc_per_node=2 -m linearnets softmax --epochs 10": (
        "torchrun --nproc_per_node=2"
    ),
    ".venv/bin/torchrun --nnodes=2 --nproc_per_node=4 --rdzv_backend=c10d "
    "--rdzv_endpoint=HOST:29500 -m linearnets softmax --device cuda": "torchrun --nnodes=2",
    ".venv/bin/python -m pytest --collect-only -q tests | grep -cE "
    "::test_[a-z0-9_]*(bad|rejects|refused|one_line_and_exits|without_gpu|missing_file)": (
        "pytest --collect-only -q tests | grep -cE"
    ),
    ".venv/bin/linearnets data download --data-dir DIR": "linearnets data download --data-dir DIR",
}
CONCISE = ".venv/bin/linearnets softmax --impl concise --epochs 3 --json"
PREDICT = ".venv/bin/linearnets predict runs/softmax-concise-… -n 8"
PREDICT_WRONG = ".venv/bin/linearnets predict runs/softmax-concise-… -n 8 --wrong"
LINREG = ".venv/bin/linearnets linreg --impl scratch"
DATA = ".venv/bin/linearnets data"
SHOW = ".venv/bin/linearnets data show -n 18 --out grid.png"
NPZ = ".venv/bin/linearnets softmax --data blobs.npz"
CSV = ".venv/bin/linearnets linreg --data table.csv"
_SH_RUN = {CONCISE, PREDICT, PREDICT_WRONG, LINREG, DATA, SHOW, NPZ, CSV}


def test_every_sh_command_is_run_or_listed_with_why_not() -> None:
    commands = set(_sh_commands())
    assert len(commands) >= 19, "the README's and docs/'s sh blocks"
    assert commands - _SH_RUN - set(_SH_NOT_RUN) == set()  # a new command: run it, or say why not
    assert (_SH_RUN | set(_SH_NOT_RUN)) - commands == set()  # none stale
    docstring = " ".join((__doc__ or "").split())
    for key, name in _SH_NOT_RUN.items():  # the docstring names it, and says why
        assert f"``{name}" in docstring and f" {name}" in f" {key.removeprefix('.venv/bin/')}", name


def _run_sh(key: str, cwd: Path, *, replace: tuple[str, str] = ("", "")) -> str:
    """Run the command as printed, ``.venv/bin/`` meaning this environment's; return its stdout."""
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "linearnets").exists():
        pytest.skip(f"the linearnets command is not installed beside {sys.executable}")
    command = _sh_commands()[key].replace(".venv/bin/", f"{bin_dir}/").replace(*replace)
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, f"{command}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
@pytest.mark.realdata
def test_the_quick_starts_concise_run_then_its_predict(tmp_path: Path) -> None:
    _require_fashion_mnist()
    out = _run_sh(CONCISE, tmp_path).splitlines()
    assert [line.split(",")[0] for line in out[:3]] == ["epoch 1", "epoch 2", "epoch 3"]
    results = json.loads(out[-1])
    run = tmp_path / results["run_dir"]
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert (results["impl"], results["epochs"], len(rows)) == ("concise", 3, 3)
    assert results["test_acc"] == rows[-1]["test_acc"]

    shown = _run_sh(PREDICT, tmp_path, replace=("runs/softmax-concise-…", results["run_dir"]))
    *pairs, summary = shown.splitlines()
    labels = [tuple(p.strip() for p in pair.split(" -> ")) for pair in pairs]
    right = sum(true == predicted for true, predicted in labels)
    assert len(labels) == 8
    assert summary == f"{right}/8 correct; figure: {results['run_dir']}/predict-8.png"
    assert (run / "predict-8.png").read_bytes()[:8] == PNG

    # its mistakes: the first 8 the concise model's argmax of X / 255 @ W.T + b gets wrong
    shown = _run_sh(PREDICT_WRONG, tmp_path, replace=("runs/softmax-concise-…", results["run_dir"]))
    *lines, summary = shown.splitlines()
    state = torch.load(run / "model.pt", weights_only=True)
    images, labels = _test_images(10_000)
    X = torch.tensor(images, dtype=torch.float32) / 255  # (10000, 784)
    W, b = state["state_dict"]["1.weight"], state["state_dict"]["1.bias"]  # (10, 784), (10,)
    pred = (X @ W.T + b).argmax(dim=1).numpy()
    wrong = np.flatnonzero(pred != labels)
    names = state["classes"]
    assert lines == [
        f"{'#' + str(i):>5} {names[labels[i]]:>12} -> {names[pred[i]]}   (wrong)" for i in wrong[:8]
    ]
    assert summary == (
        f"the first 8 of {len(wrong):,} wrong in 10,000 test images; figure: "
        f"{results['run_dir']}/predict-wrong-8.png"
    )
    assert (run / "predict-wrong-8.png").read_bytes()[:8] == PNG


@pytest.mark.slow
def test_the_quick_starts_linreg_learns_the_truth_it_prints(tmp_path: Path) -> None:
    out = _run_sh(LINREG, tmp_path)
    learned = re.search(r"w: \[(\S+), (\S+)\]\s+b: (\S+)", out)
    shown = re.search(r"^truth: w \[(\S+), (\S+)\]\s+b (\S+)$", out, flags=re.M)
    error = re.search(r"error vs truth:\s+w \[(\S+), (\S+)\]\s+b (\S+)  \(truth - learned\)", out)
    assert learned and shown and error, out
    truth = (2.0, -3.4, 4.2)  # the book's
    assert [float(t) for t in shown.groups()] == list(truth)
    for t, w, e in zip(truth, learned.groups(), error.groups(), strict=True):
        assert abs(t - float(w)) < 0.01
        assert float(e) == pytest.approx(t - float(w), abs=1e-6, rel=0.01)  # error = truth - w


@pytest.mark.realdata
def test_the_quick_starts_data_counts_the_files_it_names(tmp_path: Path) -> None:
    _require_fashion_mnist()
    out = _run_sh(DATA, tmp_path)
    files = dict(re.findall(r"^  (\S+-ubyte)\s+(\S+)$", out, flags=re.M))
    assert len(files) == 4, out

    def counts(name: str) -> list[int]:
        return [int(n) for n in np.bincount(_read_idx(Path(files[name]), 8), minlength=10)]

    train, test = counts("train-labels-idx1-ubyte"), counts("t10k-labels-idx1-ubyte")
    rows = re.findall(r"^\s+(\d)\s+\S.*?\s(\d+)\s+(\d+)$", out, flags=re.M)
    assert [(int(c), int(a), int(b)) for c, a, b in rows] == [
        (c, train[c], test[c]) for c in range(10)
    ]
    assert re.search(rf"^\s+total\s+{sum(train)}\s+{sum(test)}$", out, flags=re.M)


@pytest.mark.realdata
def test_the_quick_starts_data_show_writes_its_grid(tmp_path: Path) -> None:
    _require_fashion_mnist()
    out = _run_sh(SHOW, tmp_path)
    assert out.startswith("wrote grid.png (18 training images from ")
    assert (tmp_path / "grid.png").read_bytes()[:8] == PNG


def test_your_datas_softmax_infers_features_and_classes(tmp_path: Path) -> None:
    gen = np.random.default_rng(0)
    centres = gen.normal(size=(3, 4)) * 4
    y, y_test = gen.integers(0, 3, 300), gen.integers(0, 3, 100)
    X, X_test = centres[y] + gen.normal(size=(300, 4)), centres[y_test] + gen.normal(size=(100, 4))
    np.savez(tmp_path / "blobs.npz", X=X, y=y, X_test=X_test, y_test=y_test)
    out = _run_sh(NPZ, tmp_path)
    counts = f"{len(X)} examples, {X.shape[1]} features, {len(set(y))} classes, {len(X_test)} test"
    assert f"data: {tmp_path / 'blobs.npz'} ({counts} examples)" in out
    assert (tmp_path / out.split("run folder: ")[1].strip() / "model.pt").is_file()


def test_your_datas_linreg_reads_the_last_column_as_y_past_the_header(tmp_path: Path) -> None:
    gen = np.random.default_rng(0)
    X = gen.normal(size=(200, 2))
    y = X @ np.array([2, -3.4]) + 4.2 + 0.01 * gen.normal(size=200)
    np.savetxt(tmp_path / "table.csv", np.c_[X, y], delimiter=",", header="x1,x2,y", comments="")
    out = _run_sh(CSV, tmp_path)
    assert f"data: {tmp_path / 'table.csv'} ({len(X)} examples, {X.shape[1]} features)" in out
    learned = re.search(r"w: \[(\S+), (\S+)\]\s+b: (\S+)", out)
    error = re.search(r"error vs closed form:\s+w \[(\S+), (\S+)\]\s+b (\S+)", out)
    assert learned and error, out
    closed = np.linalg.lstsq(np.c_[X, np.ones(200)], y, rcond=None)[0]  # the oracle: least squares
    for c, w, e in zip(closed, learned.groups(), error.groups(), strict=True):
        assert float(e) == pytest.approx(c - float(w), abs=1e-5, rel=0.01)


@pytest.mark.parametrize("name", ["MetricsWriter", "CheckpointCallback"])
def test_python_md_says_where_the_callbacks_not_in_ln_are_imported_from(name: str) -> None:
    """python.md wrote MetricsWriter and CheckpointCallback as it writes ln's names, but
    ``ln.MetricsWriter`` is an AttributeError: the page gives the import of each, which runs."""
    prose = " ".join((DOCS / "python.md").read_text(encoding="utf-8").split())
    assert not hasattr(linearnets, name)
    imports = re.findall(rf"`(from linearnets[\w.]* import {name})`", prose)
    assert imports, f"python.md gives no import of {name}"
    # said where it first appears, not pages later
    assert 0 < prose.index(imports[0]) - prose.index(f"`{name}`") < 200
    for line in imports:
        scope: dict[str, object] = {}
        exec(line, scope)  # the page's own import line
        assert isinstance(scope[name], type)


def test_python_md_says_where_each_error_and_warning_it_names_is_imported_from() -> None:
    """python.md named DivergenceError, TrainingInterrupted, DataWarning, ... with no import
    (``ln.DivergenceError`` is an AttributeError), so ``except DivergenceError`` could not be
    written from the page: every such name it gives is imported by one of its own code blocks."""
    import builtins

    text = (DOCS / "python.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([A-Z]\w*(?:Error|Warning|Interrupted))`", text))
    assert {"DivergenceError", "TrainingInterrupted", "DataWarning"} <= named
    scope: dict[str, object] = {}
    for line in re.findall(r"^from linearnets[\w.]* import [\w, ]+$", text, flags=re.M):
        exec(line, scope)  # the page's own import lines
    for name in sorted(named):
        found = scope.get(name, getattr(linearnets, name, getattr(builtins, name, None)))
        assert isinstance(found, type) and issubclass(found, BaseException), name
