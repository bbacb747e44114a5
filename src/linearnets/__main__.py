"""``python -m linearnets``: the same as the ``linearnets`` command."""

from linearnets._command import entry

if __name__ == "__main__":
    entry()
