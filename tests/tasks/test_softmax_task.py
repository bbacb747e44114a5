"""Softmax regression on the real Fashion-MNIST with the book's settings (D2L §3.6.6, §3.7.3)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.cli import main
from linearnets.config import SoftmaxConfig
from linearnets.tasks.softmax import SoftmaxResult, load_trained, prepare, run_softmax
from linearnets.training.loop import train_epoch

REAL_DATA = Path("/usr/share/datasets/fashion-mnist")
pytestmark = pytest.mark.skipif(
    not REAL_DATA.is_dir(), reason="needs the real Fashion-MNIST (Debian package)"
)


@pytest.fixture(scope="module", params=["scratch", "concise", "analytic"])
def book_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> SoftmaxResult:
    """Ten epochs with the book's settings: lr 0.1, batch 256."""
    out = tmp_path_factory.mktemp("book") / request.param
    return run_softmax(
        SoftmaxConfig(impl=request.param, plot="none", num_threads=1, device="cpu", out=out)
    )


def test_reaches_the_books_results(book_run: SoftmaxResult) -> None:
    history = book_run.history
    assert len(history.epochs) == 10
    assert history.test_acc[2] is not None and history.test_acc[2] >= 0.80  # after 3 epochs
    assert history.test_acc[-1] is not None and history.test_acc[-1] >= 0.82
    assert history.train_loss[-1] <= 0.46
    # the loss falls overall (SGD noise allows a small rise from one epoch to the next)
    assert history.train_loss[-1] < history.train_loss[0] < 1.0


def test_run_folder_holds_everything(book_run: SoftmaxResult) -> None:
    run_dir = book_run.run_dir
    for name in ("config.json", "metrics.jsonl", "metrics.csv", "model.pt", "checkpoint.pt", "results.json",
                 "per_class.txt", "confusion.pt"):  # fmt: skip
        assert (run_dir / name).is_file(), name
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == list(range(1, 11))
    assert rows[-1]["test_acc"] == book_run.history.test_acc[-1]
    config = json.loads((run_dir / "config.json").read_text())
    assert config["config"]["seed"] == 0 and config["config"]["num_threads"] == 1
    assert config["environment"]["torch"] == torch.__version__
    confusion = torch.load(run_dir / "confusion.pt", weights_only=True)
    assert int(confusion.sum()) == 10_000
    assert int(confusion.diagonal().sum()) / 10_000 == pytest.approx(book_run.history.test_acc[-1])
    # the saved weights reload into a model that scores the same
    net, meta = load_trained(run_dir)
    assert meta["impl"] == book_run.config.impl
    exp = prepare(SoftmaxConfig(impl=meta["impl"], device="cpu"))
    correct = sum(int((net(X).argmax(1) == y).sum()) for X, y in exp.test_iter)
    assert correct == int(confusion.diagonal().sum())
    # as the README says: torch.load gives a dict whose state_dict loads into a fresh model
    saved = torch.load(run_dir / "model.pt", weights_only=True)
    assert {"impl", "num_inputs", "num_outputs", "resize", "classes", "pixels", "state_dict"} <= saved.keys()  # fmt: skip
    fresh = prepare(SoftmaxConfig(impl=saved["impl"], device="cpu")).model
    fresh.load_state_dict(saved["state_dict"])
    assert all(torch.equal(a, b) for a, b in zip(_weights(fresh), _weights(net), strict=True))


def _weights(net: object) -> tuple[torch.Tensor, torch.Tensor]:
    if isinstance(net, torch.nn.Sequential):
        return net[1].weight.detach().T, net[1].bias.detach()
    return net.W.detach(), net.b.detach()  # type: ignore[attr-defined]


@pytest.mark.parametrize("other", ["concise", "analytic"])
def test_implementations_follow_the_same_trajectory(other: str) -> None:
    """Same seed, same batches: after an epoch the parameters agree (float32 rounding apart)."""
    results = {}
    for impl in ("scratch", other):
        exp = prepare(SoftmaxConfig(impl=impl, device="cpu", num_threads=1))
        train_epoch(exp.setup.net, exp.train_iter, exp.setup.loss, exp.setup.updater)
        results[impl] = _weights(exp.model)
    for ours, theirs in zip(results["scratch"], results[other], strict=True):
        torch.testing.assert_close(ours, theirs, rtol=1e-3, atol=1e-4)


