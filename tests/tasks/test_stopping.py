"""What a run that stops early says: its folder, its last checkpoint and the resume that continues it.

Unit tests of :mod:`linearnets.tasks.stopping` with stand-ins for the run; real signals and diverged
runs are in ``test_resume.py`` and ``test_divergence.py``.
"""

from __future__ import annotations

import ast
import errno
import shlex
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from linearnets.cli._report import one_line
from linearnets.config import SoftmaxConfig
from linearnets.errors import DivergenceError
from linearnets.tasks.stopping import (
    complete_when_returned,
    diverged,
    name_resume,
    peer_lost,
    resume_hint_after_training,
)
from linearnets.training.interrupt import TrainingInterrupted
from linearnets.training.loop import History


def _exp(*, enabled: bool = False, is_main: bool = True) -> Any:
    return SimpleNamespace(
        config=SoftmaxConfig(epochs=2, lr=0.5),
        dist=SimpleNamespace(enabled=enabled, is_main=is_main, world_size=2 if enabled else 1),
        feature_scale=None,  # Fashion-MNIST's
    )


def _checkpoint(last_epoch: int | None) -> Any:
    return SimpleNamespace(last_epoch=last_epoch)


@pytest.mark.parametrize(
    ("last_epoch", "start_epoch", "where"),
    [
        (
            2,
            0,
            "the checkpoint of epoch 2 is kept in run (continue it with a smaller lr: "
            "linearnets.resume_softmax('run', lr=0.05, force=True))",
        ),
        (None, 1, "the checkpoint of epoch 1 is kept in run"),
        (
            None,
            0,
            "no epoch had finished, so no checkpoint was written; start it over with a smaller "
            "lr: linearnets.resume_softmax('run', lr=0.05)",
        ),
    ],
)
def test_a_divergence_names_the_checkpoint_kept(
    last_epoch: int | None, start_epoch: int, where: str
) -> None:
    error = diverged(
        DivergenceError("loss is nan"),
        _exp(),
        Path("run"),
        _checkpoint(last_epoch),
        start_epoch,
        epoch=(last_epoch or start_epoch) + 1,
    )
    assert isinstance(error, DivergenceError)
    assert str(error).startswith(f"loss is nan; {where}")


def test_a_checkpoint_that_gives_the_blown_up_loss_is_not_offered_for_a_resume() -> None:
    """The guard marks a resume's first-step blow-up not resumable: its advice is to start over,
    and the run's message must not add "continue it with a smaller lr"."""
    blown = DivergenceError("the weights it resumed from give it; start the run over")
    blown.resumable = False
    error = diverged(blown, _exp(), Path("run"), _checkpoint(None), 1, epoch=2)
    assert str(error) == (
        "the weights it resumed from give it; start the run over; the checkpoint of epoch 1 is "
        "kept in run"
    )
    assert error.resumable is False


def test_a_divergence_before_any_checkpoint_offers_the_start_over_unless_the_data_are_the_cause() -> (
    None
):
    """A fresh run's folder holds its config.json: the same command again is refused, so the stop
    names the resume that starts it over; a loss broken before any update (the data) gets none."""
    scale = DivergenceError("the loss is inf at batch 1 of epoch 1, before any update")
    scale.resumable = False
    error = diverged(scale, _exp(), Path("my run"), _checkpoint(None), 0, epoch=1)
    assert str(error).endswith("; no epoch had finished, so no checkpoint was written")
    error = diverged(
        DivergenceError("lr 0.5"), _exp(), Path("my run"), _checkpoint(None), 0, epoch=1
    )
    call = str(error).split("start it over with a smaller lr: ", 1)[1]
    assert call == "linearnets.resume_softmax('my run', lr=0.05)"
    assert ast.literal_eval(call.split("(", 1)[1].split(",")[0]) == "my run"  # the oracle: Python
    assert one_line(error).endswith(
        "start it over with a smaller lr: linearnets softmax --resume 'my run' --lr 0.05"
    )


@pytest.mark.parametrize(
    ("enabled", "torchrun", "launcher"),
    [(False, False, ""), (False, True, ""), (True, True, "torchrun"), (True, False, "")],
)
def test_an_interrupt_during_training_names_its_run(
    monkeypatch: pytest.MonkeyPatch, enabled: bool, torchrun: bool, launcher: str
) -> None:
    _launched(monkeypatch, torchrun=torchrun)
    exc = TrainingInterrupted(signal_name="SIGINT", epoch=1, step=3)
    name_resume(exc, _exp(enabled=enabled), Path("run"), _checkpoint(None), 0)
    assert (exc.run_dir, exc.command, exc.launcher) == (Path("run"), "linearnets softmax", launcher)
    assert exc.checkpoint_epoch is None  # nothing saved yet: no checkpoint to name


