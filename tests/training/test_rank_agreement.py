"""Tests for linearnets.training.rank_agreement: one rank's outcome shared, the same settings."""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch.distributed as dist

from linearnets.data.verify import OtherContentError
from linearnets.errors import DatasetError, LinearnetsError, UsageError
from linearnets.training.distributed import DistContext, PeerLostError
from linearnets.training.rank_agreement import check_same_settings, on_every_rank, on_rank_0


def test_on_rank_0_in_one_process_just_runs_the_work() -> None:
    assert on_rank_0(DistContext(), lambda: "runs/3") == "runs/3"
    with pytest.raises(UsageError, match=r"^taken$"):
        on_rank_0(DistContext(), _raise_taken)


def _raise_taken() -> str:
    raise UsageError("taken")


def _broadcast_from_rank_0(sent: list[Any] | None, seen: list[list[Any]]) -> Any:
    """broadcast_object_list(src=0): rank 0 sends its list (recorded in ``seen``); another rank
    receives ``sent``."""

    def broadcast(objects: list[Any], src: int) -> None:
        assert src == 0
        if sent is None:
            seen.append(list(objects))
        else:
            objects[:] = sent

    return broadcast


@pytest.mark.parametrize(
    ("work", "shared"), [(lambda: "runs/3", ("ok", "runs/3")), (_raise_taken, ("error", "taken"))]
)
def test_on_rank_0_runs_the_work_on_rank_0_and_shares_its_outcome(
    monkeypatch: pytest.MonkeyPatch, work: Any, shared: tuple[str, str]
) -> None:
    """The outcome, an error included, is broadcast before rank 0 raises: the others never hang."""
    seen: list[list[Any]] = []
    monkeypatch.setattr(dist, "broadcast_object_list", _broadcast_from_rank_0(None, seen))
    if shared[0] == "error":
        with pytest.raises(UsageError, match=r"^taken$"):
            on_rank_0(DistContext(rank=0, world_size=2), work)
    else:
        assert on_rank_0(DistContext(rank=0, world_size=2), work) == "runs/3"
    assert seen == [[shared]]


@pytest.mark.parametrize("outcome", [("ok", "runs/3"), ("error", "runs/3 is taken")])
def test_other_ranks_take_rank_0s_outcome_without_running_the_work(
    monkeypatch: pytest.MonkeyPatch, outcome: tuple[str, str]
) -> None:
    monkeypatch.setattr(dist, "broadcast_object_list", _broadcast_from_rank_0([outcome], []))
    ran: list[int] = []

    def work() -> str:
        ran.append(1)
        return "runs/4"

    context = DistContext(rank=1, world_size=2)
    if outcome[0] == "error":
        with pytest.raises(UsageError, match=r"^runs/3 is taken$"):
            on_rank_0(context, work)
    else:
        assert on_rank_0(context, work) == "runs/3"
    assert ran == []


def _gathered(*others: Any) -> Any:
    """all_gather_object on rank 0: its own object first, then what the other ranks send."""

    def all_gather_object(out: list[Any], mine: Any) -> None:
        assert len(out) == 1 + len(others)
        out[:] = [mine, *others]

    return all_gather_object


_SETTINGS = {"impl": "scratch", "epochs": 2, "seed": 0}


@pytest.mark.parametrize(
    ("theirs", "message"),
    [
        (
            {**_SETTINGS, "seed": 1},
            "rank 1 was started with seed=1, rank 0 with seed=0; start every process with the same "
            "options",
        ),
        (
            {**_SETTINGS, "impl": "concise", "epochs": 3},  # the first in rank 0's order
            "rank 1 was started with impl='concise', rank 0 with impl='scratch';",
        ),
        (
            {"impl": "scratch", "seed": 0},
            "rank 1 was started without epochs, rank 0 with epochs=2;",
        ),
        (
            {**_SETTINGS, "force": True},
            "rank 1 was started with force=True, rank 0 without force;",
        ),
    ],
    ids=["seed", "first-differing", "missing-here", "missing-on-rank-0"],
)
def test_settings_that_differ_between_processes_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, theirs: dict[str, Any], message: str
) -> None:
    """Every rank gathers every rank's settings, so each raises the same error after one collective."""
    monkeypatch.setattr(dist, "all_gather_object", _gathered(("ok", theirs)))
    with pytest.raises(UsageError, match=f"^{re.escape(message)}"):
        check_same_settings(DistContext(world_size=2), lambda: dict(_SETTINGS))


