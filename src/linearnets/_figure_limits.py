"""How many images one figure draws (D2L §3.5.1's grids, predict's figures): the bound that
:mod:`linearnets.plotting` enforces (``linearnets.plotting.images.MAX_SHOW``) and the command
line's ``-n`` takes (``data show``, ``predict``).

The plotting layer owns it; it lives in this module of its own, importing nothing, so that the
command line reads it for its ``--help`` without loading :mod:`linearnets.plotting`, whose
package imports torch and NumPy.
"""

from __future__ import annotations

__all__ = ["MAX_SHOW"]

# wider figures are unreadable, slow (10,000 images: minutes) and too large for PIL to open
MAX_SHOW = 100
