"""The README's Python example runs as printed (on the real Fashion-MNIST) and shows what it says, and
the figures it and docs/ quote from the suite and from the command are the suite's and the command's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linearnets.errors import LinearnetsError

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.slow
@pytest.mark.realdata
def test_the_python_example_trains_prints_and_draws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from linearnets.data.fashion_mnist import read_fashion_mnist

    try:
        read_fashion_mnist(None)
    except LinearnetsError as exc:
        pytest.skip(f"Fashion-MNIST not found: {exc}")
    monkeypatch.chdir(tmp_path)
    code = _python_blocks()[0]
    assert "ln.fit(" in code and "callbacks=shown" in code
    namespace: dict[str, object] = {}
    exec(compile(code, str(README), "exec"), namespace)
    out = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in out[:-1]] == [f"epoch {e}" for e in range(1, 11)]
    assert float(out[-1]) >= 0.82  # history.test_acc[-1], the book's bar after 10 epochs
    curves = namespace["shown"][1].curves  # type: ignore[index]
    assert curves.mode == "file"  # a script: no window, the files
    assert [len(curves.values[m]) for m in curves.metrics] == [10, 10, 10]
    assert sorted(p.name for p in (tmp_path / "curves").iterdir()) == ["curves.png", "curves.svg"]


def test_the_count_of_bad_inputs_in_test_errors_is_its_count_cases() -> None:
    from test_errors import count_cases

    quoted = re.findall(
        r"\(([\d,]+) cases in `tests/test_errors.py` alone, its `count_cases\(\)`",
        README.read_text(encoding="utf-8"),
    )
    assert [int(n.replace(",", "")) for n in quoted] == [count_cases()]


def test_the_readmes_count_of_hand_written_inputs_is_its_recount_today() -> None:
    """The README's "N hand-written bad inputs" is what its own recount command gives today."""
    import subprocess
    import sys

    text = README.read_text(encoding="utf-8")
    quoted = re.findall(r"([\d,]+) hand-written bad inputs", text)
    pattern = re.search(r'pytest --collect-only -q tests \\\n\s*\| grep -cE "([^"]+)"', text)
    assert pattern is not None, "the README's recount command"
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=README.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    count = sum(1 for line in collected if re.search(pattern.group(1), line))
    assert [int(n.replace(",", "")) for n in quoted] == [count]


def _without_code_blocks(page: Path) -> str:
    return re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)


def _anchor(heading: str) -> str:
    """Return GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_relative_link_of_the_readme_and_docs_points_to_what_exists() -> None:
    """A link to a file names one that exists, and one to a heading (``page.md#anchor``) a heading
    of that page; and every page of docs/ is linked from the README, where a reader starts."""
    docs = sorted((README.parent / "docs").glob("*.md"))
    assert docs, "the README's reference pages, in docs/"
    broken = []
    linked = set()
    for page in [README, *docs]:
        for target in re.findall(r"\]\(([^)\s]+)\)", _without_code_blocks(page)):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page.resolve()
            if page == README:
                linked.add(file)
            if not file.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and file.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", _without_code_blocks(file), flags=re.M)
                if anchor not in {_anchor(h) for h in headings}:
                    broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []
    assert [page.name for page in docs if page.resolve() not in linked] == []


DOCS = README.parent / "docs"


@pytest.mark.slow
@pytest.mark.realdata
def test_the_accuracy_and_loss_the_docs_quote_are_the_commands_defaults_today(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`linearnets softmax` with its defaults (on the CPU, as the docs say) ends where
    docs/speed.md and docs/distributed.md say: the figures, as printed, of its epochs 3 and 10."""
    import json

    from linearnets.cli import main
    from linearnets.data.fashion_mnist import read_fashion_mnist

    try:
        read_fashion_mnist(None)
    except LinearnetsError as exc:
        pytest.skip(f"Fashion-MNIST not found: {exc}")
    speed = re.findall(
        r"and ([\d.]+) after 10 epochs with the command's defaults\s+\(`--seed 0`; ([\d.]+) after 3\)",
        (DOCS / "speed.md").read_text(encoding="utf-8"),
    )
    gpu = re.findall(
        r"to the CPU's train loss ([\d.]+) and test accuracy ([\d.]+)",
        (DOCS / "distributed.md").read_text(encoding="utf-8"),
    )
    assert len(speed) == 1 and len(gpu) == 1, "the sentences quoting the figures"
    run = tmp_path / "run"
    argv = ["softmax", "--plot", "none", "--device", "cpu", "--out", str(run), "--json"]
    assert main(argv) == 0
    results = json.loads(capsys.readouterr().out.splitlines()[-1])
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert (results["impl"], results["epochs"], len(rows)) == ("analytic", 10, 10)
    (test_10, test_3), (loss_10, test_10_gpu) = speed[0], gpu[0]
    # each as the docs print it: to the digits quoted
    assert test_10 == f"{results['test_acc']:.3f}" == test_10_gpu
    assert test_3 == f"{rows[2]['test_acc']:.4f}"
    assert loss_10 == f"{results['train_loss']:.4f}"


def test_the_readmes_count_of_generated_inputs_is_the_fuzz_tests_settings() -> None:
    """ "up to 2,540 inputs generated per run by hypothesis (7 IDX reader properties × up to 300
    examples; 3 command-line properties: up to 200 each for linreg and softmax, 40 for predict)"
    is what the two fuzz modules' properties and their max_examples add up to."""
    from cli import test_cli_fuzz
    from data import test_idx_fuzz

    def properties(module: object) -> dict[str, int]:
        return {
            name: test._hypothesis_internal_use_settings.max_examples
            for name, test in vars(module).items()
            if getattr(test, "is_hypothesis_test", False)
        }

    quoted = re.findall(
        r"plus up to ([\d,]+) inputs generated per run by hypothesis \((\d+) IDX reader properties "
        r"× up to (\d+)\s+examples; (\d+) command-line properties: up to (\d+) each for `linreg` "
        r"and `softmax`, (\d+) for `predict`\)",
        README.read_text(encoding="utf-8"),
    )
    idx, cli = properties(test_idx_fuzz), properties(test_cli_fuzz)
    assert set(idx.values()) == {test_idx_fuzz.EXAMPLES}
    assert quoted == [
        (
            f"{sum(idx.values()) + sum(cli.values()):,}",
            str(len(idx)),
            str(test_idx_fuzz.EXAMPLES),
            str(len(cli)),
            str(cli["test_any_linreg_command_line"]),
            str(cli["test_any_predict_command_line"]),
        )
    ]
    assert cli["test_any_softmax_command_line"] == cli["test_any_linreg_command_line"]
    per_run = re.findall(
        r"; (\d+), (\d+) and (\d+) per run\)", (DOCS / "reliability.md").read_text()
    )
    assert per_run == [
        tuple(str(cli[f"test_any_{c}_command_line"]) for c in ("linreg", "softmax", "predict"))
    ]
