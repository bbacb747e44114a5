"""A run folder's files (D2L §3.6.6's run, kept on disk): the figures predict drew there, the
figure names refused in a run's folder, and the temporaries a killed writer left."""

from __future__ import annotations

from pathlib import Path

import pytest

from linearnets.errors import RunFileError, UsageError
from linearnets.plotting._image_args import MAX_SHOW
from linearnets.training.run_files import (
    check_not_a_runs_figure,
    keep_replaced,
    passing_for_a_runs,
    predict_figure_name,
    predict_figures,
    remove_stale_temporaries,
)


def test_predict_figures_run_from_1_to_max_show_included(tmp_path: Path) -> None:
    for n in (0, 1, MAX_SHOW, MAX_SHOW + 1):
        (tmp_path / f"predict-{n}.png").write_bytes(b"figure")
    assert predict_figures(tmp_path) == [
        (1, False, tmp_path / "predict-1.png"),
        (MAX_SHOW, False, tmp_path / f"predict-{MAX_SHOW}.png"),
    ]


def test_predict_figures_hold_the_mistakes_too_each_with_the_options_that_draw_it(
    tmp_path: Path,
) -> None:
    """predict -n N --wrong draws predict-wrong-N.png: a figure of the run's weights as much as
    predict-N.png, found, ordered and redrawn the same way."""
    for name in ("predict-wrong-6.png", "predict-6.png", "predict-wrong-1.png", "predict-20.png",
                 f"predict-wrong-{MAX_SHOW}.png", "predict-wrong-0.png", "predict-wrong-06.png",
                 f"predict-wrong-{MAX_SHOW + 1}.png", "predict-wrong-.png", "predict-wrong.png",
                 "predict-wrong-6.gif", "predict-wrong-x.png", "my-predict-wrong-6.png"):  # fmt: skip
        (tmp_path / name).write_bytes(b"figure")
    (tmp_path / "predict-wrong-7.png").mkdir()
    (tmp_path / "predict-wrong-8.png").symlink_to(tmp_path / "predict-6.png")
    found = predict_figures(tmp_path)
    assert [(f.path.name, f.options) for f in found] == [
        ("predict-wrong-1.png", "-n 1 --wrong"),
        ("predict-6.png", "-n 6"),
        ("predict-wrong-6.png", "-n 6 --wrong"),
        ("predict-20.png", "-n 20"),
        (f"predict-wrong-{MAX_SHOW}.png", f"-n {MAX_SHOW} --wrong"),
    ]
    assert all(f.path.name == predict_figure_name(f.n, wrong=f.wrong) for f in found)
    assert predict_figure_name(6) == "predict-6.png"


def test_the_mistakes_figure_of_a_run_is_refused_as_out_and_named_as_such(
    tmp_path: Path,
) -> None:
    """predict-wrong-3.png in a run's folder is predict's -n 3 --wrong figure of that run."""
    check_not_a_runs_figure("--out", tmp_path / "predict-wrong-3.png", fix="pass another file")
    _linearnets_model(tmp_path / "model.pt")
    with pytest.raises(UsageError) as info:
        check_not_a_runs_figure("--out", tmp_path / "predict-wrong-3.png", fix="pass another file")
    assert str(info.value) == (
        f"--out {tmp_path / 'predict-wrong-3.png'} is predict-wrong-3.png in the run folder "
        f"{tmp_path}, the name linearnets predict gives the mistakes of that run's weights at "
        "-n 3 --wrong: a figure written there would pass for them; pass another file"
    )
    own = tmp_path / "predict-wrong-3.png"
    check_not_a_runs_figure("--out", own, fix="pass another file", own=own)
    with pytest.raises(UsageError, match=r"is predict-3\.png in the run folder .* at -n 3: "):
        check_not_a_runs_figure("--out", tmp_path / "predict-3.png", fix="x", own=own)