def test_the_same_settings_everywhere_pass_and_one_process_compares_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dist, "all_gather_object", _gathered(("ok", dict(_SETTINGS))))
    check_same_settings(DistContext(rank=0, world_size=2), lambda: dict(_SETTINGS))

    def never() -> dict[str, Any]:
        raise AssertionError("a single process has nothing to compare")

    check_same_settings(DistContext(), never)


def test_a_rank_whose_settings_fail_still_gathers_so_every_rank_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Raised before the collective, the error would leave the other ranks waiting in it."""
    sent: list[Any] = []

    def all_gather_object(out: list[Any], mine: Any) -> None:
        sent.append(mine)
        out[:] = [("ok", dict(_SETTINGS)), mine]

    monkeypatch.setattr(dist, "all_gather_object", all_gather_object)

    def bad() -> dict[str, Any]:
        raise UsageError("epochs must be a positive integer, got 0")

    with pytest.raises(UsageError, match=r"^epochs must be a positive integer, got 0$"):
        check_same_settings(DistContext(rank=1, world_size=2), bad)
    assert sent == [("error", "epochs must be a positive integer, got 0")]
    # rank 0 names the rank that stopped
    monkeypatch.setattr(dist, "all_gather_object", _gathered(*sent))
    with pytest.raises(UsageError, match=r"^rank 1 stopped: epochs must be a positive integer"):
        check_same_settings(DistContext(world_size=2), lambda: dict(_SETTINGS))


def test_on_every_rank_in_one_process_just_runs_the_work() -> None:
    assert on_every_rank(DistContext(), lambda: 3) == 3
    with pytest.raises(UsageError, match=r"^taken$"):
        on_every_rank(DistContext(), _raise_taken)


def _unreadable() -> int:
    raise DatasetError("d.npz cannot be read here; copy it again")


def test_on_every_rank_a_rank_whose_work_fails_still_gathers_and_raises_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Raised before the collective, the error left the other ranks waiting for it in training."""
    sent: list[Any] = []

    def all_gather_object(out: list[Any], mine: Any) -> None:
        sent.append(mine)
        out[:] = [None, mine]

    monkeypatch.setattr(dist, "all_gather_object", all_gather_object)
    with pytest.raises(DatasetError, match=r"^d\.npz cannot be read here; copy it again$"):
        on_every_rank(DistContext(rank=1, world_size=2), _unreadable)
    assert sent == [(DatasetError, "d.npz cannot be read here; copy it again")]


@pytest.mark.parametrize(
    ("failed", "kind"),
    [
        ((DatasetError, "d.npz cannot be read here"), DatasetError),
        ((UsageError, "d.npz cannot be read here"), UsageError),  # exit status 2, as on rank 1
        ((OtherContentError, "d.npz cannot be read here"), DatasetError),  # needs a path too
    ],
    ids=["dataset", "usage", "needs-more"],
)
def test_on_every_rank_the_others_raise_the_same_kind_naming_the_rank(
    monkeypatch: pytest.MonkeyPatch, failed: tuple[type[LinearnetsError], str], kind: type
) -> None:
    monkeypatch.setattr(dist, "all_gather_object", _gathered(None, failed))
    with pytest.raises(
        LinearnetsError, match=r"^rank 2 stopped: d\.npz cannot be read here$"
    ) as info:
        on_every_rank(DistContext(world_size=3), lambda: 3)
    assert type(info.value) is kind


def test_on_every_rank_returns_each_ranks_own_result_when_all_succeed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dist, "all_gather_object", _gathered(None))
    assert on_every_rank(DistContext(world_size=2), lambda: 3) == 3


