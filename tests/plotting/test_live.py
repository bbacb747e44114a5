"""LiveCurves' choice of where to draw: a warning when "auto" leaves it nowhere to go."""

from __future__ import annotations

from pathlib import Path

import pytest

from linearnets.plotting.live import LiveCurves


def test_auto_mode_with_nowhere_to_draw_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """A script's LiveCurves() without out_dir would draw nothing, silently: it warns instead."""
    monkeypatch.setattr("linearnets.plotting.live.in_notebook", lambda: False)
    with pytest.warns(UserWarning, match=r"LiveCurves draws nothing here: this is not Jupyter"):
        curves = LiveCurves(num_epochs=2)
    assert curves.mode == "none"
    curves.close()


@pytest.mark.parametrize("where", ["notebook", "out_dir", "mode none"])
def test_no_warning_where_the_curves_go_somewhere_or_nowhere_on_purpose(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    monkeypatch.setattr("linearnets.plotting.live.in_notebook", lambda: where == "notebook")
    if where == "notebook":  # what the notebook mode calls, without a kernel
        monkeypatch.setattr("linearnets.plotting.live.use_svg_display", lambda: None)
    kwargs = (
        {"out_dir": tmp_path}
        if where == "out_dir"
        else {"mode": "none"}
        if where == "mode none"
        else {}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LiveCurves(num_epochs=2, **kwargs).close()  # type: ignore[arg-type]


def test_the_warning_points_at_the_scripts_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shown with the caller's file and line (stacklevel), where the out_dir is to be added."""
    monkeypatch.setattr("linearnets.plotting.live.in_notebook", lambda: False)
    with pytest.warns(UserWarning, match="LiveCurves draws nothing here") as record:
        LiveCurves(num_epochs=2).close()
    assert [(w.filename, w.category) for w in record] == [(__file__, UserWarning)]
