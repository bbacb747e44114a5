"""Curves drawn by the plotting process: the same files as LiveCurves, bad settings reported at close,
updates queued during a draw drawn once, figures released in the child."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from linearnets.plotting import LiveCurves
from linearnets.plotting.background import PlotError, PlotProcess
from linearnets.plotting.remote_curves import RemoteCurves

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the plotting process forks (Linux only)"
)


def test_remote_curves_write_the_same_files_as_live_curves(tmp_path: Path) -> None:
    values = [
        {"train loss": 0.8, "train acc": 0.7, "test acc": 0.75},
        {"train loss": 0.6, "train acc": 0.8, "test acc": 0.79},
        {"train loss": 0.5, "train acc": 0.83, "test acc": 0.81},
    ]
    settings = {"num_epochs": 3, "formats": ("png",), "final_formats": ("svg",)}
    here = LiveCurves(out_dir=tmp_path / "here", mode="file", **settings)
    plots = PlotProcess()
    remote = RemoteCurves(plots, out_dir=tmp_path / "there", **settings)
    for epoch, row in enumerate(values, start=1):
        here.update(epoch, row)
        remote.update(epoch, row)
    here.close()
    remote.close()
    plots.close()
    for name in ("curves.png", "curves.svg"):
        assert (tmp_path / "there" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


def test_bad_curves_settings_surface_at_close(tmp_path: Path) -> None:
    plots = PlotProcess()
    RemoteCurves(plots, out_dir=tmp_path, metrics=["loss", "loss"]).update(1, {"loss": 1.0})
    with pytest.raises(
        PlotError,
        match=r"drawing the curves failed with .*metrics must be a non-empty sequence of distinct",
    ):
        plots.close()
    other = PlotProcess()
    with pytest.raises(PlotError, match="RemoteCurves needs out_dir"):
        RemoteCurves(other)
    other.close()


def test_remote_curves_always_write_files_and_keep_apart(tmp_path: Path) -> None:
    plots = PlotProcess()
    first = RemoteCurves(plots, out_dir=tmp_path / "a", mode="none", formats=("png",))
    second = RemoteCurves(plots, out_dir=tmp_path / "b", metrics=["loss"], formats=("png",))
    assert first.metrics == ("train loss", "train acc", "test acc")  # LiveCurves' defaults
    assert second.metrics == ("loss",)
    first.update(1, {"train loss": 0.5})
    second.update(1, {"loss": 0.25})
    first.close()
    second.close()
    plots.close()
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["curves.png"]  # "file", whatever mode
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["curves.png"]


def test_closed_curves_are_released_in_the_child(tmp_path: Path) -> None:
    from linearnets.plotting import remote_curves

    remote_curves._new_curves(-1, {"out_dir": tmp_path, "mode": "file", "formats": ("png",)})
    remote_curves._update_curves(-1, [(1, {"train loss": 0.5})])
    remote_curves._close_curves(-1)
    assert -1 not in remote_curves._CURVES  # a run's figure does not outlive it
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]


def _log_draws(log: Path, seconds: float) -> Any:
    """A ``LiveOutput.publish`` that takes ``seconds`` and logs each line's values (in the child)."""

    def publish(self: Any, fig: Any) -> None:
        time.sleep(seconds)
        with open(log, "a") as f:
            f.write(json.dumps([[float(v) for v in ln.get_ydata()] for ln in fig.axes[0].lines]))
            f.write("\n")

    return publish


def test_curve_updates_queued_during_a_slow_draw_are_drawn_once_in_their_newest_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One full redraw per queued update made a long run wait for its figures (30 s at the end)."""
    from linearnets.plotting.live import LiveOutput

    log = tmp_path / "draws.jsonl"
    monkeypatch.setattr(LiveOutput, "publish", _log_draws(log, 0.2))  # before the fork: the child's
    plots = PlotProcess()
    curves = RemoteCurves(plots, out_dir=tmp_path, metrics=["loss", "acc"], formats=("png",))
    sent = [{"loss": 1.0 / epoch, "acc": epoch / 100} for epoch in range(1, 31)]
    for epoch, values in enumerate(sent, start=1):
        curves.update(epoch, values)
    curves.close()
    plots.close()
    draws = [json.loads(line) for line in log.read_text().splitlines()]
    assert 1 <= len(draws) < len(sent)
    assert draws[-1] == [[v["loss"] for v in sent], [v["acc"] for v in sent]]  # every point


def test_remote_extend_sends_many_epochs_drawn_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linearnets.plotting.live import LiveOutput

    log = tmp_path / "draws.jsonl"
    monkeypatch.setattr(LiveOutput, "publish", _log_draws(log, 0))
    plots = PlotProcess()
    curves = RemoteCurves(plots, out_dir=tmp_path, metrics=["loss"], formats=("png",))
    curves.extend([(epoch, {"loss": 2.0**-epoch}) for epoch in range(1, 51)])
    plots.close()
    assert [json.loads(line) for line in log.read_text().splitlines()] == [
        [[2.0**-epoch for epoch in range(1, 51)]]
    ]


def test_tensor_values_reach_the_child_as_plain_numbers(tmp_path: Path) -> None:
    # a loss straight from the graph (non-leaf, requiring grad) cannot be pickled as a tensor
    import torch

    w = torch.tensor([0.25, 0.5], requires_grad=True)
    settings = {"metrics": ["loss"], "formats": ("png",)}
    here = LiveCurves(out_dir=tmp_path / "here", mode="file", **settings)
    here.update(1, {"loss": 1.5})
    here.update(2, {"loss": 0.75})
    here.close()
    plots = PlotProcess()
    remote = RemoteCurves(plots, out_dir=tmp_path / "there", **settings)
    remote.update(torch.tensor(1), {"loss": (w * 2).sum()})
    remote.extend([(torch.tensor(2), {"loss": w.sum()})])
    remote.close()
    plots.close()
    assert (tmp_path / "there" / "curves.png").read_bytes() == (
        tmp_path / "here" / "curves.png"
    ).read_bytes()


@pytest.mark.parametrize(
    ("epoch", "values"),
    [(1.5, {"loss": 0.5}), (1, {"loss": "0.5"}), (1, [("loss", 0.5)]), (1, {"loss": [1.0, 2.0]})],
    ids=["fractional epoch", "string value", "list of pairs", "several numbers"],
)
def test_bad_points_are_refused_at_the_call_as_live_curves_refuses_them(
    tmp_path: Path, epoch: Any, values: Any
) -> None:
    # int(1.5) drew epoch 1, float("0.5") drew a string LiveCurves refuses, a list raised
    # AttributeError: now LiveCurves' own refusal, at the call
    here = LiveCurves(mode="none", metrics=["loss"])
    with pytest.raises(Exception) as expected:  # the oracle: LiveCurves' refusal
        here.update(epoch, values)
    plots = PlotProcess()
    remote = RemoteCurves(plots, out_dir=tmp_path, metrics=["loss"], formats=("png",))
    with pytest.raises(type(expected.value), match=f"^{re.escape(str(expected.value))}$"):
        remote.update(epoch, values)
    with pytest.raises(type(expected.value), match=f"^{re.escape(str(expected.value))}$"):
        remote.extend([(epoch, values)])
    remote.update(1, {"loss": 0.5})  # the curves go on
    remote.close()
    plots.close()
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]
