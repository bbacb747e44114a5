"""A run folder's files (D2L §3.6.6's run, kept on disk): the figures predict drew there, the
figure names refused in a run's folder, and the temporaries a killed writer left."""

from __future__ import annotations

from pathlib import Path

import pytest

from linearnets.errors import UsageError
from linearnets.plotting._image_args import MAX_SHOW
from linearnets.training.run_files import (
    check_not_a_runs_figure,
    predict_figures,
    remove_stale_temporaries,
)


def test_predict_figures_run_from_1_to_max_show_included(tmp_path: Path) -> None:
    for n in (0, 1, MAX_SHOW, MAX_SHOW + 1):
        (tmp_path / f"predict-{n}.png").write_bytes(b"figure")
    assert predict_figures(tmp_path) == [
        (1, tmp_path / "predict-1.png"),
        (MAX_SHOW, tmp_path / f"predict-{MAX_SHOW}.png"),
    ]


def test_a_runs_figure_name_outside_a_run_folder_is_free(tmp_path: Path) -> None:
    """curves.png or predict-3.png in a folder that holds no run is nobody's figure."""
    for name in ("curves.png", "predict-3.png"):
        check_not_a_runs_figure("--out", tmp_path / name, fix="pass another file")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(UsageError, match=r"^--out .*/curves\.png is curves\.png, which the run in .* writes: a figure written there would pass for the run's; pass another file$"):  # fmt: skip
        check_not_a_runs_figure("--out", tmp_path / "curves.png", fix="pass another file")


def test_stale_temporaries_with_and_without_a_random_part_are_removed_and_links_kept(
    tmp_path: Path,
) -> None:
    """.results.json.tmp (no random part) and .checkpoint.pt.XXXX.tmp are a writer's; a link of
    that name points at a file that is not (it is left, as is its target)."""
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    for name in (".results.json.tmp", ".checkpoint.pt.rwo4302_.tmp"):
        (tmp_path / name).write_bytes(b"half written")
    (tmp_path / ".curves.png.4242-0123abcd.tmp").symlink_to(target)
    removed = remove_stale_temporaries(tmp_path)
    assert sorted(removed) == [".checkpoint.pt.rwo4302_.tmp", ".results.json.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".curves.png.4242-0123abcd.tmp", "notes.txt"]  # fmt: skip
    assert target.read_text() == "mine"
