"""The mirrors a download may use: the defaults, and base URLs accepted (D2L §3.5.1).

The refusals (no http(s), a login, a query, a fragment, control characters) are tested through
``download_fashion_mnist`` in ``test_download.py``, where they must come before any folder is made.
"""

from __future__ import annotations

from linearnets.data.mirrors import DEFAULT_MIRRORS, check_mirrors


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
