"""What the command writes for a character its output cannot encode (unit tests of
cli/_unencodable.py): the command's own words in ASCII, anything else as an escape of fixed
length."""

from __future__ import annotations

import codecs
import io
import sys

import pytest

from linearnets.cli._unencodable import (
    ERRORS,
    as_written,
    escape_what_cannot_be_shown,
    spelt_for,
    spelt_in_ascii,
)


@pytest.fixture(autouse=True)
def _registered() -> None:
    codecs.register_error(ERRORS, spelt_in_ascii)


@pytest.mark.parametrize(
    ("text", "written"),
    [
        # the command's own words: backslashreplace wrote \xa73.2, 28\xd728, an escape running
        # into the digits after it
        ("(§3.2–3.3)", "(section 3.2-3.3)"),
        ("28×28", "28x28"),
        ("batch_size × resize²", "batch_size x resize^2"),
        ("10⁻⁸ examples, 10⁸ more", "10^-8 examples, 10^8 more"),
        ("Xᵀ", "X^T"),
        ("≥ 1 — or …", ">= 1 -- or ..."),
        ("⌈B / W⌉", "ceil(B / W)"),
        # anything else, as an escape no digit after it extends: not r\xfc2
        ("rü2", "r\\u00fc2"),
        ("日本", "\\u65e5\\u672c"),
        ("a😀1", "a\\U0001f6001"),
        ("plain", "plain"),
    ],
)
def test_what_ascii_cannot_encode_is_spelt_or_escaped(text: str, written: str) -> None:
    assert text.encode("ascii", errors=ERRORS).decode("ascii") == written


def test_a_character_the_encoding_has_is_written_as_it_is() -> None:
    """Latin-1 has § and ×: only what it lacks is spelt."""
    assert "§3.2, 28×28 → 日".encode("latin-1", errors=ERRORS) == "§3.2, 28×28 -> \\u65e5".encode(
        "latin-1"
    )


@pytest.mark.parametrize(
    ("encoding", "spelt"),
    [
        ("ascii", "(section 3.6-3.7) 28x28 r\\u00fc2"),
        ("latin-1", "(§3.6-3.7) 28×28 rü2"),  # Latin-1 has §, × and ü, not the en dash
        ("utf-8", "(§3.6–3.7) 28×28 rü2"),
    ],
)
def test_a_text_is_spelt_as_a_stream_of_its_encoding_writes_it(encoding: str, spelt: str) -> None:
    """What the help is wrapped as (cli/_help_formatter.py): written again, it is as it was."""
    assert spelt_for("(§3.6–3.7) 28×28 rü2", encoding) == spelt
    assert spelt.encode(encoding, errors=ERRORS).decode(encoding) == spelt


_RUNS = ("2³⁰", "10⁻¹⁵", "x²⁰ and y³", "a⁰¹b", "¹⁰", "Xᵀ")


@pytest.mark.parametrize(
    ("encoding", "spelt"),
    [
        ("ascii", ("2^30", "10^-15", "x^20 and y^3", "a^01b", "^10", "X^T")),
        # Latin-1 and cp1252 have ¹²³ and no other superscript: a run with any other is spelt
        # whole (not 2³0, 2 cubed then 0, nor 10^-¹5); y³, all of it encodable, is left
        ("latin-1", ("2^30", "10^-15", "x^20 and y³", "a^01b", "^10", "X^T")),
        ("cp1252", ("2^30", "10^-15", "x^20 and y³", "a^01b", "^10", "X^T")),
        ("utf-8", _RUNS),
    ],
)
def test_a_run_of_superscripts_is_spelt_whole(encoding: str, spelt: tuple[str, ...]) -> None:
    assert tuple(spelt_for(text, encoding) for text in _RUNS) == spelt
    assert tuple(spelt_for(text, encoding) for text in spelt) == spelt  # written again, as it is


@pytest.mark.parametrize(
    ("encoding", "written"),
    [
        ("ascii", ("2^30", "10^-15", "x^20 and y^3", "a^01b", "^10", "X^T")),
        # a stream writes 2³ before the handler sees ⁰: the rest is escaped, never 2³0
        ("latin-1", ("2³\\u2070", "10^-15", "x²\\u2070 and y³", "a^01b", "¹\\u2070", "X^T")),
        ("cp1252", ("2³\\u2070", "10^-15", "x²\\u2070 and y³", "a^01b", "¹\\u2070", "X^T")),
        ("utf-8", _RUNS),
    ],
)
def test_a_stream_never_writes_a_run_that_misreads(encoding: str, written: tuple[str, ...]) -> None:
    """The handler alone (a stream's): a run it sees from its start is spelt whole, ¹⁵ after ⁻
    included; one whose start the stream has written already is escaped from there."""
    assert tuple(text.encode(encoding, errors=ERRORS).decode(encoding) for text in _RUNS) == (
        written
    )


def test_a_decoding_error_is_not_the_handlers() -> None:
    with pytest.raises(UnicodeDecodeError):
        b"\xff".decode("ascii", errors=ERRORS)


def test_the_commands_streams_spell_what_they_cannot_encode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stream of the command (stdout, stderr) that cannot encode ü writes it as r\\u00fc2,
    rather than failing a finished run; one that cannot be reconfigured is left as it is."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # no reconfigure(): left alone
    escape_what_cannot_be_shown()
    print("run folder: rü2 (§3.6)", file=sys.stdout)
    out.flush()
    assert out.buffer.getvalue() == b"run folder: r\\u00fc2 (section 3.6)\n"  # type: ignore[attr-defined]


def test_as_written_is_the_text_a_stream_writes() -> None:
    """What a label's column is measured on: its escapes where the stream cannot encode it."""
    ascii_out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    utf8_out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert as_written("T恤 (§3.6)", ascii_out) == "T\\u6064 (section 3.6)"
    assert as_written("T恤 (§3.6)", utf8_out) == "T恤 (§3.6)"