# processes started by torchrun or by hand, and the ending of their resume for each
_BY_TORCHRUN_OR_HAND = pytest.mark.parametrize(
    ("torchrun", "again"),
    [(True, ", launched by torchrun as before"), (False, " in 2 processes, started as before")],
    ids=["torchrun", "by hand"],
)


def _launched(monkeypatch: pytest.MonkeyPatch, *, torchrun: bool) -> None:
    """Set the environment torchrun gives its workers (TORCHELASTIC_RUN_ID), or that of a process
    started by hand (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT and LOCAL_RANK alone)."""
    for name, value in {"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "29500")
    if torchrun:
        monkeypatch.setenv("TORCHELASTIC_RUN_ID", "job-1")
    else:
        monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)


@_BY_TORCHRUN_OR_HAND
def test_a_data_parallel_runs_stop_says_how_its_processes_are_started_again(
    monkeypatch: pytest.MonkeyPatch, torchrun: bool, again: str
) -> None:
    """Processes started by hand (each given RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, no
    torchrun) stopped by Ctrl-C, during training or after its last epoch, said to resume "launched
    by torchrun as before"; a lost process's stop said "in 2 processes, started as before". All
    three now say what the lost process's did: torchrun's words under torchrun alone."""
    _launched(monkeypatch, torchrun=torchrun)
    exp, run = _exp(enabled=True), Path("my run")
    during = TrainingInterrupted(signal_name="SIGINT", epoch=2, step=3)
    name_resume(during, exp, run, _checkpoint(1), 0)
    history: Any = SimpleNamespace(epochs=[object(), object()])  # both epochs done
    with (
        pytest.raises(TrainingInterrupted) as info,
        resume_hint_after_training(exp, run, history, _checkpoint(2), 0),
    ):
        raise KeyboardInterrupt("SIGINT")
    lost = peer_lost("reset", exp, run, _checkpoint(2), 0)
    for stop in (during, info.value, lost):
        resume = str(stop).rsplit("; resume with: ", 1)[1]
        assert resume == f"linearnets.resume_softmax('my run'){again}"
    # the command's line: the same ending, after the folder quoted for the shell
    for stop in (during, info.value):
        stop.from_cli = True
        assert str(stop).endswith(f"; resume with: linearnets softmax --resume 'my run'{again}")
    assert one_line(lost).endswith(f"; resume with: linearnets softmax --resume 'my run'{again}")


@_BY_TORCHRUN_OR_HAND
def test_a_data_parallel_runs_divergence_says_how_its_processes_are_started_again(
    monkeypatch: pytest.MonkeyPatch, torchrun: bool, again: str
) -> None:
    """A diverged data-parallel run advised a bare linearnets.resume_softmax('my run', lr=0.05,
    force=True) (--resume 'my run' --lr 0.05 --force): one process, where its stop by Ctrl-C or a
    lost process says how to start them all again. Each resume it gives now says it too."""
    _launched(monkeypatch, torchrun=torchrun)
    exp, run = _exp(enabled=True), Path("my run")
    grew = DivergenceError("loss 1e+04 grew past 100× its start")
    grew.grew = True
    kept = diverged(grew, exp, run, _checkpoint(1), 0, epoch=2)
    assert str(kept) == (
        "loss 1e+04 grew past 100× its start; the checkpoint of epoch 1 is kept in my run "
        "(continue it with a smaller lr: linearnets.resume_softmax('my run', lr=0.05, "
        f"force=True){again}); a loss that grew may still settle, far above a smaller lr's: "
        f"linearnets.resume_softmax('my run', guard=False){again}, trains on regardless"
    )
    assert kept.grew and kept.resumable
    # the command's line: the ending after the options, the folder quoted for the shell
    assert one_line(kept) == (
        "loss 1e+04 grew past 100× its start; the checkpoint of epoch 1 is kept in my run "
        "(continue it with a smaller lr: linearnets softmax --resume 'my run' --lr 0.05 "
        f"--force{again}); a loss that grew may still settle, far above a smaller lr's: "
        f"linearnets softmax --resume 'my run' --no-guard{again}, trains on regardless"
    )
    fresh = diverged(DivergenceError("loss is nan"), exp, run, _checkpoint(None), 0, epoch=1)
    start_over = "start it over with a smaller lr: "
    assert str(fresh).endswith(f"{start_over}linearnets.resume_softmax('my run', lr=0.05){again}")
    assert one_line(fresh).endswith(
        f"{start_over}linearnets softmax --resume 'my run' --lr 0.05{again}"
    )
    # no resume advised, no launch to tell
    blown = DivergenceError("the weights it resumed from give it")
    blown.resumable = False
    assert str(diverged(blown, exp, run, _checkpoint(None), 1, epoch=2)).endswith(
        "; the checkpoint of epoch 1 is kept in my run"
    )


