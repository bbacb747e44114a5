"""``python -m linearnets``: the same as the ``linearnets`` command."""

from linearnets.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