def test_on_every_rank_a_process_gone_before_it_could_tell_is_a_lost_peer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """gloo's raw error (a killed rank: out of memory while it read the data) is told in words."""

    def all_gather_object(out: list[Any], mine: Any) -> None:
        raise RuntimeError(
            "[/__w/pytorch/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:553] Connection "
            "closed by peer [127.0.0.1]:2994. This is typically caused by a remote worker crashing."
        )

    monkeypatch.setattr(dist, "all_gather_object", all_gather_object)
    with pytest.raises(PeerLostError) as info:
        on_every_rank(DistContext(world_size=2), lambda: 3)
    assert str(info.value) == (
        "another process of the data-parallel run stopped before training began (lost "
        "connection: Connection closed by peer [127.0.0.1]:2994), or this process is one too "
        "many for the run: started with a RANK another process has too, or at the MASTER_PORT "
        "of another job, which trains on "
        "without it; if a process stopped, nothing was trained: start every process again as "
        "before, each with its own RANK and a separate job with a port of its own"
    )
    # a bug of ours is no lost peer
    monkeypatch.setattr(dist, "all_gather_object", lambda out, mine: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        on_every_rank(DistContext(world_size=2), lambda: 3)


_GLOO_CLOSED = (
    "[/__w/pytorch/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:553] Connection closed by "
    "peer [127.0.0.1]:63694. This is typically caused by a remote worker crashing. Check the logs "
    "of the remote worker before reporting an error. GLHF!"
)


def _lost(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError(_GLOO_CLOSED)


@pytest.mark.parametrize(
    ("collective", "agree"),
    [
        ("all_gather_object", lambda: check_same_settings(DistContext(world_size=2), dict)),
        ("broadcast_object_list", lambda: on_rank_0(DistContext(world_size=2), lambda: "runs/3")),
        (
            "broadcast_object_list",
            lambda: on_rank_0(DistContext(rank=1, world_size=2), lambda: "runs/3"),
        ),
    ],
    ids=["same-settings", "rank-0-sends", "rank-1-waits"],
)
def test_a_process_gone_while_the_ranks_agree_is_a_lost_peer(
    monkeypatch: pytest.MonkeyPatch, collective: str, agree: Any
) -> None:
    """A process killed right after it joined (or rank 0, while it claimed the folder) left the
    others with gloo's raw error, which the command printed as "unexpected RuntimeError: [...]
    GLHF!"; on_every_rank alone said it in words."""
    monkeypatch.setattr(dist, collective, _lost)
    with pytest.raises(PeerLostError) as info:
        agree()
    assert str(info.value) == (
        "another process of the data-parallel run stopped before training began (lost "
        "connection: Connection closed by peer [127.0.0.1]:63694), or this process is one too "
        "many for the run: started with a RANK another process has too, or at the MASTER_PORT "
        "of another job, which trains on "
        "without it; if a process stopped, nothing was trained: start every process again as "
        "before, each with its own RANK and a separate job with a port of its own"
    )
    assert str(info.value.__cause__) == _GLOO_CLOSED  # gloo's own, for --debug
    # a bug of ours is no lost peer
    monkeypatch.setattr(dist, collective, lambda *args, **kwargs: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        agree()


def test_before_training_tells_a_lost_peer_and_lets_other_errors_through() -> None:
    """gloo's transport error becomes a PeerLostError in words; any other RuntimeError (a bug, a
    bad tensor) is no lost process and is raised as it was."""
    from linearnets.training.rank_agreement import before_training

    same_device = r"^Expected all tensors to be on the same device$"
    with pytest.raises(RuntimeError, match=same_device), before_training():
        raise RuntimeError("Expected all tensors to be on the same device")
    gloo = (
        "[../third_party/gloo/gloo/transport/tcp/pair.cc:553] Connection closed by peer "
        "[127.0.0.1]:1234"
    )
    with pytest.raises(PeerLostError, match=r"^another process of the data-parallel run stopped before training began \(lost connection: "), before_training():  # fmt: skip
        raise RuntimeError(gloo)