def test_predicts_figure_names_cover_every_format_out_takes(tmp_path: Path) -> None:
    """--out takes .png, .svg and .pdf: predict-7.pdf in a run's folder at -n 6 was accepted (its
    .png refused), and predict-6.svg was nobody's figure, kept by a resume. Now each is predict's
    figure at its -n: the caller's own under any suffix, redrawn with its --out."""
    _linearnets_model(tmp_path / "model.pt")
    own = tmp_path / predict_figure_name(6)
    for name in ("predict-6.svg", "predict-6.pdf", "predict-6.PNG"):
        check_not_a_runs_figure("--out", tmp_path / name, fix="x", own=own)
    with pytest.raises(UsageError) as info:
        check_not_a_runs_figure("--out", tmp_path / "predict-7.pdf", fix="pass another", own=own)
    assert str(info.value) == (
        f"--out {tmp_path / 'predict-7.pdf'} is predict-7.pdf in the run folder {tmp_path}, the "
        "name linearnets predict gives the predictions of that run's weights at -n 7: a figure "
        "written there would pass for them; pass another"
    )
    with pytest.raises(UsageError, match=r"is predict-wrong-6\.svg in the run folder .* -n 6 --wrong: "):  # fmt: skip
        check_not_a_runs_figure("--out", tmp_path / "predict-wrong-6.svg", fix="x", own=own)
    for name in ("predict-6.svg", "predict-wrong-6.pdf", "predict-9.png"):
        (tmp_path / name).write_bytes(b"figure")
    assert [(f.path.name, f.options) for f in predict_figures(tmp_path)] == [
        ("predict-6.svg", f"-n 6 --out {tmp_path / 'predict-6.svg'}"),
        ("predict-wrong-6.pdf", f"-n 6 --wrong --out {tmp_path / 'predict-wrong-6.pdf'}"),
        ("predict-9.png", "-n 9"),
    ]


def test_a_predict_name_at_an_n_predict_refuses_is_no_figure_of_its(tmp_path: Path) -> None:
    """predict-101.png was refused as "the name linearnets predict gives ... at -n 101", an -n
    predict itself refuses (at most 100): it is no name of predict's, as a new run's --out (and
    a resume) took it, under one rule for both."""
    _linearnets_model(tmp_path / "model.pt")
    for name in (f"predict-{MAX_SHOW + 1}.png", f"predict-wrong-0{MAX_SHOW + 1}.svg"):
        check_not_a_runs_figure("--out", tmp_path / name, fix="x")
    with pytest.raises(UsageError, match=rf"at -n {MAX_SHOW}: "):
        check_not_a_runs_figure("--out", tmp_path / f"predict-0{MAX_SHOW}.png", fix="x")


def test_the_files_passing_for_a_runs_are_those_predicts_out_refuses(tmp_path: Path) -> None:
    """One rule: predict's figure names in any case and zero-padded, by -n; a run's own files in
    another case or (its figures) suffix, by name; files only, a run's own names left out."""
    names = ["predict-wrong-3.PDF", "Predict-3.PNG", "predict-012.png", "confusion.pdf",
             "Curves.SVG", "Per_Class.txt", "confusion.png", "predict-101.png", "confusion.gif",
             "per_class.pdf", "notes.txt"]  # fmt: skip
    for name in names:
        (tmp_path / name).write_bytes(b"mine")
    (tmp_path / "curves.pdf").mkdir()
    (tmp_path / "predictions.svg").symlink_to(tmp_path / "notes.txt")
    _linearnets_model(tmp_path / "model.pt")
    drawn, alike = passing_for_a_runs(tmp_path)
    assert drawn == ["Predict-3.PNG", "predict-wrong-3.PDF", "predict-012.png"]
    assert alike == ["Curves.SVG", "Per_Class.txt", "confusion.pdf"]
    for name in drawn + alike:  # each refused as predict's --out
        with pytest.raises(UsageError, match="would pass for"):
            check_not_a_runs_figure("--out", tmp_path / name, fix="x")


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