def test_cli_json_and_predict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["softmax", "--epochs", "1", "--plot", "file", "--out", str(out), "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("epoch 1, loss ")
    summary = json.loads(lines[-1])
    for key in (
        "train_loss",
        "train_acc",
        "test_acc",
        "epochs",
        "impl",
        "seconds_per_epoch",
        "run_dir",
    ):
        assert key in summary, key
    assert (
        summary["epochs"] == 1 and summary["impl"] == "analytic" and summary["run_dir"] == str(out)
    )
    for name in ("curves.png", "curves.svg", "predictions.png", "confusion.png"):
        assert (out / name).stat().st_size > 1000, name
    assert main(["predict", str(out), "-n", "5"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 6 and printed[-1].endswith(f"figure: {out / 'predict-5.png'}")
    assert (out / "predict-5.png").is_file()


def _no_font(*args: object, **kwargs: object) -> None:
    raise RuntimeError("no usable font")


def test_a_figure_that_fails_to_draw_loses_no_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import linearnets.plotting.confusion

    monkeypatch.setattr(linearnets.plotting.confusion, "plot_confusion_matrix", _no_font)
    out = tmp_path / "run"
    assert main(["softmax", "--epochs", "1", "--plot", "file", "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "drawing no font failed with RuntimeError: no usable font" in err[0]
    for name in ("model.pt", "checkpoint.pt", "metrics.jsonl", "per_class.txt", "results.json",
                 "curves.png", "curves.svg", "predictions.png"):  # fmt: skip
        assert (out / name).is_file(), name  # everything but the figure that failed
    assert not (out / "confusion.png").exists()


def test_a_resized_run_trains_and_saves_a_model_of_the_resized_images(tmp_path: Path) -> None:
    """--resize 14: 196 inputs, both loaders resample, and model.pt says so for predict."""
    out = tmp_path / "run"
    config = SoftmaxConfig(epochs=1, resize=14, plot="none", num_threads=1, device="cpu", out=out)
    result = run_softmax(config)
    assert 0.7 < result.history.last.test_acc < 0.9
    model, meta = load_trained(out)
    assert meta["resize"] == 14 and meta["num_inputs"] == 196 and meta["pixels"] is True
    assert meta["classes"][:2] == ["t-shirt", "trouser"] and len(meta["classes"]) == 10
    exp = prepare(config)  # the same test images, resampled as training saw them
    X, y = next(iter(exp.test_iter))
    assert X.shape[1:] == (1, 14, 14)
    with torch.no_grad():
        assert (model(X).argmax(dim=1) == y).float().mean() > 0.6


def _test_split() -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST's test images (10000, 28, 28) and labels (10000,), uint8, read with numpy."""
    arrays = []
    for name, offset in (("t10k-images-idx3-ubyte.gz", 16), ("t10k-labels-idx1-ubyte.gz", 8)):
        with gzip.open(REAL_DATA / name) as f:
            arrays.append(np.frombuffer(f.read(), dtype=np.uint8, offset=offset).copy())
    return arrays[0].reshape(-1, 28, 28), arrays[1]


def test_model_pt_says_the_images_were_divided_by_255_and_the_recipe_scores_as_the_run(
    tmp_path: Path,
) -> None:
    """Its pixels / 255 went unrecorded: the model reloaded and given the raw images as floats
    predicted wrong, silently. Its recipe gives the run's own confusion matrix."""
    from linearnets.errors import DataWarning
    from linearnets.inference import predict_labels

    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(epochs=1, plot="none", num_threads=1, device="cpu", out=out))
    net, meta = load_trained(out)
    assert meta["pixels"] is True
    images, labels = _test_split()
    X = torch.from_numpy(images).float()  # (10000, 28, 28), 0..255
    pred = predict_labels(net, X / 255)
    counts = np.zeros((10, 10), dtype=np.int64)
    np.add.at(counts, (labels, pred.numpy()), 1)
    assert torch.equal(torch.from_numpy(counts), torch.load(out / "confusion.pt"))
    with pytest.warns(DataWarning, match=r"got values up to 255: raw pixels give wrong"):
        raw = predict_labels(net, X)
    assert (raw != pred).any()  # what the warning is for


def test_a_run_that_fails_to_start_leaves_no_new_folder_and_keeps_the_users(
    tmp_path: Path,
) -> None:
    """--resize with --data is refused once the folder is claimed: the folder made for the run goes
    again, a folder the user made (even empty) stays as it was, without the run's lock file, and
    both then take a run."""
    import numpy as np

    from linearnets.errors import UsageError

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", X=rng.normal(size=(30, 4)).astype(np.float32), y=np.arange(30) % 3)
    new, mine = tmp_path / "new", tmp_path / "mine"
    mine.mkdir()
    for out in (new, mine):
        config = SoftmaxConfig(data=tmp_path / "d.npz", resize=14, plot="none", out=out)
        with pytest.raises(UsageError, match=r"^resize applies to Fashion-MNIST images only"):
            run_softmax(config)
    assert not new.exists() and mine.is_dir()
    assert list(mine.iterdir()) == []
    (mine / ".lock").touch()  # left by an earlier run that was killed: not ours to remove
    with pytest.raises(UsageError, match=r"^resize applies to Fashion-MNIST images only"):
        run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", resize=14, plot="none", out=mine))
    assert [p.name for p in mine.iterdir()] == [".lock"]
    for out in (new, mine):
        run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=1, plot="none", out=out))
        assert (out / "results.json").is_file()


def test_a_resume_keeps_the_device_and_world_size_the_run_started_with(tmp_path: Path) -> None:
    """A run started on 2 processes and resumed on 1: config.json says both, neither overwritten."""
    from types import SimpleNamespace

    from linearnets.tasks.softmax import write_run_config
    from linearnets.training.distributed import DistContext

    def exp(world_size: int, device: str) -> object:
        return SimpleNamespace(
            config=SoftmaxConfig(), data_source="blobs.npz", data_sha256="0" * 64,
            device=torch.device(device), dist=DistContext(world_size=world_size),
        )  # fmt: skip

    write_run_config(tmp_path, exp(2, "cpu"), resumes=[])  # type: ignore[arg-type]
    started = json.loads((tmp_path / "config.json").read_text())["environment"]
    entry = {"from_epoch": 1, "forced": {}, "environment": started}
    write_run_config(tmp_path, exp(1, "meta"), resumes=[entry], started=started)  # type: ignore[arg-type]
    saved = json.loads((tmp_path / "config.json").read_text())
    assert (saved["world_size"], saved["device"]) == (2, "cpu")
    assert saved["resumes"] == [{**entry, "world_size": 1, "device": "meta"}]


def _tiny_data(path: Path) -> Path:
    import numpy as np

    rng = np.random.default_rng(0)
    np.savez(path, X=rng.normal(size=(40, 3)).astype(np.float32), y=rng.integers(0, 2, size=40))
    return path


@pytest.mark.parametrize(
    ("callbacks", "pattern"),
    [
        ("logger", r"^callbacks must be a list of callback objects, got ConsoleLogger;"),
        (None, r"^callbacks must be a list of callback objects, got NoneType;"),
        ("abc", r"^callbacks must be a list of callback objects, got str;"),
        # the user's own index: the run's callbacks (guard, writers, curves) came first in fit's
        ("class", r"^callbacks\[0\] must be a callback object, got the class ConsoleLogger;"),
    ],
)
def test_callbacks_are_checked_before_the_run_claims_its_folder(
    tmp_path: Path, callbacks: object, pattern: str
) -> None:
    """They once failed in fit (a raw TypeError, or another index), after config.json was written:
    the folder then refused the same run with its callbacks fixed ("already holds a run")."""
    from linearnets.errors import UsageTypeError
    from linearnets.training.callbacks import ConsoleLogger

    given = {"logger": ConsoleLogger(), "class": [ConsoleLogger]}.get(str(callbacks), callbacks)
    out = tmp_path / "run"
    config = SoftmaxConfig(data=_tiny_data(tmp_path / "d.npz"), epochs=1, plot="none", out=out)
    with pytest.raises(UsageTypeError, match=pattern):
        run_softmax(config, callbacks=given)  # type: ignore[arg-type]
    assert not out.exists()
    assert run_softmax(config, callbacks=[ConsoleLogger()]).run_dir == out


class _Refusing:
    """A callback that refuses the run in its first epoch, as a user's check may."""

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        raise ValueError("my check refused it")


@pytest.mark.parametrize("existed", [False, True], ids=["new-out", "empty-out"])
@pytest.mark.parametrize("refusal", ["guard-lr", "callback"])
def test_a_guard_at_another_lr_or_a_callbacks_error_in_epoch_1_leaves_the_folder_as_found(
    tmp_path: Path, refusal: str, existed: bool
) -> None:
    """A DivergenceGuard at another lr than the config's (refused as fit starts) or a callback's
    own error in epoch 1 left the folder holding .lock and config.json (and the metrics files),
    and the same call, fixed, was refused: "out=... already holds a run"."""
    from linearnets.errors import UsageError
    from linearnets.training.guard import DivergenceGuard

    out = tmp_path / "run"
    if existed:
        out.mkdir()
    config = SoftmaxConfig(data=_tiny_data(tmp_path / "d.npz"), epochs=1, plot="none", out=out)
    if refusal == "guard-lr":
        with pytest.raises(UsageError) as info:
            run_softmax(config, callbacks=[DivergenceGuard(0.5)])
        assert str(info.value).startswith(
            "DivergenceGuard's lr must be the updater's (it names it in its advice and weighs it "
            "against the data), got DivergenceGuard(0.5) while the updater trains at lr 0.1; "
        )
    else:
        with pytest.raises(ValueError, match=r"^my check refused it$"):
            run_softmax(config, callbacks=[_Refusing()])
    if existed:
        assert list(out.iterdir()) == []  # the user's empty folder, kept empty
    else:
        assert not out.exists()
    result = run_softmax(config, callbacks=[DivergenceGuard(config.lr)])  # the call, fixed
    assert result.run_dir == out and len(result.history.epochs) == 1


def test_a_callbacks_error_once_an_epoch_is_kept_leaves_the_run_to_resume(tmp_path: Path) -> None:
    """The folder goes only while it holds no checkpoint: after one, the run is resumed there."""
    from linearnets.tasks.resume import resume_softmax

    class LateRefusal:
        def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
            if epoch == 2:
                raise ValueError("my check refused epoch 2")

    out = tmp_path / "run"
    config = SoftmaxConfig(data=_tiny_data(tmp_path / "d.npz"), epochs=2, plot="none", out=out)
    with pytest.raises(ValueError, match=r"^my check refused epoch 2$"):
        run_softmax(config, callbacks=[LateRefusal()])
    assert (out / "checkpoint.pt").is_file() and (out / "config.json").is_file()
    assert len(resume_softmax(out).history.epochs) == 2


def test_a_resume_with_bad_callbacks_leaves_the_run_as_it_was(tmp_path: Path) -> None:
    """The resume once recorded itself (and its epochs) in config.json before failing in fit."""
    from linearnets.errors import UsageTypeError
    from linearnets.tasks.resume import resume_softmax
    from linearnets.training.callbacks import ConsoleLogger

    out = tmp_path / "run"
    config = SoftmaxConfig(data=_tiny_data(tmp_path / "d.npz"), epochs=1, plot="none", out=out)
    run_softmax(config)
    before = (out / "config.json").read_bytes()
    with pytest.raises(UsageTypeError, match=r"^callbacks must be a list of callback objects"):
        resume_softmax(out, epochs=2, callbacks=ConsoleLogger())  # type: ignore[arg-type]
    assert (out / "config.json").read_bytes() == before
    assert len(resume_softmax(out, epochs=2).history.epochs) == 2


def test_processes_share_every_setting_but_their_own_and_the_data_files_content(
    tmp_path: Path,
) -> None:
    """The oracle: hashlib's SHA-256 of the file's bytes; a copy elsewhere (another node's path) is
    the same data, another file is not, a file missing on one process is named as such."""
    import hashlib
    import shutil

    from linearnets.tasks.softmax import shared_settings

    data = _tiny_data(tmp_path / "d.npz")
    copy = shutil.copy(data, tmp_path / "elsewhere.npz")
    config = SoftmaxConfig(data=data, epochs=3, seed=5, out=tmp_path / "a", device="cpu")
    shared = shared_settings(config)
    # out, data_dir, device, num_threads and plot may differ per process (rank 0 writes and plots)
    assert set(shared) == {"impl", "epochs", "lr", "batch_size", "seed", "data", "resize", "guard"}
    assert (shared["epochs"], shared["seed"]) == (3, 5)
    sha = hashlib.sha256(data.read_bytes()).hexdigest()
    assert repr(shared["data"]) == f"{str(data)!r} (SHA-256 {sha[:12]}…)"
    on_another_node = shared_settings(SoftmaxConfig(data=copy, num_threads=2, plot="none"))
    assert on_another_node["data"] == shared["data"]
    other = tmp_path / "other.npz"
    other.write_bytes(data.read_bytes() + b"\x00")  # one byte more: another file
    assert shared_settings(SoftmaxConfig(data=other))["data"] != shared["data"]
    assert shared_settings(config, names={"seed", "device"}) == {"seed": 5}  # a resume's overrides


def test_a_data_file_missing_or_unreadable_on_one_process_is_refused_as_a_single_process_says_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings' agreement stops every process with it, rank 0 naming that rank ("rank 1
    stopped: ..."); it was compared as another file, the fix "start every process with the same
    options", which they were. A file unreadable for another reason is still named as such."""
    import errno

    from linearnets import _fs
    from linearnets.errors import UsageError
    from linearnets.tasks.softmax import shared_settings

    gone = tmp_path / "gone.npz"
    with pytest.raises(UsageError) as info:
        shared_settings(SoftmaxConfig(data=gone))
    assert str(info.value) == (
        f"data={str(gone)!r} does not exist or is not a file; pass an existing .npz file"
    )
    # a folder, or a path through a file: the same, not "unreadable there" to compare
    (tmp_path / "f").write_bytes(b"")
    for wrong in (tmp_path, tmp_path / "f" / "d.npz"):
        with pytest.raises(UsageError) as info:
            shared_settings(SoftmaxConfig(data=wrong))
        assert str(info.value) == (
            f"data={str(wrong)!r} does not exist or is not a file; pass an existing .npz file"
        )
    data = _tiny_data(tmp_path / "d.npz")

    def refused(path: Path) -> str:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(_fs, "sha256_file", refused)
    with pytest.raises(UsageError) as info:
        shared_settings(SoftmaxConfig(data=data))
    assert str(info.value) == (
        f"data={str(data)!r} cannot be read (Permission denied); check the file's permissions"
    )

    def failing(path: Path) -> str:
        raise OSError(errno.EIO, "Input/output error", str(path))

    monkeypatch.setattr(_fs, "sha256_file", failing)
    assert repr(shared_settings(SoftmaxConfig(data=data))["data"]) == (
        f"{str(data)!r} (input/output error there)"
    )


def test_run_softmax_trains_in_the_process_group_its_caller_joined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PyTorch's DDP tutorial joins the group itself (mp.spawn, init_process_group(rank=r,
    world_size=2)) with no torchrun variables: each process trained alone, in its own folder."""
    import torch.distributed as dist

    from linearnets.tasks.softmax import environment_group
    from linearnets.training.distributed import DistContext

    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "get_rank", lambda: 1)
    monkeypatch.setattr(dist, "get_world_size", lambda: 2)
    assert environment_group("cpu", None) == DistContext(rank=1, world_size=2, local_rank=1)
    given = DistContext(rank=0, world_size=3)
    assert environment_group("cpu", given) is given  # a context passed in still wins


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a device this machine lacks: CUDA")
def test_a_torchrun_script_on_a_device_its_machine_lacks_joins_to_say_so_to_every_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_softmax joining torchrun's group itself refused device='cuda' before the join (the
    others waited up to gloo's 30 minutes): it joins with gloo, and the settings' agreement
    stops every process with its refusal, before a folder is claimed."""
    import torch.distributed as dist

    import linearnets.tasks.softmax as softmax_task
    from linearnets.errors import UsageError
    from linearnets.training.distributed import DistContext

    for name, value in {"WORLD_SIZE": "2", "RANK": "1", "LOCAL_RANK": "0"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(softmax_task, "in_process_group", lambda: False)
    joined: list[Any] = []

    def init_distributed(**kwargs: Any) -> DistContext:
        joined.append(kwargs)
        return DistContext(rank=1, world_size=2)

    monkeypatch.setattr(softmax_task, "init_distributed", init_distributed)
    sent: list[Any] = []

    def all_gather_object(gathered: list[Any], mine: Any) -> None:
        sent.append(mine)
        gathered[:] = [("ok", {}), mine]

    monkeypatch.setattr(dist, "all_gather_object", all_gather_object)
    out = tmp_path / "run"
    no_cuda = "device 'cuda' needs CUDA, but no CUDA GPU is available here"
    with pytest.raises(UsageError, match=rf"^{no_cuda}"):
        run_softmax(SoftmaxConfig(data=_tiny_data(tmp_path / "d.npz"), device="cuda", out=out))
    ((device, refused),) = [(kw["device"], kw["refused"]) for kw in joined]  # no device: gloo
    assert device is None and str(refused).startswith(no_cuda)
    assert sorted(joined[0]) == ["device", "refused"]
    assert sent == [("error", str(refused))]
    assert not out.exists()


def test_a_bad_mplbackend_on_one_process_is_said_to_every_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked before the join (a script joining torchrun's group) or before the agreement (the
    command), it stopped that process alone: the others waited, or lost it mid-collective."""
    import torch.distributed as dist

    import linearnets.tasks.softmax as softmax_task
    from linearnets.errors import UsageError
    from linearnets.training.distributed import DistContext

    bad = "MPLBACKEND must name a matplotlib backend, got 'no_such_backend'"

    def check_backend(config: SoftmaxConfig) -> None:  # matplotlib's import fails on this machine
        raise UsageError(bad)

    monkeypatch.setattr(softmax_task, "check_backend", check_backend)
    sent: list[Any] = []

    def all_gather_object(gathered: list[Any], mine: Any) -> None:
        sent.append(mine)
        gathered[:] = [("ok", {}), mine]

    monkeypatch.setattr(dist, "all_gather_object", all_gather_object)
    config = SoftmaxConfig(data=_tiny_data(tmp_path / "d.npz"), out=tmp_path / "run")
    with pytest.raises(UsageError, match=f"^{bad}$"):
        run_softmax(config, dist=DistContext(rank=1, world_size=2))
    assert sent == [("error", bad)]
    with pytest.raises(UsageError, match=f"^{bad}$"):  # one process: refused as before
        run_softmax(config)
    assert not (tmp_path / "run").exists()


def test_processes_given_other_settings_are_refused_before_a_folder_is_claimed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started by hand with another --seed they trained a silently wrong model; with other
    --epochs rank 0 waited in a collective for gloo's 30 minutes."""
    import torch.distributed as dist

    from linearnets.errors import UsageError
    from linearnets.tasks.softmax import shared_settings
    from linearnets.training.distributed import DistContext
    from linearnets.training.rank_agreement import RunMode

    data = _tiny_data(tmp_path / "d.npz")
    out = tmp_path / "run"
    config = SoftmaxConfig(data=data, epochs=1, plot="none", out=out)
    # a new run's settings, as rank 1's run_softmax gives them
    rank_1 = {
        "mode": RunMode(resumes=False),
        **shared_settings(SoftmaxConfig(data=data, epochs=1, seed=1)),
    }

    def all_gather_object(gathered: list[object], mine: object) -> None:
        gathered[:] = [mine, ("ok", rank_1)]

    monkeypatch.setattr(dist, "all_gather_object", all_gather_object)
    with pytest.raises(
        UsageError,
        match=r"^rank 1 was started with seed=1, rank 0 with seed=0; start every process with the "
        r"same options$",
    ):
        run_softmax(config, dist=DistContext(rank=0, world_size=2))
    assert not out.exists()


def _run_numbers(run_dir: Path) -> tuple[dict[str, torch.Tensor], list[dict[str, object]]]:
    """Return a run folder's trained weights and its metrics rows without their timings."""
    weights = torch.load(run_dir / "model.pt", weights_only=True)["state_dict"]
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return weights, [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


@pytest.mark.parametrize("impl", ["scratch", "analytic", "concise"])
@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_the_callers_grad_mode_changes_no_number_of_the_run(
    tmp_path: Path, impl: str, mode: str
) -> None:
    """Inside a notebook's ``torch.no_grad()`` or ``torch.inference_mode()``, scratch and concise
    once failed after claiming the folder (a fresh run there was then refused) while analytic
    trained. The oracle is the same run outside them: the same weights and metrics, bit for bit."""
    import dataclasses

    data = _tiny_data(tmp_path / "d.npz")
    config = SoftmaxConfig(impl=impl, data=data, epochs=2, batch_size=8, plot="none")
    run_softmax(dataclasses.replace(config, out=tmp_path / "plain"))
    with getattr(torch, mode)():
        result = run_softmax(dataclasses.replace(config, out=tmp_path / "inside"))
        assert not torch.is_grad_enabled()
        assert torch.is_inference_mode_enabled() == (mode == "inference_mode")
    assert result.history.last.train_loss < result.history.epochs[0].train_loss  # it trained
    got, expected = _run_numbers(tmp_path / "inside"), _run_numbers(tmp_path / "plain")
    assert got[0].keys() == expected[0].keys()
    assert all(torch.equal(got[0][k], expected[0][k]) for k in got[0])
    assert got[1] == expected[1] and len(got[1]) == 2


def test_a_ctrl_c_before_training_began_keeps_nothing_as_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain Ctrl-C once config.json is written but before training's own stop takes over: the
    command says "nothing was trained or kept", so the folder must go (it was left holding
    config.json, and the same command again was refused)."""
    from linearnets.tasks import softmax as task

    def interrupted(*args: object, **kwargs: object) -> None:
        assert (out / "config.json").is_file()  # the premise: the run's config is written
        raise KeyboardInterrupt

    out = tmp_path / "run"
    monkeypatch.setattr(task, "train_experiment", interrupted)
    config = SoftmaxConfig(data=_tiny_data(tmp_path / "d.npz"), epochs=1, plot="none", out=out)
    with pytest.raises(KeyboardInterrupt) as info:
        run_softmax(config)
    assert type(info.value) is KeyboardInterrupt and not out.exists()


def test_a_ctrl_c_just_after_config_json_was_written_keeps_nothing_as_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain Ctrl-C landing once config.json is written, as training's stop is set up (entering
    complete_when_returned, outside every handler then): the command said "nothing was trained
    or kept: run the same command again", yet the folder kept config.json and the same command
    was refused ("--out ... already holds a run"). Seen with a real SIGINT sent as config.json
    appeared."""
    from linearnets.tasks import softmax as task

    real = task.complete_when_returned

    def interrupted() -> Any:
        if not (out / "config.json").is_file():  # run_softmax's own, around the whole run
            return real()
        raise KeyboardInterrupt  # the one around training, once the run's config is written

    out = tmp_path / "run"
    monkeypatch.setattr(task, "complete_when_returned", interrupted)
    config = SoftmaxConfig(data=_tiny_data(tmp_path / "d.npz"), epochs=1, plot="none", out=out)
    with pytest.raises(KeyboardInterrupt) as info:
        run_softmax(config)
    assert type(info.value) is KeyboardInterrupt and not out.exists()


def test_a_ctrl_c_while_the_callers_state_comes_back_is_a_complete_runs_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run returned, then a Ctrl-C landed on the way out (restoring the caller's grad mode):
    it said "before training began; nothing was trained or kept" of a complete run."""
    import contextlib

    from linearnets.tasks import softmax as task
    from linearnets.training.interrupt import TrainingInterrupted

    @contextlib.contextmanager
    def grad_enabled():  # type: ignore[no-untyped-def]
        yield
        raise KeyboardInterrupt  # on the way out, once the run returned

    out = tmp_path / "run"
    monkeypatch.setattr(task, "grad_enabled", grad_enabled)
    config = SoftmaxConfig(data=_tiny_data(tmp_path / "d.npz"), epochs=1, plot="none", out=out)
    with pytest.raises(TrainingInterrupted) as info:
        run_softmax(config)
    assert info.value.complete and info.value.run_dir == out
    assert str(info.value) == (
        f"interrupted by SIGINT after the run finished: its results are complete in {out}"
    )
    assert (out / "results.json").is_file()


_GLOO_RESET = (
    "[/__w/pytorch/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:537] Read error "
    "[127.0.0.1]:43184: Connection reset by peer. This is typically caused by a remote worker "
    "hanging or bugs in the application. GLHF!"
)


@pytest.mark.parametrize("where", ["folder-name", "ddp"])
@pytest.mark.parametrize("existed", [False, True], ids=["new-out", "empty-out"])
def test_a_process_lost_after_rank_0_claimed_the_folder_leaves_it_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, existed: bool
) -> None:
    """Rank 1 killed while rank 0 told it the folder's name: rank 0 said gloo's raw error
    ("unexpected RuntimeError: [...] GLHF!") and left the folder it had claimed, with its .lock;
    lost in DDP's constructor (concise), gloo's raw error too. Now the lost peer is named, and the
    folder is as the run found it, as for any stop before training."""
    import torch.distributed as dist

    from linearnets.training.distributed import DistContext, PeerLostError

    def lost(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(_GLOO_RESET)

    # every rank agrees (the same settings, each read its data) until the collective that fails
    monkeypatch.setattr(
        dist, "all_gather_object", lambda out, mine: out.__setitem__(slice(None), [mine, mine])
    )
    if where == "folder-name":
        monkeypatch.setattr(dist, "broadcast_object_list", lost)
    else:
        monkeypatch.setattr(
            dist, "broadcast_object_list", lambda objects, src: None
        )  # rank 0 sends
        monkeypatch.setattr(torch.nn.parallel, "DistributedDataParallel", lost)
    out = tmp_path / "run"
    if existed:
        out.mkdir()
    config = SoftmaxConfig(
        data=_tiny_data(tmp_path / "d.npz"), impl="concise", epochs=1, plot="none", out=out
    )
    with pytest.raises(PeerLostError) as info:
        run_softmax(config, dist=DistContext(rank=0, world_size=2))
    assert str(info.value) == (
        "another process of the data-parallel run stopped before training began (lost "
        "connection: Read error [127.0.0.1]:43184: Connection reset by peer), or this process is "
        "one too many for the run: started with a RANK another process has too, or at the "
        "MASTER_PORT of another job, which trains on without it; if a process stopped, nothing "
        "was trained: start every process again as before, each with its own RANK and a "
        "separate job with a port of its own"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == (
        ["d.npz", "run"] if existed else ["d.npz"]
    )
    if existed:
        assert list(out.iterdir()) == []  # no .lock, no config.json


def test_a_run_without_out_gets_a_folder_in_runs_named_by_its_impl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """runs/softmax-<impl>-<timestamp> in the working folder: the impl tells runs apart."""
    import re

    monkeypatch.chdir(tmp_path)
    data = _tiny_data(tmp_path / "d.npz")
    for impl in ("concise", "analytic"):
        config = SoftmaxConfig(data=data, impl=impl, epochs=1, plot="none")
        run_dir = run_softmax(config).run_dir
        assert run_dir is not None and run_dir.parent.resolve() == (tmp_path / "runs").resolve()
        assert re.fullmatch(rf"softmax-{impl}-\d{{8}}-\d{{6}}(-\d+)?", run_dir.name)


def test_a_device_this_single_process_lacks_is_refused_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only a process of a torchrun group (WORLD_SIZE above 1) defers the refusal to say it once
    joined; a single process has nobody to tell and nothing to join: it raises."""
    import torch

    from linearnets.errors import UsageError
    from linearnets.tasks.softmax import device_for_group

    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    for world_size in (None, "1"):
        if world_size is None:
            monkeypatch.delenv("WORLD_SIZE", raising=False)
        else:
            monkeypatch.setenv("WORLD_SIZE", world_size)
        with pytest.raises(UsageError, match=r"^device 'cuda' needs CUDA, but no CUDA GPU"):
            device_for_group("cuda")
    monkeypatch.setenv("WORLD_SIZE", "2")
    usable, refused = device_for_group("cuda")
    assert usable is None and isinstance(refused, UsageError)
    assert device_for_group("cpu") == (torch.device("cpu"), None)


class _RaisesInEpoch1:
    """A user's callback raising ``error`` at batch 2 of epoch 1 (its own check, its own file)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        if step == 1:
            raise self.error


def _own_errors() -> dict[str, BaseException]:
    """Errors of the kinds a run's own stops raise, raised by a user's callback instead."""
    import errno

    from linearnets.errors import DivergenceError, LinearnetsError, RunFileError

    return {
        "linearnets-error": LinearnetsError("mine"),
        "full-disk": OSError(errno.ENOSPC, "No space left on device"),
        "run-file-error": RunFileError("my file could not be written"),
        "divergence-error": DivergenceError("my check"),
    }


@pytest.mark.parametrize("kind", list(_own_errors()))
def test_a_callbacks_own_error_of_a_runs_kind_in_epoch_1_leaves_the_folder_as_found(
    tmp_path: Path, kind: str
) -> None:
    """A callback's LinearnetsError, full disk or RunFileError got the run folder as run_dir on
    its way out (stop_names_its_folder, name_run_on_lost_output), which _names_its_folder took for
    the run's own stop: the folder kept config.json (and .lock, the metrics files) and the same
    call was refused ("already holds a run"); a DivergenceError was told "start it over with a
    smaller lr: linearnets.resume_softmax(...)". fit marks a callback's own error; it goes on as it
    is, the folder left as found."""
    error = _own_errors()[kind]
    said = str(error)
    out = tmp_path / "run"
    config = SoftmaxConfig(
        data=_tiny_data(tmp_path / "d.npz"), epochs=1, plot="none", out=out, batch_size=8
    )
    with pytest.raises(type(error)) as info:
        run_softmax(config, callbacks=[_RaisesInEpoch1(error)])
    assert info.value is error and str(info.value) == said
    assert getattr(info.value, "run_dir", None) is None
    assert not out.exists()
    assert len(run_softmax(config).history.epochs) == 1  # the same call runs there


def test_a_divergence_guard_of_yours_stops_at_an_epochs_end_before_its_checkpoint(
    tmp_path: Path,
) -> None:
    """A guard of yours tripping at an epoch's end (its last update re-scored; one batch an epoch
    here) ran after the run's checkpoint, which had kept the blown-up epoch (weights ~460) that
    the stop then advised resuming at a smaller lr. The oracle: the run's own guard, which runs
    before the checkpoint: the same stop, and no checkpoint."""
    import numpy as np

    from linearnets.errors import DivergenceError
    from linearnets.training.guard import DivergenceGuard

    rng = np.random.default_rng(0)  # random labels: no model fits them, a huge lr blows up
    data = tmp_path / "d.npz"
    np.savez(data, X=rng.normal(size=(100, 5)).astype(np.float32), y=rng.integers(0, 4, 100))
    stops = {}
    for whose in ("own", "yours"):
        config = SoftmaxConfig(
            data=data, epochs=2, plot="none", out=tmp_path / whose, batch_size=100, lr=1e4,
            guard=whose == "own",
        )  # fmt: skip
        with pytest.raises(DivergenceError) as info:
            run_softmax(config, callbacks=[DivergenceGuard(1e4)] if whose == "yours" else [])
        stops[whose] = str(info.value).replace(str(tmp_path / whose), "RUN")
        assert not (tmp_path / whose / "checkpoint.pt").exists()
    assert stops["own"].startswith(
        "training diverged in epoch 1: the loss of its last examples after the epoch's last update"
    )
    assert stops["yours"] == stops["own"]


@pytest.mark.parametrize("subclass", [False, True], ids=["guard", "guard-subclass"])
def test_a_divergence_guard_passed_as_a_callback_stops_the_run_as_its_own(
    tmp_path: Path, subclass: bool
) -> None:
    """A DivergenceGuard of yours among the callbacks (a subclass of it too) is the run's guard in
    spirit: its stop in epoch 1 keeps the folder and advises the resume at a smaller lr, which
    runs there."""
    from linearnets.errors import DivergenceError
    from linearnets.tasks.resume import resume_softmax
    from linearnets.training.guard import DivergenceGuard

    kind = type("MyGuard", (DivergenceGuard,), {}) if subclass else DivergenceGuard
    out = tmp_path / "run"
    config = SoftmaxConfig(
        data=_tiny_data(tmp_path / "d.npz"),
        epochs=1,
        plot="none",
        out=out,
        batch_size=2,
        lr=1000.0,
        guard=False,
    )  # fmt: skip  (20 steps: the guard reads them every 16 on a CPU, within the epoch)
    with pytest.raises(DivergenceError) as info:
        run_softmax(config, callbacks=[kind(1000.0)])
    assert str(info.value).startswith("training diverged at batch ")
    assert (
        "no epoch had finished, so no checkpoint was written; start it over with a smaller lr: "
        f"linearnets.resume_softmax({str(out)!r}, lr=0.5)"
    ) in str(info.value)
    assert (out / "config.json").is_file() and not (out / "checkpoint.pt").exists()
    assert len(resume_softmax(out, lr=0.5).history.epochs) == 1


def test_a_folder_holding_a_run_of_other_settings_is_told_the_resume_that_applies_yours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A notebook cell rerun at lr=0.1 into the folder of a run that diverged at lr=1e6 was told
    resume_softmax('DV3'), which diverged again at lr 1e6: the settings that differ are named and
    given to the resume (force=True where a checkpoint is kept), on the command line as options."""
    from linearnets.errors import UsageError

    data, out = _tiny_data(tmp_path / "d.npz"), tmp_path / "DV3"

    def config(**settings: Any) -> SoftmaxConfig:
        return SoftmaxConfig(
            **{"epochs": 2, "out": out, "plot": "none", "data": data, "batch_size": 32, **settings}
        )

    run_softmax(config(lr=1e6, guard=False))
    for name in ("checkpoint.pt", "model.pt", "results.json"):  # as a run diverged in epoch 1
        (out / name).unlink()
    with pytest.raises(UsageError) as info:
        run_softmax(config(lr=0.1))
    assert str(info.value).endswith(
        "; it ran with lr=1000000.0 and guard=False, yours with lr=0.1 and guard=True: continue "
        f"it with linearnets.resume_softmax({str(out)!r}, lr=0.1, guard=True), or pass a new "
        "folder"
    )
    # a complete run, its checkpoint kept: lr changes its result, so the resume is forced; it
    # trains on to the 4 epochs asked for (it said epochs=7, five more, the 4 dropped)
    run_softmax(config(out=tmp_path / "done"))
    with pytest.raises(UsageError) as info:
        run_softmax(config(out=tmp_path / "done", lr=0.5, epochs=4))
    assert str(info.value).endswith(
        "; it ran with lr=0.1, yours with lr=0.5: it is complete after 2 epochs: train it "
        f"further with linearnets.resume_softmax({str(tmp_path / 'done')!r}, epochs=4, lr=0.5, "
        "force=True), or pass a new folder"
    )
    capsys.readouterr()
    argv = ["softmax", "--out", str(tmp_path / "done"), "--lr", "0.5", "--data", str(data)]
    assert main([*argv, "--epochs", "2", "--batch-size", "32", "--plot", "none"]) == 2
    assert "it ran with --lr 0.1, yours with --lr 0.5: it is complete after 2 epochs: " in (
        capsys.readouterr().err
    )


def test_a_run_stopped_part_way_asked_for_fewer_epochs_is_told_a_resume_that_runs(
    tmp_path: Path,
) -> None:
    """A run stopped after 2 of its 5 epochs, refused for a new run of epochs=1, was told
    resume_softmax('M', epochs=1), refused in turn (a resume's epochs must be past the
    checkpoint's 2): the resume continues to its own 5."""
    import numpy as np

    from linearnets.errors import UsageError
    from linearnets.tasks.resume import resume_softmax

    out = tmp_path / "M"
    base = {"out": out, "plot": "none", "data": _tiny_data(tmp_path / "d.npz"), "batch_size": 32}
    run_softmax(SoftmaxConfig(epochs=2, **base))
    for name in ("model.pt", "results.json"):  # as a run of 5 epochs stopped after its 2nd
        (out / name).unlink()
    saved = json.loads((out / "config.json").read_text(encoding="utf-8"))
    saved["config"]["epochs"] = 5
    (out / "config.json").write_text(json.dumps(saved), encoding="utf-8")
    with pytest.raises(UsageError) as info:
        run_softmax(SoftmaxConfig(epochs=1, **base))
    assert str(info.value).endswith(
        "its checkpoint has 2 epochs already, no fewer than yours asks for, so a resume trains "
        f"on to its own 5; continue it with linearnets.resume_softmax({str(out)!r}), or pass a "
        "new folder"
    )
    # a checkpoint at the run's own last epoch (its model.pt and results.json lost): it finishes
    saved["config"]["epochs"] = 2
    (out / "config.json").write_text(json.dumps(saved), encoding="utf-8")
    with pytest.raises(UsageError) as info:
        run_softmax(SoftmaxConfig(epochs=1, **base))
    assert "no fewer than yours asks for, so a resume finishes it; continue" in str(info.value)
    # the weights not fitting rules the resume out: what one would train is not said
    wide = tmp_path / "e.npz"
    np.savez(wide, X=np.ones((40, 5), np.float32), y=np.arange(40) % 2)
    with pytest.raises(UsageError) as info:
        run_softmax(SoftmaxConfig(epochs=1, **{**base, "data": wide}))
    assert "already, no fewer" not in str(info.value) and "do not fit" in str(info.value)
    saved["config"]["epochs"] = 5
    (out / "config.json").write_text(json.dumps(saved), encoding="utf-8")
    assert resume_softmax(out).history.epochs[-1].epoch == 5  # the advice runs: epochs 3 to 5


def test_a_run_refused_for_a_missing_or_changed_file_is_not_told_its_weights_do_not_fit(
    tmp_path: Path,
) -> None:
    """--data missing.npz (a typo) or a folder was told "its checkpoint's weights do not fit the
    model of yours ... pass a new folder"; a file changed in place, asked with another lr, was told
    the lr could not carry over. The resume the advice gives names the file's fault itself."""
    import shutil

    import numpy as np

    from linearnets.errors import UsageError
    from linearnets.tasks.resume import resume_softmax

    out, data = tmp_path / "A", tmp_path / "x.npz"
    shutil.copy(_tiny_data(tmp_path / "d.npz"), data)
    base = {"out": out, "plot": "none", "epochs": 1, "batch_size": 32}
    run_softmax(SoftmaxConfig(data=data, **base))
    (tmp_path / "folder.npz").mkdir()
    for wrong in (tmp_path / "missing.npz", tmp_path / "folder.npz"):
        with pytest.raises(UsageError) as info:
            run_softmax(SoftmaxConfig(data=wrong, **base))
        assert "do not fit" not in str(info.value)
        assert f"data={str(wrong)!r}, force=True)" in str(info.value)
        gone = "is a directory, not a file" if wrong.is_dir() else "does not exist or is not a file"
        with pytest.raises(UsageError, match=gone):
            resume_softmax(out, epochs=6, data=wrong, force=True)
    rng = np.random.default_rng(0)
    np.savez(data, X=rng.normal(size=(40, 5)).astype(np.float32), y=rng.integers(0, 2, size=40))
    with pytest.raises(UsageError) as info:
        run_softmax(SoftmaxConfig(data=data, lr=0.3, **base))
    assert "do not fit" not in str(info.value)
    assert str(info.value).endswith(
        f"train it further with linearnets.resume_softmax({str(out)!r}, epochs=6, lr=0.3, "
        "force=True), or pass a new folder"
    )
    with pytest.raises(UsageError, match=r"changed since the run in .* started"):
        resume_softmax(out, epochs=6, lr=0.3, force=True)


def test_a_symlink_to_the_runs_data_file_is_no_difference(tmp_path: Path) -> None:
    """--data link.npz, a symlink to the d.npz the run read, was told as a change of --data, with
    --force advised."""
    from linearnets.errors import UsageError

    out, data = tmp_path / "M2", _tiny_data(tmp_path / "d.npz")
    base = {"out": out, "plot": "none", "epochs": 1, "batch_size": 32}
    run_softmax(SoftmaxConfig(data=data, **base))
    (tmp_path / "link.npz").symlink_to(data)
    with pytest.raises(UsageError) as info:
        run_softmax(SoftmaxConfig(data=tmp_path / "link.npz", **{**base, "epochs": 2}))
    assert str(info.value).endswith(
        f"train it further with linearnets.resume_softmax({str(out)!r}, epochs=2), or pass a "
        "new folder"
    )


def test_a_run_refused_for_data_its_weights_do_not_fit_is_told_a_new_folder(
    tmp_path: Path,
) -> None:
    """A run on 3 features asked for a file of 5 was told resume_softmax(..., data=...,
    force=True), refused in turn ("cannot carry over, not even with force=True"): a new folder."""
    import numpy as np

    from linearnets.errors import UsageError

    out, wide = tmp_path / "A", tmp_path / "e.npz"
    rng = np.random.default_rng(0)
    np.savez(wide, X=rng.normal(size=(40, 5)).astype(np.float32), y=rng.integers(0, 2, size=40))
    base = {"out": out, "plot": "none", "epochs": 1, "batch_size": 32}
    run_softmax(SoftmaxConfig(data=_tiny_data(tmp_path / "d.npz"), **base))
    with pytest.raises(UsageError) as info:
        run_softmax(SoftmaxConfig(data=wide, **base))
    assert str(info.value).endswith(
        f"yours with data={str(wide)!r}: its checkpoint's weights do not fit the model of yours, "
        "so those settings cannot carry over, not even with force=True; pass a new folder"
    )
