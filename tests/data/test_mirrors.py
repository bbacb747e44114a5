"""The mirrors a download may use: the defaults, and base URLs accepted (D2L §3.5.1).

The refusals (no http(s), a login, a query, a fragment, control characters) are tested through
``download_fashion_mnist`` in ``test_download.py``, where they must come before any folder is made;
how a refused value is shown, its logins masked, here.
"""

from __future__ import annotations

from typing import Any

import pytest

from linearnets.data.mirrors import DEFAULT_MIRRORS, check_mirrors
from linearnets.errors import UsageError

_NO_URL = "mirrors must be http:// or https:// URLs with a host (and a valid port), got"
_EXAMPLE = "pass e.g. 'https://ossci-datasets.s3.amazonaws.com/fashion-mnist/'"


def test_default_mirrors() -> None:
    assert DEFAULT_MIRRORS == (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://ossci-datasets.s3.amazonaws.com/fashion-mnist/",
    )


def test_https_and_http_mirrors_with_a_host_and_port_are_accepted() -> None:
    urls = ("https://example.org/fashion-mnist/", "http://[::1]:8080/")
    assert check_mirrors(list(urls)) == urls


def test_an_iterator_of_mirrors_is_read_once_into_the_tuple_returned() -> None:
    """The URLs to try are the tuple returned: a generator is used up by the check."""
    urls = ("https://example.org/fashion-mnist/", "http://[::1]:8080/")
    given = iter(urls)
    assert check_mirrors(given) == urls
    assert next(given, None) is None


@pytest.mark.parametrize(
    ("mirror", "shown"),
    [
        ("me:pa's3cret@h/fm/", "'***@h/fm/'"),  # was "me:pa'***@h/fm/": masked from the quote
        ("http://me:pa s3cret@h/fm/", "'http://***@h/fm/'"),  # shown whole: a URL ended at the blank
        ("me:s3cret@h/?next=http://x/", "'***@h/?next=http://x/'"),  # shown whole: a scheme, later
        ("h/fm@v2/", "'h/fm@v2/'"),  # an @ in the path, no login: was '***@v2/'
        ("http://h/it's a@b/", '"http://h/it\'s a@b/"'),  # was "http://h/it'***@b/"
    ],
    ids=["a quote", "a blank", "a scheme in the query", "an @ in the path", "a quote in the path"],
)  # fmt: skip
def test_a_login_is_masked_in_each_string_not_from_a_quote_of_the_repr(
    mirror: str, shown: str
) -> None:
    with pytest.raises(UsageError) as info:
        check_mirrors([mirror])
    if mirror == "http://h/it's a@b/":  # a URL once its space is percent-encoded: told so
        expected = (
            "mirrors must be URLs without spaces, as HTTP sends them, got "
            f'{shown}; pass it percent-encoded: "http://h/it\'s%20a@b/"'
        )
    elif mirror == "h/fm@v2/":  # the host h, its scheme missing: told the URL with it
        expected = f"{_NO_URL} {shown}; add http:// before it: 'http://h/fm@v2/'"
    else:
        expected = f"{_NO_URL} {shown}; {_EXAMPLE}"
    assert str(info.value) == expected
    assert "s3cret" not in str(info.value) and "me:" not in str(info.value)


@pytest.mark.parametrize(
    ("mirrors", "shown"),
    [
        ((["me:s3cret@h/", ("me:s3cret@h/",)],), "['***@h/', ('***@h/',)]"),
        ([{"me:s3cret@h/": b"me:s3cret@h/"}], "{'***@h/': b'***@h/'}"),
        ([{"me:s3cret@h/"}], "{'***@h/'}"),
        ([bytearray(b"me:s3cret@h/")], "bytearray(b'***@h/')"),
    ],
    ids=["a tuple in a list", "a dict", "a set", "a bytearray"],
)
def test_a_login_is_masked_at_any_depth(mirrors: Any, shown: str) -> None:
    with pytest.raises(UsageError) as info:
        check_mirrors(mirrors)
    assert f"got {shown}; " in str(info.value)
    assert "s3cret" not in str(info.value)


def test_a_list_holding_itself_is_shown_as_python_shows_it() -> None:
    mirrors: list[Any] = ["me:s3cret@h/"]
    mirrors.append(mirrors)
    with pytest.raises(UsageError, match=r"got \['\*\*\*@h/', \[\.\.\.\]\];"):
        check_mirrors([mirrors])


@pytest.mark.parametrize(
    ("mirrors", "said"),
    [
        (
            "http://127.0.0.1:9/fm/",
            "FashionMNIST.mirrors must be a non-empty list of base URLs, got "
            "'http://127.0.0.1:9/fm/'; set e.g. FashionMNIST.mirrors = "
            f"{list(DEFAULT_MIRRORS)!r}",
        ),
        (
            iter([]),
            "FashionMNIST.mirrors must be a non-empty list of base URLs, got an iterator that "
            "gave no URLs (an iterator gives its URLs once: set FashionMNIST.mirrors to a list); "
            f"set e.g. FashionMNIST.mirrors = {list(DEFAULT_MIRRORS)!r}",
        ),
        (
            ["ftp://x/"],
            f"FashionMNIST.{_NO_URL} 'ftp://x/'; set e.g. FashionMNIST.mirrors = "
            "['https://ossci-datasets.s3.amazonaws.com/fashion-mnist/']",
        ),
        (
            ["http://h/a b/"],
            "FashionMNIST.mirrors must be URLs without spaces, as HTTP sends them, got "
            "'http://h/a b/'; set it percent-encoded: 'http://h/a%20b/'",
        ),
    ],
)
def test_bad_mirrors_from_a_setting_are_refused_naming_it_and_set_in_the_example(
    mirrors: Any, said: str
) -> None:
    """Mirrors read from the class attribute, not passed: the refusal names FashionMNIST.mirrors
    and sets it in its example, not "pass e.g. mirrors=[...]", an argument the caller lacks."""
    with pytest.raises(UsageError) as info:
        check_mirrors(mirrors, setting="FashionMNIST.mirrors")
    assert str(info.value) == said
