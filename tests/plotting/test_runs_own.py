"""The run's own figures: drawn into its folder through as_runs_own, a permission no public
signature offers."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import torch

from linearnets.plotting import LiveCurves, plot_confusion_matrix, plot_predictions, show_images
from linearnets.plotting._runs_own import as_runs_own, drawing_runs_own, is_runs_own

PUBLIC = [LiveCurves, plot_confusion_matrix, plot_predictions, show_images]


@pytest.mark.parametrize("public", PUBLIC, ids=lambda f: f.__name__)
def test_no_public_signature_or_help_offers_the_runs_own_keyword(public: Any) -> None:
    """LiveCurves, plot_confusion_matrix and plot_predictions ended in ``_runs_own: bool =
    False``, shown by inspect.signature and described by help(): a user passing it drew over a
    finished run's figures past the refusal."""
    assert "_runs_own" not in str(inspect.signature(public))
    assert "_runs_own" not in (public.__doc__ or "")
    assert "_runs_own" not in (getattr(public, "__init__", public).__doc__ or "")


def test_a_users_runs_own_keyword_is_refused_and_the_run_keeps_its_figure(tmp_path: Path) -> None:
    run = tmp_path / "r1"
    run.mkdir()
    (run / "config.json").write_text('{"config": {"epochs": 3}}')
    (run / "confusion.png").write_bytes(b"the run's")
    with pytest.raises(TypeError, match="_runs_own"):
        plot_confusion_matrix(  # type: ignore[call-arg]
            torch.eye(2), ["a", "b"], out=run / "confusion.png", _runs_own=True
        )
    with pytest.raises(TypeError, match="_runs_own"):
        LiveCurves(out_dir=run, _runs_own=True)  # type: ignore[call-arg]
    assert (run / "confusion.png").read_bytes() == b"the run's"


def test_the_runs_own_lasts_the_drawing_alone() -> None:
    assert not is_runs_own()
    assert as_runs_own(is_runs_own)() is True
    with drawing_runs_own():
        assert is_runs_own()
    assert not is_runs_own()
    with pytest.raises(ValueError, match=r"^boom$"), drawing_runs_own():
        raise ValueError("boom")
    assert not is_runs_own()  # reset where the drawing raised


def test_the_runs_own_drawing_keeps_its_name_and_goes_to_the_plotting_process_by_pickle() -> None:
    """A failure in the plotting process is said by the drawing's name ("drawing the confusion
    matrix failed"), not the wrapper's."""
    import pickle

    from linearnets.plotting._plot_child import drawing_name

    own = as_runs_own(plot_confusion_matrix)
    assert drawing_name(own) == "the confusion matrix"
    sent = pickle.loads(pickle.dumps(own))
    assert sent.__name__ == "plot_confusion_matrix"


def test_plotting_imports_training_in_this_module_alone() -> None:
    """confusion.py, images.py and live.py each imported training.run_files inside a function,
    while training.run_files imported plotting: a cycle the function-level imports hid. The run
    folder's refusals reach training from _runs_own alone, and training imports no plotting."""
    import linearnets.plotting

    folder = Path(linearnets.plotting.__file__).parent
    importing = sorted(
        path.name
        for path in folder.glob("*.py")
        if "from linearnets.training" in path.read_text(encoding="utf-8")
    )
    assert importing == ["_runs_own.py"]