def test_a_killed_predicts_figure_temporary_is_removed_a_live_ones_kept(tmp_path: Path) -> None:
    """predict draws into a run folder without its lock: its figure's temporary
    (.predict-N.png.PID-XXXXXXXX.tmp) was never removed after a kill -9. Now a resume removes it
    once process PID has ended, and keeps that of a predict still drawing."""
    import os
    import subprocess
    import sys

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                           capture_output=True, text=True)  # fmt: skip
    dead, alive = int(ended.stdout), os.getpid()
    names = [
        f".predict-6.png.{dead}-0123abcd.tmp",
        f".predict-wrong-100.png.{dead}-89abcdef.tmp",
        f".predict-6.png.{alive}-0123abcd.tmp",  # this process: a predict still drawing
        f".predict-6.png.{dead}-0123abcd.tmp.keep",  # not a temporary's name
        f".predict-0.png.{dead}-0123abcd.tmp",  # no figure predict draws
    ]
    names[:0] = [f".predict-6.svg.{dead}-0123abcd.tmp"]  # --out RUN/predict-6.svg's
    for name in names:
        (tmp_path / name).write_bytes(b"half a png")
    removed = remove_stale_temporaries(tmp_path)
    assert sorted(removed) == sorted(names[:3])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[3:])


def test_longest_name_is_the_longest_temporary_name_a_run_folder_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file a run and predict write in its folder, at predict's largest -n, through each
    writer that could write it, at Linux's largest pid (PID_MAX_LIMIT, 2**22 on 64-bit): the
    temporary names, read off their renames. LONGEST_NAME was .predictions.png's figure temporary
    (37 bytes), 6 short of predict -n 100 --wrong's (.predict-wrong-100.png.<pid>-<hex>.tmp, 43):
    an --out the path check let through could not hold predict's figure."""
    import os

    from linearnets.cli._options import MAX_SHOW as CLI_MAX_SHOW
    from linearnets.plotting._mpl import new_figure, save_figure
    from linearnets.training.checkpoint_write import save_run_file, write_text_atomic
    from linearnets.training.run_files import LONGEST_NAME, RUN_OUTPUTS
    from linearnets.training.run_lock import LOCK_FILE

    n = max(MAX_SHOW, CLI_MAX_SHOW)  # the Python API's bound and the command line's
    figures = [predict_figure_name(n), predict_figure_name(n, wrong=True)]
    names = [*RUN_OUTPUTS, *figures]
    renamed: list[str] = []
    real_replace = os.replace

    def recording(src: str | Path, dst: str | Path) -> None:
        renamed.append(os.path.basename(src))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", recording)
    monkeypatch.setattr(os, "getpid", lambda: 2**22)  # 4194304: 7 digits, the most Linux gives
    for name in names:
        save_run_file(tmp_path / name, {"x": 1})
        write_text_atomic(tmp_path / name, "x\n")
        if name.endswith((".png", ".svg")):
            fig = new_figure((1, 1), managed=False)
            save_figure(fig, tmp_path / name)
    assert len(renamed) == 2 * len(names) + sum(name.endswith((".png", ".svg")) for name in names)
    assert all(name.startswith(".") and name.endswith(".tmp") for name in renamed)
    longest = max([*renamed, *names, LOCK_FILE], key=len)
    assert longest.startswith(f".{predict_figure_name(n, wrong=True)}.4194304-")
    assert len(longest) == len(LONGEST_NAME) == 43  # all fit, none needlessly


@pytest.mark.parametrize(
    ("held", "a_run"),
    [
        ('{"editor": "vim"}', False),  # another tool's
        ("[1, 2]", False),
        ('{"config": {"epochs": 3}, "notes": "x"}', True),  # a run's
        ('{"task": "linreg"}', True),  # a run's, its config section lost: read as a damaged run
        ("{}", True),
        ('{"config": {"epo', True),  # a run's cut short
    ],
)
def test_holds_a_run_counts_a_config_json_of_a_runs_only(
    tmp_path: Path, held: str, a_run: bool
) -> None:
    """A folder with any config.json held a run: curves.png beside an editor's was refused."""
    from linearnets.training.run_files import holds_a_run

    (tmp_path / "config.json").write_text(held)
    assert holds_a_run(tmp_path) is a_run
    _linearnets_model(tmp_path / "model.pt")
    assert holds_a_run(tmp_path)


