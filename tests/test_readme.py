"""The README's Python example runs as printed (on the real Fashion-MNIST) and shows what it says, and
the figures it and docs/ quote from the suite and from the command are the suite's and the command's."""

from __future__ import annotations

import re
import statistics
from decimal import ROUND_HALF_UP, Decimal
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
        r"and\s+([\d.]+)\s+after\s+10\s+epochs\s+with\s+the\s+command's\s+defaults\s+\(`--seed 0`;\s+([\d.]+)\s+after\s+3\)",
        (DOCS / "speed.md").read_text(encoding="utf-8"),
    )
    gpu = re.findall(
        r"to\s+the\s+CPU's\s+train\s+loss\s+([\d.]+)\s+and\s+test\s+accuracy\s+([\d.]+)",
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
        r"plus\s+up\s+to\s+([\d,]+)\s+inputs\s+generated\s+per\s+run\s+by\s+hypothesis\s+\((\d+)\s+IDX\s+"
        r"reader\s+properties\s+×\s+up\s+to\s+(\d+)\s+examples;\s+(\d+)\s+command-line\s+properties:\s+"
        r"up\s+to\s+(\d+)\s+each\s+for\s+`linreg`\s+and\s+`softmax`,\s+(\d+)\s+for\s+`predict`\)",
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
        r";\s+(\d+),\s+(\d+)\s+and\s+(\d+)\s+per\s+run\)", (DOCS / "reliability.md").read_text()
    )
    assert per_run == [
        tuple(str(cli[f"test_any_{c}_command_line"]) for c in ("linreg", "softmax", "predict"))
    ]