def test_a_single_process_divergence_that_grew_names_its_resumes_alone() -> None:
    """The launch's ending is a data-parallel run's alone: one process's message is as it was."""
    grew = DivergenceError("loss grew")
    grew.grew = True
    error = diverged(grew, _exp(), Path("run"), _checkpoint(2), 0, epoch=3)
    assert str(error) == (
        "loss grew; the checkpoint of epoch 2 is kept in run (continue it with a smaller lr: "
        "linearnets.resume_softmax('run', lr=0.05, force=True)); a loss that grew may still "
        "settle, far above a smaller lr's: linearnets.resume_softmax('run', guard=False) trains "
        "on regardless"
    )


def test_a_signal_after_the_last_epoch_becomes_an_interrupt_with_the_hint() -> None:
    history: Any = SimpleNamespace(epochs=[object(), object()])  # both epochs done
    with (
        pytest.raises(TrainingInterrupted) as info,
        resume_hint_after_training(_exp(), Path("run"), history, _checkpoint(2), 0),
    ):
        raise KeyboardInterrupt("SIGTERM")
    assert (info.value.run_dir, info.value.checkpoint_epoch) == (Path("run"), 2)
    assert (info.value.signal_name, info.value.epoch) == ("SIGTERM", 2)


@pytest.mark.parametrize("start_epoch", [0, 1], ids=["fresh", "resumed"])
def test_a_signal_after_the_last_epoch_names_rank_0s_checkpoint_on_every_rank(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, start_epoch: int
) -> None:
    """A Ctrl-C after the last epoch (while the reports are written) stopped rank 1 of a fresh run
    with "the checkpoint of epoch 0 is kept", of a run resumed from epoch 1 "epoch 1", where rank 0
    named its checkpoint of the last epoch, 2: rank 1 writes none, and named its own."""
    _launched(monkeypatch, torchrun=False)
    history: Any = SimpleNamespace(epochs=[object(), object()])  # both epochs done
    said = []
    for is_main in (True, False):
        written = 2 if is_main else None  # rank 0 saved epoch 2; the other ranks write none
        with (
            pytest.raises(TrainingInterrupted) as info,
            resume_hint_after_training(
                _exp(enabled=True, is_main=is_main),
                tmp_path,
                history,
                _checkpoint(written),
                start_epoch,
            ),
        ):
            raise KeyboardInterrupt("SIGINT")
        assert info.value.checkpoint_epoch == 2
        said.append(str(info.value))
    assert said[1] == said[0]
    assert f"; the checkpoint of epoch 2 is kept in {tmp_path}; resume with: " in said[1]


def test_a_signal_during_training_is_left_alone() -> None:
    with (
        pytest.raises(KeyboardInterrupt) as info,
        resume_hint_after_training(_exp(), Path("run"), History(), _checkpoint(None), 0),
    ):
        raise KeyboardInterrupt("SIGINT")
    assert not isinstance(info.value, TrainingInterrupted)


@pytest.mark.parametrize(
    ("epoch", "step", "start_epoch", "kept"),
    [(3, 5, 0, 2), (2, 0, 0, 2), (1, 4, 0, None), (2, 1, 1, 1), (1, 0, 0, 1)],
)
def test_a_rank_that_writes_no_checkpoint_names_the_one_rank_0_kept(
    epoch: int, step: int, start_epoch: int, kept: int | None
) -> None:
    """Rank 0 writes a checkpoint after each epoch and every rank stops after the same step, so
    another rank knows it without its own: the last epoch finished (the one running had ``step``
    steps done; 0 means it had finished)."""
    exc = TrainingInterrupted(signal_name="SIGINT", epoch=epoch, step=step)
    exp = _exp(enabled=True, is_main=False)
    name_resume(exc, exp, Path("run"), _checkpoint(None), start_epoch)
    assert exc.checkpoint_epoch == kept


