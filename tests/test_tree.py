"""The checkout's own text files hold no unresolved merge: a conflict marker left in README.md's
count paragraph once reached main unnoticed, as no test reads the lines around the figures."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the folders and files a change is made in (not .venv, build outputs or the data)
TRACKED = ("src", "tests", "docs", "bench", "scripts", ".ci")
TOP_FILES = ("README.md", "Makefile", "pyproject.toml")
SUFFIXES = {".py", ".md", ".toml", ".sh", ".txt", ".cfg", ".ini", ".yml", ".yaml", ""}
MARKERS = ("<<<<<<< ", ">>>>>>> ", "||||||| ")


def _text_files() -> list[Path]:
    files = [ROOT / name for name in TOP_FILES if (ROOT / name).is_file()]
    for folder in TRACKED:
        files += [
            path
            for path in sorted((ROOT / folder).rglob("*"))
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts
        ]
    return files


def _markers(path: Path, *, root: Path = ROOT) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return []
    return [
        f"{path.relative_to(root)}:{number}: {line[:60]}"
        for number, line in enumerate(text.splitlines(), 1)
        if line.startswith(MARKERS)
    ]


def test_no_file_holds_a_merge_conflict_marker() -> None:
    files = _text_files()
    assert ROOT / "README.md" in files and len(files) > 100  # the walk found the checkout
    assert [marker for path in files for marker in _markers(path)] == []


def test_a_marker_is_found_where_one_is_left(tmp_path: Path) -> None:
    left = tmp_path / "x.md"
    left.write_text("a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> 1234abcd (msg)\n", encoding="utf-8")
    assert _markers(left, root=tmp_path) == [
        "x.md:2: <<<<<<< HEAD",
        "x.md:6: >>>>>>> 1234abcd (msg)",
    ]