def test_the_options_docs_cli_lists_are_each_subcommands_with_its_defaults_and_choices() -> None:
    """docs/cli.md's option lists name every option `--help` shows (but -h and --debug, said
    apart) and no other, with `--help`'s defaults and choices where it gives them."""
    import argparse

    from linearnets.cli import build_parser

    def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return dict(actions[0].choices) if actions else {}

    top = subparsers(build_parser())
    parsers = {**top, **{f"data {n}": p for n, p in subparsers(top["data"]).items()}}

    def options(command: str) -> dict[str, argparse.Action]:
        return {
            a.option_strings[-1]: a
            for a in parsers[command]._actions
            if a.option_strings and a.option_strings[-1] not in {"--help", "--debug"}
        }

    def named(text: str) -> set[str]:
        return set(
            re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", " ".join(re.findall(r"`([^`]+)`", text)))
        )

    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    softmax = re.search(
        r"`linearnets softmax` creates a run folder(.*?)\n\nEvery subcommand", text, re.S
    )
    assert softmax is not None, "the softmax options' paragraph"
    listed = softmax.group(1)
    while re.search(r"\([^()]*\)", listed):  # asides: `--threads 2`, `--plot none` are examples
        listed = re.sub(r"\([^()]*\)", "", listed)
    assert named(listed) == set(options("softmax"))
    for word in re.findall(r"`(--[a-z-]+ [a-z0-9.|]+)`", listed):
        option, value = word.split(" ")
        action = options("softmax")[option]
        if "|" in value:
            assert set(value.split("|")) == set(action.choices or ()), option
        else:
            default = re.search(r"default: ([^\s:;)]+)", action.help or "")
            assert default is not None and value == default.group(1), option
    linreg = re.search(r"\(`linreg`\s+takes(.*?);\s+`predict`", text, re.S)
    assert linreg is not None and named(linreg.group(1)) == set(options("linreg"))
    impl = re.search(r"`--impl ([a-z|]+)`", linreg.group(1))
    assert impl is not None and set(impl.group(1).split("|")) == set(
        options("linreg")["--impl"].choices or ()
    )
    shown = re.search(
        r"`predict`\s+and\s+`data show`\s+take\s+(.*?),\s+and\s+`predict`\s+also\s+(.*?);",
        text,
        re.S,
    )
    assert shown is not None
    assert named(shown.group(1)) == set(options("data show"))
    assert named(shown.group(1)) | named(shown.group(2)) == set(options("predict"))
    lang = re.search(r"`--lang ([a-z|]+)`", shown.group(1))
    assert lang is not None and set(lang.group(1).split("|")) == set(
        options("predict")["--lang"].choices or ()
    )
    data = re.search(
        r"`data`\s+and\s+`data download`\s+take\s+(.*?),\s+and\s+`data download`\s+also\s+(.*?)\)",
        text,
        re.S,
    )
    assert data is not None
    assert named(data.group(1)) == set(options("data"))
    assert named(data.group(1)) | named(data.group(2)) == set(options("data download"))


def test_reliabilitys_count_of_damaged_checkpoints_is_the_tables() -> None:
    """docs/reliability.md's "a table of 46 damaged files ...: 10 that cannot be read or are no
    current linearnets checkpoint ... and 36 that load but hold hand-edited values" counts the rows
    of tests/training/test_checkpoint.py's table, the hand edits being its `_edited(...)` ones."""
    from training import test_checkpoint

    table = test_checkpoint.test_bad_files_raise_checkpoint_error_naming_the_file
    marks = [m for m in table.pytestmark if m.name == "parametrize"]
    rows = marks[0].args[1]
    edited = [d for d, _ in rows if d.__qualname__.startswith("_edited.")]
    quoted = re.findall(
        r"a\s+table\s+of\s+(\d+)\s+damaged\s+files.*?:\s+(\d+)\s+that\s+cannot\s+be\s+read.*?"
        r"and\s+(\d+)\s+that\s+load\s+but\s+hold\s+hand-edited\s+values",
        (DOCS / "reliability.md").read_text(encoding="utf-8"),
    )
    assert quoted == [(str(len(rows)), str(len(rows) - len(edited)), str(len(edited)))]


_UNITS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70}


def _ordinal(word: str) -> int:
    """Return the number an ordinal word names: 'twelfth' 12, 'fortieth' 40, 'forty-sixth' 46."""
    word = word.lower()
    if word in _UNITS:
        return _UNITS[word]
    if word.endswith("ieth"):
        return _TENS[word[: -len("ieth")] + "y"]
    tens, _, unit = word.partition("-")
    return _TENS[tens] + _UNITS[unit]


def _recorded_softmax_blocks() -> dict[int, list[str]]:
    """Each session from the twelfth on (by number) with the output of each of its runs of
    bench/bench_softmax.py: the sections of RESULTS.md's softmax part ('### DATE, Nth session'),
    and the later sessions' own parts ('## Nth session (DATE)'), which the table once stopped
    short of."""
    text = (README.parent / "bench" / "RESULTS.md").read_text(encoding="utf-8")
    part = text[text.index("## Softmax regression epochs") : text.index("## The command's start")]
    sections = [
        (named.group(1), section)
        for section in re.split(r"^### ", part, flags=re.M)[1:]
        if (named := re.match(r"[^\n]*?, ([a-z-]+) session", section))
    ]
    sections += [
        (named.group(1), section)
        for section in re.split(r"^## ", text, flags=re.M)[1:]
        if (named := re.match(r"([A-Z][a-z-]+) session \(", section))
    ]
    sessions: dict[int, list[str]] = {}
    for word, section in sections:
        if _ordinal(word) >= 12:
            blocks = re.findall(r"```\n((?:2 cores|\s*book \(workers=).*?)```", section, flags=re.S)
            sessions.setdefault(_ordinal(word), []).extend(blocks)
    assert all(sessions.values()), "a session with no run of bench_softmax.py"
    return sessions


def _recorded_softmax_runs() -> dict[int, list[list[str]]]:
    """Each session's runs (see :func:`_recorded_softmax_blocks`), each as the six cells
    docs/speed.md's table gives it: the book's s/epoch, the four ratios, the command."""
    sessions: dict[int, list[list[str]]] = {}
    for number, blocks in _recorded_softmax_blocks().items():
        runs = sessions.setdefault(number, [])
        for block in blocks:
            book = re.search(r"book \(workers=\d+\):\s+([\d.]+) s/epoch", block)
            ratios = [
                re.search(rf"{impl}:[^\n]*?([\d.]+)x faster", block)
                for impl in ("analytic", "scratch", "concise", r"book code \+ d2l")
            ]
            command = re.search(
                r"command[^\n]*median ([\d.]+) s \(from ([\d.]+) to ([\d.]+)\)", block
            )
            assert book and all(ratios) and command, block
            seconds = Decimal(book.group(1)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            median, low, high = command.groups()
            cells = [f"{r.group(1)}×" for r in ratios if r]
            runs.append([str(seconds), *cells, f"{median} s ({low}–{high})"])
    return sessions


def test_speeds_fastest_rounds_of_analytic_are_each_run_s_from_bench_results() -> None:
    """docs/speed.md's sentence on `analytic`'s fastest round against the book's median, from the
    22nd session on, gives each run's as bench/RESULTS.md prints it ('fastest 0.093 s, 43.0x'),
    and says what it is."""
    recorded = {
        number: [re.findall(r"analytic:[^\n]*fastest [\d.]+ s, ([\d.]+)x", b)[0] for b in blocks]
        for number, blocks in _recorded_softmax_blocks().items()
        if number >= 22
    }
    text = " ".join((DOCS / "speed.md").read_text(encoding="utf-8").split())
    sentence = re.search(
        r"fastest round against the book's median epoch \(the book's median s/epoch over the fastest "
        r"of our rounds; not a round against a round\)\. For `analytic`: (.*?)\.(?: |$)",
        text,
    )
    assert sentence, "the sentence"
    said = {
        int(number): re.findall(r"([\d.]+)×", ratios)
        for ratios, number in re.findall(
            r"((?:[\d.]+×(?:,? and |, )?)+) in the (\d+)(?:st|nd|rd|th)", sentence.group(1)
        )
    }
    assert said == recorded


def test_readme_s_figures_of_the_43rd_to_46th_sessions_are_their_runs() -> None:
    """The README's sentence on the 43rd to 46th sessions' runs: the count, the book's range,
    `analytic`'s range and median, the least ratio of any implementation, the command's range,
    each computed from bench/RESULTS.md."""
    runs = [run for n, r in _recorded_softmax_runs().items() if 43 <= n <= 46 for run in r]
    number = [[float(cell.split("×")[0].split(" s")[0]) for cell in run] for run in runs]
    book, analytic, command = ([run[i] for run in number] for i in (0, 1, 5))
    least = min(min(run[1:5]) for run in number)
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert (
        f"Over the {len(runs)} runs of the forty-third to forty-sixth sessions (the book at "
        f"{min(book):.2f}–{max(book):.2f} s an epoch): `analytic` {min(analytic)}–{max(analytic)}× "
        f"(median {statistics.median(analytic):.2f}×), every implementation {least}× or more, the "
        f"command {min(command):.2f}–{max(command):.2f} s."
    ) in text


def test_speeds_table_of_later_sessions_gives_each_run_as_bench_results_records_it() -> None:
    """Each row of docs/speed.md's table of later sessions holds, for each run of its session in
    bench/RESULTS.md, the book's s/epoch, the four ratios and the command's median with its range
    (six rows once gave the command's medians alone)."""
    recorded = _recorded_softmax_runs()
    rows = re.findall(
        r"^\| (\d+)(?:st|nd|rd|th) \((?:[^|]*)\|(.*)\|$",
        (DOCS / "speed.md").read_text(encoding="utf-8"),
        flags=re.M,
    )
    assert [int(n) for n, _ in rows] == sorted(recorded)  # every session recorded, in order
    for n, cells in rows:
        runs = recorded[int(n)]
        expected = [", ".join(run[i] for run in runs) for i in range(6)]
        assert [c.strip() for c in cells.split("|")] == expected, f"session {n}"


def test_speeds_concise_against_the_books_scratch_code_counts_every_recorded_run() -> None:
    """docs/speed.md gave `concise` against the book's §3.2 code "over the 40 runs that print it,
    2026-11-29 to 2026-12-05", where bench/RESULTS.md holds 42, the first of 2026-11-25: the count,
    the range, the median and the dates are computed from it (each run dated by the last date said
    before its block)."""
    lines = (README.parent / "bench" / "RESULTS.md").read_text(encoding="utf-8").splitlines()
    ratios, dates = [], []
    for number, line in enumerate(lines):
        run = re.match(
            r" *concise: .* speed-up ([\d.]+)x(?: against the book's §3\.3 concise code, "
            r"([\d.]+)x against its §3\.2 code from scratch)?$",
            line,
        )
        if run:
            ratios.append(float(run[2] or run[1]))
            said = next(
                d for d in (re.findall(r"20\d\d-\d\d-\d\d", t) for t in lines[number::-1]) if d
            )
            dates.append(said[-1])
    text = " ".join((DOCS / "speed.md").read_text(encoding="utf-8").split())
    assert (
        f"**`concise` is slower than the book's §3.2 code from scratch**: {min(ratios)}–"
        f"{max(ratios)}× (median {statistics.median(ratios)}×) over the {len(ratios)} runs that "
        f"print it, {min(dates)} to {max(dates)}."
    ) in text


def test_readmes_input_pipeline_row_is_bench_datas_last_run_of_the_books_own_steps() -> None:
    """The README's one-pass row gives the last run in bench/RESULTS.md of bench_data.py timing
    torchvision's per-item steps as they are (its earlier runs timed a shortcut of them)."""
    text = (README.parent / "bench" / "RESULTS.md").read_text(encoding="utf-8")
    runs = re.findall(
        r"book \(torchvision's FashionMNIST \+ ToTensor per item, DataLoader, 0 workers\):\s+([\d.]+) s\n"
        r"\s+linearnets load_data_fashion_mnist\(256\)\s+:\s+([\d.]+) s\n\s+ratio: ([\d.]+)x",
        text,
    )
    assert runs, "a run of bench_data.py on the book's own steps"
    book, ours, ratio = runs[-1]
    row = re.findall(
        r"^\| one pass over the 60,000 training images [^|]*\| ([\d.]+) s \| ([\d.]+) s \| ([\d.]+)× \|$",
        README.read_text(encoding="utf-8"),
        flags=re.M,
    )
    assert row == [(book, ours, ratio)]


def test_speeds_opening_names_each_source_of_its_figures() -> None:
    """docs/speed.md once said every figure in it came from `make bench`, but some come from
    one-off A/B scripts (bench/RESULTS.md says so) and the GPU ones from a lent machine."""
    text = " ".join((DOCS / "speed.md").read_text(encoding="utf-8").split())
    opening = text.split("## In short")[0]
    assert "Every figure here was measured by `make bench`" not in opening
    for source in ("`make bench`", "one-off A/B scripts", "`bench/gpu_check.sh`", "by hand"):
        assert source in opening, source
    results = (README.parent / "bench" / "RESULTS.md").read_text(encoding="utf-8")
    assert "one-off A/B scripts" in " ".join(results.split())
    assert "gpu_check.sh" in results


def test_speeds_accuracy_claims_no_ten_epoch_figure_of_the_books_pipeline() -> None:
    """No benchmark trains the book's pipeline 10 epochs (bench_softmax.py runs 3): docs/speed.md's
    accuracy gives the book's 3-epoch figure beside ours, as every recorded run prints them."""
    text = " ".join((DOCS / "speed.md").read_text(encoding="utf-8").split())
    accuracy = text.split("## Accuracy")[1].split("## ")[0]
    assert "reaches the book's accuracy" not in text
    said = re.search(
        r"the book's pipeline reaches test accuracy ([\d.]+) and every linearnets implementation "
        r"([\d.]+)",
        accuracy,
    )
    assert said, "the 3-epoch comparison"
    results = (README.parent / "bench" / "RESULTS.md").read_text(encoding="utf-8")
    book = set(re.findall(r"book \(workers=\d+\): +[\d.]+ s/epoch +test acc ([\d.]+)", results))
    ours = set(re.findall(r"linearnets \w+: +[\d.]+ s/epoch +test acc ([\d.]+)", results))
    assert {said[1]} == book and {said[2]} == ours


def test_speeds_gpu_epochs_are_the_medians_of_each_h200_run() -> None:
    """docs/speed.md's GPU epochs, for each of the three H200 leases in order: the range of the
    linearnets implementations' medians and the book's code's median on the host's CPU, as
    bench/RESULTS.md's runs print them (the first lease's range once began at a fastest round)."""
    text = (README.parent / "bench" / "RESULTS.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)
    runs = [s for s in sections if s.startswith("On a GPU")]
    assert len(runs) == 3 and "The one session lent a GPU machine" not in text

    def cents(value: str) -> str:
        return str(Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP))

    expected = []
    for section in runs:
        ours = re.findall(r"linearnets \w+: +([\d.]+) s/epoch", section)
        book = re.findall(r"book code \+ d2l: +([\d.]+) s/epoch", section)
        assert len(ours) == 3 and len(book) == 1
        low, high = min(ours, key=float), max(ours, key=float)
        expected.append((cents(low), cents(high), cents(book[0])))
    speed = " ".join((DOCS / "speed.md").read_text(encoding="utf-8").split())
    ranges = re.findall(r"(\d\.\d\d)–(\d\.\d\d) s(?: an epoch on the GPU)? \(medians", speed)
    books = re.findall(r"(\d\.\d\d) s \(median\)", speed)
    assert [(*r, b) for r, b in zip(ranges, books, strict=True)] == expected


def test_the_readme_and_cli_docs_give_the_confusion_figures_class_limit_the_code_has() -> None:
    """Both say confusion.png is drawn up to MAX_DRAWN_CLASSES classes (it is left out past it)."""
    from linearnets.plotting.confusion import MAX_DRAWN_CLASSES

    readme = README.read_text()
    cli = " ".join((README.parent / "docs" / "cli.md").read_text().split())
    assert f"(`confusion.png` up to {MAX_DRAWN_CLASSES} classes, past which" in readme
    assert f"up to {MAX_DRAWN_CLASSES} classes, past which `per_class.txt` says why" in cli