@pytest.mark.parametrize(
    ("epoch", "start_epoch", "kept"),
    [(2, 0, 1), (3, 0, 2), (3, 1, 2), (2, 1, 1), (1, 0, None)],
)
@pytest.mark.parametrize("grew", [False, True], ids=["not finite", "grew"])
def test_a_divergence_on_a_rank_that_writes_no_checkpoint_names_the_one_rank_0_kept(
    monkeypatch: pytest.MonkeyPatch, epoch: int, start_epoch: int, kept: int | None, grew: bool
) -> None:
    """Rank 1 of a run that diverged in epoch 2 or 3 said "no epoch had finished, so no checkpoint
    was written; start it over with a smaller lr", where rank 0 named the checkpoint of epoch 1 or 2
    and how to continue it: every rank now gives rank 0's advice. ``epoch`` diverged, so the
    checkpoints rank 0 wrote are those of the epochs after ``start_epoch`` before it."""
    _launched(monkeypatch, torchrun=False)
    run = Path("my run")
    said = []
    for is_main in (True, False):
        exc = DivergenceError("loss is nan")
        exc.grew = grew
        written = epoch - 1 if epoch - 1 > start_epoch else None  # rank 0's own: the oracle
        checkpoint = _checkpoint(written if is_main else None)  # the other ranks write none
        exp = _exp(enabled=True, is_main=is_main)
        said.append(str(diverged(exc, exp, run, checkpoint, start_epoch, epoch=epoch)))
    assert said[1] == said[0]
    if kept is None:
        assert "start it over with a smaller lr: " in said[1]
    else:
        assert f"; the checkpoint of epoch {kept} is kept in my run (continue it " in said[1]
        assert "start it over" not in said[1]


@pytest.mark.parametrize("run_dir", ["two  sp", "it's", "runs/ü x"])
def test_the_resume_a_divergence_advises_can_be_pasted_into_a_shell(run_dir: str) -> None:
    """It read "--resume two sp --lr 0.05 --force": two arguments where the folder is one; and
    the options alone, no command to paste: it is the whole command now."""
    error = diverged(
        DivergenceError("loss is nan"), _exp(), Path(run_dir), _checkpoint(2), 0, epoch=3
    )
    line = one_line(error)  # the command line's words
    command = line.split("(continue it with a smaller lr: ", 1)[1].removesuffix(")")
    # the oracle: the shell's own word splitting (POSIX rules, as shlex implements them)
    assert shlex.split(command) == [
        "linearnets", "softmax", "--resume", run_dir, "--lr", "0.05", "--force"
    ]  # fmt: skip


@pytest.mark.parametrize("run_dir", ["run", "two  sp", "it's", 'say "hi"', "runs/ü x"])
def test_the_resume_a_divergence_advises_in_python_is_the_call_to_make(run_dir: str) -> None:
    """From Python (a notebook) the advice was "--resume run --lr 0.05 --force", which Python
    has not: it is the call linearnets.resume_softmax(run_dir, lr=..., force=True)."""
    error = diverged(
        DivergenceError("loss is nan"), _exp(), Path(run_dir), _checkpoint(2), 0, epoch=3
    )
    call = str(error).split("(continue it with a smaller lr: ", 1)[1].removesuffix(")")
    # the oracle: Python's own parser, and resume_softmax's signature (a folder, then keywords)
    parsed = ast.parse(call, mode="eval").body
    assert isinstance(parsed, ast.Call) and ast.unparse(parsed.func) == "linearnets.resume_softmax"
    assert [ast.literal_eval(arg) for arg in parsed.args] == [run_dir]
    assert {kw.arg: ast.literal_eval(kw.value) for kw in parsed.keywords} == {
        "lr": 0.05,  # a tenth of the run's 0.5
        "force": True,
    }
    assert "--" not in str(error)


def test_a_signal_once_results_json_is_written_says_the_run_is_complete(tmp_path: Path) -> None:
    """results.json comes last: a stop after it advised a resume that is refused (nothing is left)."""
    history: Any = SimpleNamespace(epochs=[object(), object()])
    with (
        pytest.raises(TrainingInterrupted) as info,
        resume_hint_after_training(_exp(), tmp_path, history, _checkpoint(2), 0),
    ):
        (tmp_path / "results.json").write_text("{}")
        raise KeyboardInterrupt("SIGTERM")
    assert info.value.complete and info.value.signal_name == "SIGTERM"
    assert str(info.value) == (
        f"interrupted by SIGTERM after the run finished: its results are complete in {tmp_path}"
    )
    assert "resume" not in one_line(info.value)


def test_a_results_json_of_before_the_block_is_no_completion(tmp_path: Path) -> None:
    """A resume drawing the figures a finished run lacks: its results.json was there already."""
    (tmp_path / "results.json").write_text("{}")
    history: Any = SimpleNamespace(epochs=[object(), object()])
    with (
        pytest.raises(TrainingInterrupted) as info,
        resume_hint_after_training(_exp(), tmp_path, history, _checkpoint(2), 0),
    ):
        raise KeyboardInterrupt
    assert not info.value.complete and "resume with" in str(info.value)