def test_a_linearnets_run_is_told_from_another_tools_pt_files(tmp_path: Path) -> None:
    """Any model.pt or checkpoint.pt made a folder "another run" for predict --out proj/x.png:
    another tool's (empty, or a torch.save of its own dict) is none; linearnets' own are."""
    import torch

    from linearnets.training.run_files import holds_a_linearnets_run

    (tmp_path / "model.pt").write_bytes(b"")
    torch.save({"epoch": 3, "model": {"w": torch.zeros(2)}}, tmp_path / "checkpoint.pt")
    assert not holds_a_linearnets_run(tmp_path)
    _linearnets_model(tmp_path / "model.pt")
    assert holds_a_linearnets_run(tmp_path)
    # 12,000 class names pickled before state_dict push it past the 64 KiB read: still linearnets'
    _linearnets_model(tmp_path / "model.pt", classes=[f"class {i}" for i in range(12_000)])
    assert holds_a_linearnets_run(tmp_path)
    (tmp_path / "model.pt").write_bytes(b"PK\x03\x04" + bytes(60))  # a zip's start, damaged
    assert not holds_a_linearnets_run(tmp_path)
    _linearnets_model(tmp_path / "model.pt")
    (tmp_path / "model.pt").unlink()
    torch.save({"format": "linearnets-checkpoint", "epoch": 1}, tmp_path / "checkpoint.pt")
    assert holds_a_linearnets_run(tmp_path)
    (tmp_path / "checkpoint.pt").unlink()
    (tmp_path / "config.json").write_text('{"config": {"epochs": 3}}')
    assert holds_a_linearnets_run(tmp_path)


def _linearnets_model(path: Path, *, classes: list[str] | None = None) -> None:
    """Write a model.pt as linearnets' save_weights does: its keys in its order, no tensor."""
    import torch

    names = classes if classes is not None else ["a", "b"]
    torch.save(
        {
            "impl": "concise",
            "num_inputs": 4,
            "num_outputs": len(names),
            "resize": None,
            "classes": names,
            "pixels": None,
            "state_dict": {},
        },
        path,
    )


def test_another_tools_model_pt_makes_no_run_of_its_folder_for_a_runs_figure_name(
    tmp_path: Path,
) -> None:
    """--out proj/curves.png beside another tool's model.pt was told "which the run in proj
    writes": a torch.save of its own dict is no run of linearnets'."""
    import torch

    torch.save({"model": {"w": torch.zeros(2)}}, tmp_path / "model.pt")
    for name in ("curves.png", "predict-5.png", "confusion.png"):
        check_not_a_runs_figure("--out", tmp_path / name, fix="pass another file")
    _linearnets_model(tmp_path / "model.pt")
    with pytest.raises(UsageError, match=r"is curves\.png, which the run in "):
        check_not_a_runs_figure("--out", tmp_path / "curves.png", fix="pass another file")


