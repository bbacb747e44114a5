"""Standard JSON out of results holding NaN or inf: ``null``, which every JSON reader accepts; run
files read back to the same depth on every Python."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from linearnets._json import MAX_DEPTH, NestedTooDeepError, dumps_strict, loads_shallow, read_json
from linearnets.training.callbacks import MetricsWriter
from linearnets.training.history import EpochMetrics


def _strict_loads(text: str) -> object:
    """Parse as JavaScript's JSON.parse would: the bare words NaN/Infinity are errors."""

    def refuse(word: str) -> None:
        raise ValueError(f"not standard JSON: {word}")

    return json.loads(text, parse_constant=refuse)


def test_non_finite_floats_become_null_at_any_depth() -> None:
    value = {"loss": math.inf, "w": [math.nan, 1.5, (-math.inf, 2)], "n": 3, "ok": None, "s": "NaN"}
    assert _strict_loads(dumps_strict(value)) == {
        "loss": None,
        "w": [None, 1.5, [None, 2]],
        "n": 3,
        "ok": None,
        "s": "NaN",
    }
    assert dumps_strict({"a": 1.0}, indent=2) == json.dumps({"a": 1.0}, indent=2)


def test_the_cli_json_of_a_blown_up_run_is_standard_json() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "linearnets", "linreg", "--epochs", "2", "--lr", "1e6", "--no-guard",
         "--num-examples", "50", "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = _strict_loads(done.stdout.splitlines()[-1])
    assert isinstance(result, dict)
    assert result["loss"] is None  # NaN in Python's own JSON
    assert result["w"] == [None, None]  # NaN weights
    assert done.stdout.splitlines()[:2] == [
        "epoch 1, loss inf",
        "epoch 2, loss nan",
    ]  # said in text


def test_metrics_files_of_a_blown_up_epoch_are_standard_json(tmp_path: Path) -> None:
    writer = MetricsWriter(tmp_path)
    writer.on_fit_start(num_epochs=2, start_epoch=0)
    writer.on_epoch_end(metrics=EpochMetrics(1, math.nan, 0.5, math.inf, 0.25, 0.1))
    rows = [_strict_loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert rows == [
        {"epoch": 1, "train_loss": None, "train_acc": 0.5, "test_loss": None, "test_acc": 0.25,
         "seconds": 0.1}
    ]  # fmt: skip
    writer.on_fit_start(num_epochs=3, start_epoch=1)  # a resume reads the rows back and keeps them
    assert _strict_loads((tmp_path / "metrics.jsonl").read_text().splitlines()[0]) == rows[0]


def _nested(depth: int, *, inner: str = "[]") -> str:
    """JSON of ``depth`` levels: arrays, every other one an object holding it under "k"."""
    text = inner
    for level in range(depth - 1):
        text = f'{{"k": {text}}}' if level % 2 else f"[{text}, 1]"
    return text


def test_json_up_to_max_depth_is_read_as_json_loads_reads_it() -> None:
    text = _nested(MAX_DEPTH)
    assert loads_shallow(text) == json.loads(text)
    assert loads_shallow(text.encode()) == json.loads(text)  # the bytes of a file, as json takes
    assert loads_shallow('{"a": [1, {"b": "[[["}]}') == {"a": [1, {"b": "[[["}]}


@pytest.mark.parametrize(
    "depth",
    # one level past; 5,000, which Python 3.12.3 and 3.13 parse and 3.11 refuses (its RecursionError);
    # 100,000, past the parser's own limit on 3.10 to 3.13
    [MAX_DEPTH + 1, 5_000, 100_000],
)
def test_json_past_max_depth_is_refused_alike_on_every_python(depth: int) -> None:
    text = "[" * depth + "]" * depth
    with pytest.raises(NestedTooDeepError) as info:
        loads_shallow(text)
    assert str(info.value) == f"it nests arrays or objects more than {MAX_DEPTH} levels deep"
    assert isinstance(info.value, ValueError)  # what the readers of run files already catch
    with pytest.raises(NestedTooDeepError):
        loads_shallow(_nested(depth) if depth < 5_000 else '{"a": ' + text + "}")


def test_json_that_is_no_json_is_json_loads_error() -> None:
    with pytest.raises(json.JSONDecodeError, match=r"^Expecting value: line 1 column 2"):
        loads_shallow("[")


def test_read_json_gives_a_run_file_s_value_or_none_where_there_is_none_to_read(
    tmp_path: Path,
) -> None:
    """The readers that tell a run by its files (weights_checks, missing_weights, resume_saved)
    share it: the whole of a .json file, a .jsonl file's first record, None for a file gone, a
    FIFO (whose read would block), bytes that are no UTF-8 or text that is no JSON."""
    import os

    (tmp_path / "r.json").write_text('{"impl": "analytic"}', encoding="utf-8")
    (tmp_path / "m.jsonl").write_text('{"epoch": 1}\n{"epoch": 2}\n', encoding="utf-8")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "latin.json").write_bytes(b'{"a": "\xe9"}')
    os.mkfifo(tmp_path / "fifo.json")
    assert read_json(tmp_path / "r.json") == {"impl": "analytic"}
    assert read_json(tmp_path / "m.jsonl", first_line=True) == {"epoch": 1}
    for name in ("gone.json", "bad.json", "latin.json", "fifo.json"):
        assert read_json(tmp_path / name) is None, name