def test_a_results_json_rewritten_in_place_is_a_completion(tmp_path: Path) -> None:
    """The same inode (a file system reusing it, or a write in place) with a new modification time
    is a results.json written by the block: the stop says the run is complete."""
    import os

    path = tmp_path / "results.json"
    path.write_text("{}")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    inode = path.stat().st_ino
    history: Any = SimpleNamespace(epochs=[object(), object()])
    with (
        pytest.raises(TrainingInterrupted) as info,
        resume_hint_after_training(_exp(), tmp_path, history, _checkpoint(2), 0),
    ):
        with path.open("w") as file:  # truncated and written again: its inode kept
            file.write('{"epochs": 2}')
        os.utime(path, ns=(2_000_000_000, 2_000_000_000))
        raise KeyboardInterrupt
    assert path.stat().st_ino == inode
    assert info.value.complete and "resume" not in one_line(info.value)


def test_a_signal_after_the_run_returned_says_it_is_complete(tmp_path: Path) -> None:
    result = SimpleNamespace(run_dir=tmp_path, config=SoftmaxConfig(epochs=3))
    with pytest.raises(TrainingInterrupted) as info, complete_when_returned() as done:
        done.append(result)
        raise KeyboardInterrupt  # while the folder's lock is released, say
    assert info.value.complete and info.value.run_dir == tmp_path and info.value.epoch == 3
    with pytest.raises(KeyboardInterrupt) as plain, complete_when_returned():
        raise KeyboardInterrupt  # before the run returned: as it was
    assert type(plain.value) is KeyboardInterrupt
    # a run kept in no folder (run_linreg without out) is no run to call complete: as it was
    unkept = SimpleNamespace(run_dir=None, config=SoftmaxConfig(epochs=3))
    with pytest.raises(KeyboardInterrupt) as plain, complete_when_returned() as done:
        done.append(unkept)
        raise KeyboardInterrupt
    assert type(plain.value) is KeyboardInterrupt


@pytest.mark.parametrize(
    ("is_main", "last_epoch", "start_epoch", "complete", "where"),
    [
        (True, None, 2, False, "the checkpoint of epoch 2 is kept in run; resume with: {}"),
        (True, 3, 2, False, "the checkpoint of epoch 3 is kept in run; resume with: {}"),
        (
            True,
            None,
            0,
            False,
            "no epoch had finished, so no checkpoint was written; start it over with: {}",
        ),
        # only rank 0 knows the run wrote its results: another rank advises the resume
        (False, None, 2, True, "rank 0 keeps the checkpoints in run; resume with: {}"),
    ],
)
def test_a_lost_peer_names_the_checkpoint_a_resume_began_from(
    monkeypatch: pytest.MonkeyPatch,
    is_main: bool,
    last_epoch: int | None,
    start_epoch: int,
    complete: bool,
    where: str,
) -> None:
    """A resume from epoch 2 that lost a peer before it finished an epoch still keeps the
    checkpoint of epoch 2 (it said none was written)."""
    _launched(monkeypatch, torchrun=False)
    exp = _exp(enabled=True, is_main=is_main)
    lost = peer_lost(
        "reset", exp, Path("run"), _checkpoint(last_epoch), start_epoch, complete=complete
    )
    resume = "linearnets.resume_softmax('run') in 2 processes, started as before"
    assert str(lost) == (
        "another process of the data-parallel run stopped (lost connection: reset); "
        + where.format(resume)
    )


@pytest.mark.parametrize(
    ("error", "last_epoch", "start_epoch", "kept"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), None, 2, 2),
        (OSError(errno.ENOSPC, "No space left on device"), 3, 2, 3),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), 3, 2, 3),  # free space the fix too
        (BrokenPipeError(errno.EPIPE, "Broken pipe"), None, 0, None),
    ],
)
def test_a_full_disk_or_a_closed_pipe_names_the_run_and_its_checkpoint(
    error: OSError, last_epoch: int | None, start_epoch: int, kept: int | None
) -> None:
    """The checkpoint a resume began from counts as kept until the resume writes its own."""
    from linearnets.tasks.run_failures import name_run_on_os_error

    name_run_on_os_error(error, _exp(), Path("run"), _checkpoint(last_epoch), start_epoch)
    assert (error.run_dir, error.checkpoint_epoch) == (Path("run"), kept)  # type: ignore[attr-defined]
    other = OSError(errno.EACCES, "Permission denied")
    name_run_on_os_error(other, _exp(), Path("run"), _checkpoint(last_epoch), start_epoch)
    assert not hasattr(other, "run_dir")  # not the run's to name