def test_a_linreg_runs_folder_refuses_none_of_your_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A linear-regression run draws no figure (its folder: checkpoint.pt, config.json,
    metrics.*, results.json), yet resume_linreg with the user's own LiveCurves in its folder, as
    run_linreg took them, was refused: "curves.png, which the run in lr2 writes". Refused only
    where the run draws it: a softmax run's folder, or a model.pt (a softmax run's) beside it."""
    import linearnets as ln

    monkeypatch.chdir(tmp_path)

    def callbacks() -> list[object]:
        curves = ln.LiveCurves(out_dir="lr2", mode="file", metrics=("train loss",), num_epochs=3)
        return [ln.CurvesCallback(curves)]

    ln.run_linreg(ln.LinregConfig(out="lr2", epochs=2), callbacks=callbacks())
    ln.resume_linreg("lr2", epochs=3, callbacks=callbacks())  # was refused
    run = Path("lr2")
    assert (run / "curves.png").read_bytes().startswith(b"\x89PNG")
    fix = "pass out a file outside the run folder"
    for name in ("curves.png", "predictions.png", "confusion.pdf", "predict-6.png"):
        check_not_a_runs_figure("out", run / name, fix=fix)  # no run's figure: passes
    (run / "config.json").rename("config.json.bak")  # its checkpoint tells the task
    check_not_a_runs_figure("out", run / "predictions.png", fix=fix)
    Path("config.json.bak").rename(run / "config.json")
    _linearnets_model(run / "model.pt")  # a softmax run's weights: its figures are the run's
    with pytest.raises(UsageError, match=r"^out lr2/predictions\.png is predictions\.png, which"):
        check_not_a_runs_figure("out", run / "predictions.png", fix=fix)
    (run / "model.pt").unlink()
    (run / "config.json").write_text('{"config": {"epochs": 3}}')  # a softmax run's: no "task"
    with pytest.raises(UsageError, match=r"^out lr2/curves\.png is curves\.png, which the run"):
        check_not_a_runs_figure("out", run / "curves.png", fix=fix)


def test_check_not_a_runs_out_takes_the_out_alone() -> None:
    """Its setting, example and what were passed by no caller, and its docstring said
    LiveCurves' out_dir used them (LiveCurves builds its own message)."""
    import inspect

    from linearnets.training.run_files import check_not_a_runs_out

    assert list(inspect.signature(check_not_a_runs_out).parameters) == ["out"]
    assert "LiveCurves" not in (check_not_a_runs_out.__doc__ or "")


def test_the_run_files_load_no_plotting(tmp_path: Path) -> None:
    """training.run_files imported plotting._image_args (for MAX_SHOW) while plotting imports
    training.run_files: an import cycle hidden by imports inside functions. Its bound comes from
    linearnets._figure_limits, which loads neither package."""
    import subprocess
    import sys

    (tmp_path / "predict-6.png").write_bytes(b"")
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from linearnets.training.run_files import predict_figures\n"
        f"assert [f.n for f in predict_figures(Path({str(tmp_path)!r}))] == [6]\n"
        "print(sorted(m for m in sys.modules if m.startswith('linearnets.plotting')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_keep_replaced_refused_for_an_unreadable_file_keeps_nothing_a_missing_file_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model.pt that could not be read (no permission) was skipped as a missing one: the start
    over then wrote over it with no backup, the note leaving it out. It is refused, naming the
    file, the error and the fix, before any backup is written; a missing file keeps nothing."""
    (tmp_path / "model.pt").write_bytes(b"weights")
    (tmp_path / "results.json").write_text("{}")
    assert keep_replaced(tmp_path) == {
        "model.pt": "model.pt.bak",
        "results.json": "results.json.bak",
    }
    (tmp_path / "results.json").unlink()  # missing: nothing to keep, no word
    (tmp_path / "model.pt").write_bytes(b"new weights")
    assert keep_replaced(tmp_path) == {"model.pt": "model.pt.bak.1"}
    real = Path.read_bytes

    def denied(path: Path) -> bytes:
        if path.name == "model.pt":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", denied)
    (tmp_path / "results.json").write_text('{"test_acc": 0.5}')
    with pytest.raises(RunFileError) as caught:
        keep_replaced(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'model.pt'} could not be read to keep it as model.pt.bak before the run "
        "starts over, which replaces it: Permission denied; nothing was replaced: make it "
        "readable, or move it out of the run folder, then start the run over with "
        f"linearnets.resume_softmax({str(tmp_path)!r})"
    )
    assert not (tmp_path / "results.json.bak.1").exists()  # read all first: no backup written
    assert not (tmp_path / "model.pt.bak.2").exists()
