"""What the benchmarks print about the machine they ran on."""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import os
import platform
import stat
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linearnets.data.fashion_mnist import FashionMNISTArrays
    from linearnets.data.files import NotFoundError


def cpu_name() -> str:
    """Return the CPU's model name from ``/proc/cpuinfo`` ("AMD EPYC"), else what Python knows."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:  # not Linux
        lines = []
    names = (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    return next(names, platform.processor() or platform.machine() or "?")


def read_data() -> FashionMNISTArrays:
    """Return Fashion-MNIST's arrays as linearnets finds and reads them, or end the script in one
    line after its name where the data or the environment is wrong: a ``LINEARNETS_DATA`` (or
    ``LINEARNETS_CACHE_DIR``) naming no folder, in linearnets' words, which name the variable and
    its fix (exit status 2); the files missing, misplaced or damaged, in linearnets' words with
    their fix (exit status 1). Where that fix is to download them into a folder and pass it as
    ``root=`` (``--data-dir``), which the scripts do not take, it is to point ``LINEARNETS_DATA``
    at them instead; linearnets' other fixes are kept (set ``LINEARNETS_DATA`` to torchvision's
    root, gunzip a file gzipped twice, put each file under its own name, install the Debian
    package). Any other error, linearnets' or not, is the script's bug and keeps its traceback (a
    bad internal call ``build_softmax(impl, lr=0.0)`` was told as a usage error, "pass e.g. --lr
    0.1", with none)."""
    from linearnets.data.fashion_mnist import read_fashion_mnist
    from linearnets.data.files import NotFoundError
    from linearnets.errors import DatasetError, UsageError

    prog = os.path.basename(sys.argv[0])
    try:
        return read_fashion_mnist()
    except UsageError as exc:  # read with no argument: a setting of the environment
        print(f"{prog}: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except NotFoundError as exc:
        print(f"{prog}: error: {_not_found(exc)}", file=sys.stderr)
        raise SystemExit(1) from None
    except DatasetError as exc:
        print(f"{prog}: error: {_unreadable(str(exc))}", file=sys.stderr)
        raise SystemExit(1) from None


# the scripts' way to the files, where linearnets' passes root=DIR (--data-dir), which they lack
_POINT_AT_THEM = (
    "set LINEARNETS_DATA to a folder holding the four Fashion-MNIST *-ubyte.gz files ('linearnets "
    "data download --data-dir DIR' fetches them into DIR where a network exists)"
)


def _not_found(exc: NotFoundError) -> str:
    """Say that no place holds the files, with linearnets' fix where it is a setting of
    ``LINEARNETS_DATA`` (the files are there, misplaced), else the Debian package's install or
    :data:`_POINT_AT_THEM`."""
    from linearnets.data.folder_contents import GET_PACKAGE

    if exc.misplaced:  # "set LINEARNETS_DATA to /x/dl, torchvision's root above FashionMNIST/raw/"
        return str(exc)
    return f"{exc.what} not found (searched {exc.searched}); {GET_PACKAGE}, or {_POINT_AT_THEM}"


def _unreadable(reason: str) -> str:
    """Return ``reason``, a reading error of the files found, with :data:`_POINT_AT_THEM` for the
    fix that gets them again (:func:`~linearnets.data.files.without_replace_fix`); a fix of its
    own before that one is kept ("put each file under its own name"), and so is one that is all
    its own ("gunzip it once: ..."). The Debian package's own folder read keeps its first fix,
    the package's reinstall, with :data:`_POINT_AT_THEM` for a user without the rights to, and
    so does a link to its file under the file's own name (unset ``LINEARNETS_DATA``, the same
    damaged file is read); a link to another of its files is wrong itself, which the reinstall
    does not repair."""
    from linearnets.data.files import (
        REINSTALL,
        find_fashion_mnist,
        in_debian_package,
        without_replace_fix,
    )
    from linearnets.errors import LinearnetsError

    try:
        with warnings.catch_warnings():  # said once, by the reading
            warnings.simplefilter("ignore")
            found = find_fashion_mnist()  # the folder read: its fix is the one to take off
    except LinearnetsError:  # gone meanwhile
        return reason
    # the file the reason is about: its fix is how_to_replace's for it (a link into the package
    # among plain files gets the reinstall, the others a download); the one it names first, as
    # links into the package share that fix
    named = sorted(found.paths.values(), key=lambda path: not reason.startswith(f"{path}:"))
    for path in named:
        problem = without_replace_fix(reason, path)
        if problem != reason:
            break
    else:
        return reason
    # the package's own folder read (a link to it too), or a link to the package's file for the
    # name it is read under: the reinstall needs no root=DIR, and unset, the same file is read. A
    # link to another of its files is the link's fault: a reinstall repairs no link, and unset,
    # the package's files are read
    if in_debian_package(path) and _links_to_its_own(path):
        return f"{problem}; {REINSTALL}; without the rights to, {_POINT_AT_THEM}"
    unset = ", or unset it (unset LINEARNETS_DATA) to search the usual places"
    return f"{problem}; {_POINT_AT_THEM}{unset if os.environ.get('LINEARNETS_DATA') else ''}"


def _links_to_its_own(path: Path) -> bool:
    """Return whether ``path``, a file of the Debian package once links are followed, is read
    from the package's file of its own name, with or without '.gz' (``t10k-labels-idx1-ubyte``
    holds the gzipped data too): the first hop of its links into the package's folder is judged,
    the user's link, not where the package's own links lead (its t10k-labels a link to its
    train-labels is the package's fault, which the reinstall repairs)."""
    from linearnets._paths import same_folder

    folder = Path(os.path.realpath(path)).parent  # the package's
    hop = path
    for _ in range(40):  # the kernel's most links on one path
        if same_folder(hop.parent, folder):
            return hop.name.removesuffix(".gz") == path.name.removesuffix(".gz")
        if not hop.is_symlink():
            break
        hop = hop.parent / os.readlink(hop)  # a relative target from the link's own folder
    return False


def at_least(minimum: int, *, at_most: int | None = None) -> Callable[[str], int]:
    """Return argparse's ``type`` for a whole number of at least ``minimum`` (``--repeats 0``
    would time nothing, and the medians end in a traceback), and at most ``at_most`` if given."""

    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if at_most is not None and value > at_most:
            raise argparse.ArgumentTypeError(f"must be at most {at_most}, got {value}")
        return value

    return whole_number


positive_int = at_least(1)


def thread_count(text: str) -> int:
    """Return ``text`` as a torch thread count linearnets takes (1 to its ``MAX_THREADS``, 1024):
    argparse's ``type`` for ``--threads``, which the timed ``linearnets softmax --threads N`` is
    given too (a count past it ended in that command's refusal, after the book's pipeline ran)."""
    from linearnets.config_checks import MAX_THREADS

    return at_least(1, at_most=MAX_THREADS)(text)


def positive_float(text: str) -> float:
    """Return ``text`` as a finite number above 0: argparse's ``type`` for sizes."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text!r}")
    return value


def torch_device(text: str) -> str:
    """Return ``text`` as the name of a torch device this machine has: argparse's ``type`` for
    ``--device`` (``cpu``, ``cuda``, ``cuda:N``, ``mps``; ``auto`` as the one linearnets picks).
    A name torch does not know, or CUDA on a CPU-only torch, ended in a traceback once the book's
    pipeline had run (a spawned worker's, in bench_scale.py); it is refused as the options are
    read. The name is checked by linearnets' own rule (``cpu:1``, which torch takes and linearnets
    refuses, ended in the timed command's refusal after the book's pipeline ran)."""
    import torch  # here: bench_startup.py's own process times nothing of it

    from linearnets.cli._cli_words import cli_spelling
    from linearnets.device import check_device_name, resolve_device
    from linearnets.errors import UsageError

    try:
        check_device_name(text)
        if text == "auto":
            return str(resolve_device(text))
    except UsageError as exc:  # in the command line's words: "pass --device cpu"
        # argparse names the option before it: "argument --device: must be one of ..."
        said = cli_spelling(str(exc)).removeprefix("--device ")
        raise argparse.ArgumentTypeError(said) from None
    try:
        device = torch.device(text)
    except (RuntimeError, TypeError):
        device = None
    if device is None or device.type not in ("cpu", "cuda", "mps"):
        raise argparse.ArgumentTypeError(f"must be cpu, cuda, cuda:N or mps, got {text!r}")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise argparse.ArgumentTypeError(
                f"CUDA is not available here (torch {torch.__version__} sees no CUDA GPU), got "
                f"{text!r}; pass --device cpu"
            )
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise argparse.ArgumentTypeError(
                f"this machine has {count} CUDA GPU{'s' if count > 1 else ''} (cuda:0 to "
                f"cuda:{count - 1}), got {text!r}; pass e.g. --device cuda:0"
            )
    mps = getattr(torch.backends, "mps", None)
    if device.type == "mps" and not (mps is not None and mps.is_available()):
        raise argparse.ArgumentTypeError(
            f"Apple's MPS is not available here, got {text!r}; pass --device cpu"
        )
    return str(device)


def output_file(text: str) -> Path:
    """Return ``text`` as a file the report can be written to: argparse's ``type`` for ``--out``.
    A missing folder, a folder given as the file, or one that cannot be written ended in a
    traceback after the whole benchmark had run; it is refused as the options are read. So is a
    name too long for the file system, a folder that cannot be searched (whose lookups raised
    OSError and PermissionError from here) and something not a regular file (``/dev/full``).
    Whether the file may exist is :func:`check_out`'s, after ``--force`` is read."""
    from linearnets.errors import UsageError
    from linearnets.path_checks import (
        cannot_search,
        expand_user,
        searchable_fix,
        unsearchable_folder,
    )

    try:
        path = expand_user("--out", text)  # and a name longer than its file system takes
    except UsageError as exc:  # argparse names the option before it: "argument --out: must ..."
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--out ")) from None
    blocked = unsearchable_folder(path)
    if blocked is not None:
        raise argparse.ArgumentTypeError(
            f"must be a file in a folder you can search, got {text!r}: {cannot_search(blocked)}; "
            f"{searchable_fix(blocked)}"
        )
    try:
        _check_output_file(path, text)
    except OSError as exc:  # what else the system says of it: a link that loops, ...
        raise argparse.ArgumentTypeError(
            f"must be a file you can write, got {text!r}: {exc.strerror or exc}"
        ) from None
    return path


def _check_output_file(path: Path, text: str) -> None:
    """Raise argparse's error for an ``--out`` ``path`` (given as ``text``) that cannot be written.
    A link is checked as the file it leads to, which ``--force`` writes: its own folder was checked,
    and a link into a folder that does not exist ran the whole benchmark, then failed. A folder on
    the path that is a link to nowhere is named as such."""
    from linearnets.path_checks import link_problem

    _refuse_a_loop(path, text)
    real = Path(os.path.realpath(path)) if path.is_symlink() else path
    shown = repr(text) if real is path else f"{text!r}, a link to {str(real)!r}"
    if path.is_dir() or text.endswith(("/", os.sep)):  # "new/": a folder's name
        what = "the folder" if path.is_dir() else "a folder's name,"
        raise argparse.ArgumentTypeError(
            f"must be a file to write, got {what} {text!r}; pass e.g. --out {path / 'report.md'}"
        )
    if not real.parent.is_dir():
        # a folder on the path that is a link to nowhere: "make it first" failed (File exists)
        broken = link_problem(real.parent)
        if broken is not None:
            raise argparse.ArgumentTypeError(
                f"must be a file in an existing folder, got {shown}: {broken}; make the folder it "
                "points to, or pass another --out"
            )
        what = "is not a folder" if real.parent.exists() else "does not exist (make it first)"
        raise argparse.ArgumentTypeError(
            f"must be a file in an existing folder, got {shown}: {str(real.parent)!r} {what}"
        )
    if path.exists() and not path.is_file():  # a device, a FIFO: no report to keep there
        raise argparse.ArgumentTypeError(
            f"must be a regular file, got {shown}, which is not one; pass e.g. --out report.md"
        )
    if not os.access(real.parent, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(
            f"must be a file you can write, got {shown}: the folder {str(real.parent)!r} is not "
            "writable"
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise argparse.ArgumentTypeError(
            f"must be a file you can write, got {shown}: {text if real is path else str(real)!r} "
            "is not writable"
        )


def _refuse_a_loop(path: Path, text: str) -> None:
    """Raise argparse's error where ``path`` (given as ``text``) is, or goes through, a link that
    loops (ELOOP), naming it: Path.exists says False of it, and ``--force`` replaced it by a file."""
    try:
        os.stat(path)
    except OSError as exc:  # none yet (ENOENT) is what a new report's name is
        if exc.errno == errno.ELOOP:
            which = "it is" if path.is_symlink() else "its path goes through"
            raise argparse.ArgumentTypeError(
                f"must be a file you can write, got {text!r}: {which} a link that loops "
                f"({exc.strerror}); remove the link, or pass another --out"
            ) from None


def add_out_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--out FILE``, which also writes the report there, and ``--force``, which lets it
    write over a file that exists (:func:`check_out`)."""
    parser.add_argument(
        "--out",
        type=output_file,
        default=None,
        help="also write the report to this file, which must not exist (but with --force)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write the --out report over the file there: written beside it with its "
        "permissions, then renamed over it (a failed write leaves it as it was; its other hard "
        "links keep the old report)",
    )


def check_out(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse an ``--out`` that exists unless ``--force``, and ``--force`` without ``--out``.

    ``--out bench/RESULTS.md`` wrote the report over every session's runs recorded there, with no
    word; a report is never written over unless asked.
    """
    if args.out is None:
        if args.force:
            parser.error("argument --force: only applies with --out FILE; drop --force")
        return
    if os.path.lexists(args.out) and not args.force:
        parser.error(
            f"argument --out: must be a file that does not exist yet, got {str(args.out)!r}, which "
            "does; pass --force to write over it, or another --out"
        )


def write_report(path: Path, text: str, *, force: bool) -> None:
    """Write ``text`` to ``path``: a new file (never one made meanwhile), or with ``force`` one
    written beside it and then renamed over it, so a failed write leaves the old one as it was.
    The file written beside it is made anew under a name no one can guess (``mkstemp``'s O_EXCL:
    ``.NAME.PID.tmp`` was opened through whatever link stood there), with the old file's
    permissions (they were widened, 600 to 644); the old file's other hard links keep the old
    report, as ``--force``'s help says.

    Raises:
        OSError: it could not be written (a full disk); nothing of it is left behind.
    """
    if not force:
        made = False
        try:
            with open(path, "x", encoding="utf-8") as f:  # FileExistsError: made while it ran
                made = True
                f.write(text)
        except BaseException:
            if made:  # made here a moment ago: nothing of the user's
                os.unlink(path)
            raise
        return
    target = Path(os.path.realpath(path))  # a link's file, not the link replaced by a copy
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:  # none there: a new file's mode, as open() would make it
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with open(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), mode)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename puts it in the old one's place
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def out_failure(prog: str, path: Path, exc: OSError) -> str:
    """Return the one line that says the report could not be written at the end of a run."""
    reason = exc.strerror or str(exc)
    return (
        f"{prog}: error: argument --out: {str(path)!r} could not be written ({reason}); the "
        "report is printed above: copy it from there, or run again with another --out"
    )
