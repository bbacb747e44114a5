#!/usr/bin/env bash
# Set up everything linearnets needs on a fresh Debian/Ubuntu machine; quick and safe to re-run.
#   scripts/setup.sh        runtime: venv, CPU torch, the package, Fashion-MNIST (Debian package)
#   scripts/setup.sh dev    the same plus the dev tools (pytest, pytest-xdist, ruff, mypy, hypothesis,
#                           pillow, and nbclient + ipykernel, which run the book's code in a real
#                           Jupyter kernel)
set -euo pipefail
started_in="$PWD"  # where the commands run (make -f: the caller's folder), for PYTHONPATH's entries
cd "$(dirname "$0")/.."

PYTHON_SET="${PYTHON:-}"  # a PYTHON= given here is the venv's Python, not only a new one's
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
extra="${1:-}"

if [ $# -gt 1 ] || { [ -n "$extra" ] && [ "$extra" != dev ]; }; then
    echo "setup: the argument must be nothing (the runtime) or 'dev' (the dev tools too), got '$*';" \
        "run scripts/setup.sh or scripts/setup.sh dev" >&2
    exit 2
fi

# another linearnets first on PYTHONPATH (another checkout's src): the commands ran that copy's code,
# `make test` tested it, and each setup installed this one again (8 s) to no avail, without a word.
# Python's own path finder says which it imports: a relative entry read from where the commands run
# (an empty one is that folder, as Python reads it), a zip or egg (or a folder inside one), a
# single-file linearnets.py; a Python that does not run leaves it to the version check below
here_src="$(realpath src)"
if [ -n "${PYTHONPATH:-}" ]; then
    first="$("${PYTHON:-python3}" -c 'import os, sys
from importlib.machinery import PathFinder
started_in, here = sys.argv[1], sys.argv[2]
entries = [os.path.join(started_in, e) for e in os.environ["PYTHONPATH"].split(os.pathsep)]
spec = PathFinder.find_spec("linearnets", entries)
origin = spec.origin if spec is not None and spec.loader is not None else None
if origin and not os.path.realpath(origin).startswith(here + os.sep):
    print(os.path.dirname(origin) if os.path.basename(origin) == "__init__.py" else origin)
    sys.exit(3)' "$started_in" "$here_src" 2>/dev/null)" && status=0 || status=$?
    if [ "$status" = 3 ]; then
        echo "setup: PYTHONPATH puts another linearnets first ($first), whose code the" \
            "commands would run instead of this checkout's ($here_src); unset PYTHONPATH, or" \
            "remove that entry from it, and run the same command again" >&2
        exit 1
    fi
fi

# Python >= 3.10 (pyproject's requires-python): said plainly, before pip would blame torch's versions.
# Checked where PYTHON= is given, and before a venv is made with it: a working venv is kept without
# it (a python3 on PATH older than the venv's refused a set-up clone)
python_checked=""
check_python() {
    [ -z "$python_checked" ] || return 0
    local found
    if python_version="$("$PYTHON" -c 'import sys; print(sys.version); sys.exit(sys.version_info < (3, 10))' 2>/dev/null)"; then
        python_checked=1
        return 0
    fi
    found="no such command"
    # its first line, taken without a pipe: a pyenv shim for a version not active writes several
    # lines and exits 127, and `| head -1` under pipefail ended the script (141) before its message
    if command -v "$PYTHON" >/dev/null 2>&1; then
        found="$("$PYTHON" --version 2>&1)" || true
        found="${found%%$'\n'*}"
    fi
    echo "setup: linearnets needs Python 3.10 or later, got '$found' from PYTHON=$PYTHON;" \
        "install a newer python3 (and python3-venv), or point PYTHON= at one" >&2
    exit 1
}

venv_works() {  # venv_works WANTED-SYS-VERSION: prints why $VENV's Python will not do, if so
    "$VENV/bin/python" - "$1" "$VENV/bin" 2>/dev/null <<'EOF'
import os, re, sys
wanted, bin_dir = sys.argv[1], sys.argv[2]
if sys.version_info < (3, 10):
    sys.exit(1)
if wanted and sys.version != wanted:
    print(f"holds Python {sys.version.split()[0]}, not PYTHON's {wanted.split()[0]}")
    sys.exit(1)
for name in ("pip", "linearnets", "mypy", "pytest"):  # console scripts: #! names the venv's Python
    try:
        with open(os.path.join(bin_dir, name), "rb") as script:
            lines = script.read(4096).split(b"\n")
    except OSError:
        continue
    if not lines[0].startswith(b"#!"):
        continue
    exe = lines[0][2:].strip()
    if exe == b"/bin/sh" and len(lines) > 1:  # pip's form for a path with spaces: '''exec' "PATH" ...
        found = re.match(rb"'''exec' \"(.*?)\" ", lines[1])
        exe = found.group(1) if found else exe
    if os.path.realpath(os.path.dirname(os.fsdecode(exe))) != os.path.realpath(bin_dir):
        print(f"was made at another path (its {name} runs {os.fsdecode(exe)})")
        sys.exit(1)
EOF
}
# pip's editable install writes src/linearnets.egg-info, whatever VENV= is: a read-only checkout
# was refused by pip, blamed on the network, after a venv was made (or refused, pointing to VENV=)
# The probe is named before it is made, and removed on Ctrl-C (or kill) while it may be there: a
# mktemp -d interrupted before its name was kept left src/.setup-probe.* behind. The name holds this
# shell's id, so a probe of that name is a leftover of a dead run's (removed first) or ours.
setup_probe=""
probe_gone() {  # probe_gone SIGNAL: the probe removed, then the signal's own end of this shell
    [ -z "$setup_probe" ] || rmdir "$setup_probe" 2>/dev/null || true
    trap - "$1"
    kill -"$1" $$
}
check_checkout() {
    local folder
    trap 'probe_gone INT' INT
    trap 'probe_gone TERM' TERM
    trap 'probe_gone HUP' HUP
    for folder in src src/linearnets.egg-info; do
        [ -d "$folder" ] || continue
        setup_probe="$folder/.setup-probe.$$"
        rmdir "$setup_probe" 2>/dev/null || true
        if ! mkdir "$setup_probe" 2>/dev/null; then
            echo "setup: $PWD/$folder is not writable (a read-only checkout, or another user's)," \
                "and pip's install of linearnets writes there whatever VENV= is; make it writable," \
                "or copy the checkout to a writable folder ($(printf 'cp -r %q DIR' "$PWD")) and run" \
                "the same command in DIR" >&2
            exit 1
        fi
        rmdir "$setup_probe"
        setup_probe=""
    done
    trap - INT TERM HUP
}
venv_ok=""
[ -z "$PYTHON_SET" ] || check_python
why="$(venv_works "${PYTHON_SET:+$python_version}")" && venv_ok=1
if [ -z "$venv_ok" ]; then  # a venv is to be made and filled: said before apt-get and pip
    check_python
    check_checkout
fi

# 1. Debian packages, when this machine allows apt-get (root, or password-less sudo): each is tried
# until it fails once; the failure is kept in $VENV/.apt-failed-PKG (remove it to try again).
apt_install() {  # apt_install PKG WHAT-IT-IS-FOR
    local pkg="$1" why="$2" mark="$VENV/.apt-failed-$1" sudo="" err
    if dpkg -s "$pkg" >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || [ -f "$mark" ]; then
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
            echo "setup: not root and no sudo: skipping apt-get $pkg ($why)" >&2
            return 0
        fi
    fi
    echo "setup: installing $pkg with apt-get"
    if err="$($sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" 2>&1)" \
        || err="$({ $sudo apt-get update -q && $sudo env DEBIAN_FRONTEND=noninteractive \
                    apt-get install -y -q "$pkg"; } 2>&1)"; then
        return 0
    fi
    local again="remove $mark to try again"
    # (a $VENV that is a file keeps no mark: making the venv names it next)
    { mkdir -p "$VENV" && printf '%s\n' "$err" > "$mark"; } 2>/dev/null || again="it is tried again next run"
    echo "setup: could not install $pkg ($(printf '%s\n' "$err" | grep -v '^[[:space:]]*$' | tail -1));" \
        "$why; $again" >&2
}
apt_install dataset-fashion-mnist "without it, 'linearnets data download' fetches Fashion-MNIST"
apt_install fonts-wqy-microhei "--lang zh figures need a Chinese font"

# 2. A virtual environment with torch installed first, so the package's torch>= is met. One whose
# Python no longer runs (or is too old), is not the one a PYTHON= given here names, or that was made
# at another path (a moved or copied clone: pip rewrites no other tool's #! line, so `make test`'s
# mypy ran the old path's Python, or none) is made again.
make_venv() {  # the apt-get failures kept in $VENV outlive it: --clear removed them, and apt-get ran again
    local marks
    check_python
    marks="$(mktemp -d)"
    cp -p "$VENV"/.apt-failed-* "$marks"/ 2>/dev/null || true
    if ! "$PYTHON" -m venv --clear "$VENV"; then
        rm -rf "$marks"
        echo "setup: '$PYTHON -m venv --clear $VENV' failed (its error is above); install python3-venv" \
            "if the venv module or ensurepip is missing, make $VENV a writable folder (or remove it)," \
            "or point PYTHON= or VENV= elsewhere" >&2
        exit 1
    fi
    cp -p "$marks"/.apt-failed-* "$VENV"/ 2>/dev/null || true
    rm -rf "$marks"
}
if [ -z "$venv_ok" ]; then
    [ -e "$VENV/bin" ] && echo "setup: $VENV ${why:-holds no working Python 3.10+}: making it again" >&2
    make_venv
fi
# healthy: the install in $VENV is this checkout's (a moved or copied clone's is not) and whole: each
# requirement the package's metadata names for this run (the runtime's; for dev, the dev extra's
# too), and TORCH_SPEC, is installed at a version it allows. Only linearnets and torch were looked
# for: after `pip uninstall -y matplotlib`, the setup was skipped and the run failed on the import;
# and only by name: a torch 2.2.0 (torch>=2.3 wanted) was kept without a word. Found by their
# metadata, none imported (torch's import is seconds); the versions compared with pip's own copy of
# `packaging` (a fresh venv has no other), markers evaluated as pip does. Their own requirements are
# looked for too, by name (after `pip uninstall -y packaging`, matplotlib's, the setup was skipped).
# A TORCH_SPEC that is a wheel, a path or a URL is pip's to judge (a wheel's bare file name parsed as
# a requirement's name, never installed: each run installed it again)
healthy() {
    local script="$VENV/bin/linearnets" interpreter
    [ -f "$script" ] || return 1
    interpreter="$(head -1 "$script")"
    [ -x "${interpreter#\#!}" ] || return 1
    "$VENV/bin/python" - "$PWD/src" "$extra" "$TORCH_SPEC" <<'EOF' >/dev/null 2>&1
import importlib.metadata as metadata, importlib.util, os, sys
try:
    from packaging.requirements import InvalidRequirement, Requirement
except ImportError:
    from pip._vendor.packaging.requirements import InvalidRequirement, Requirement
ours, here, extra, torch_spec = importlib.util.find_spec("linearnets"), *sys.argv[1:4]
if not ours or not os.path.realpath(ours.origin).startswith(os.path.realpath(here) + os.sep):
    sys.exit(1)
try:
    wanted = [Requirement(line) for line in metadata.requires("linearnets") or []]
    if not torch_spec.endswith(".whl") and "/" not in torch_spec:  # a wheel, a path, a URL: pip's
        wanted.append(Requirement(torch_spec))
    names = set()
    for requirement in wanted:
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        version = metadata.version(requirement.name)
        if not requirement.specifier.contains(version, prereleases=True):
            sys.exit(1)
        names.add(requirement.name)
    for name in names:  # their own requirements there too: matplotlib's packaging uninstalled
        for line in metadata.requires(name) or []:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue  # a line pip would refuse too: not this setup's to judge
            if not requirement.marker or requirement.marker.evaluate({"extra": ""}):
                metadata.distribution(requirement.name)
except (metadata.PackageNotFoundError, InvalidRequirement):
    sys.exit(1)
EOF
}
stamp="$VENV/.stamp-${extra:-run}"
# TORCH_SPEC too: TORCH_SPEC=torch==2.12.0 on a set-up clone kept 2.13.0 without a word
want="$({ cat pyproject.toml scripts/setup.sh; echo "$TORCH_SPEC"; } | sha256sum | cut -c1-16)"
# the package's bytecode, written even where PYTHONDONTWRITEBYTECODE is set (as on this project's
# VM) and kept fresh: an editable install compiles nothing, so each command compiled every module
# again (~0.1 s of its start). Python recompiles a file whose time or size changed; an edit within
# the same second that keeps the size is missed until the next edit (a developer's case only)
compile_package() { "$VENV/bin/python" -m compileall -q src >/dev/null || true; }
# where torch came from (TORCH_INDEX_URL, empty for pip's configured index): `make setup
# TORCH_INDEX_URL=...` on a set-up clone changed nothing without a word, and pip keeps an installed
# torch whatever the index, so only a venv made again takes another one
index_mark="$VENV/.torch-index-url"
index_unused() {  # index_unused set-up|kept: says that TORCH_INDEX_URL, given, is not where torch came from
    local used="where pip is configured to"
    [ -n "${TORCH_INDEX_URL:-}" ] || return 0
    if [ -f "$index_mark" ]; then
        [ "$TORCH_INDEX_URL" != "$(cat "$index_mark")" ] || return 0
        used="$(cat "$index_mark")"
        used="${used:-where pip is configured to}"
    else
        used="an index not recorded"  # a venv set up before the record was kept
    fi
    if [ "$1" = kept ]; then
        used="pip kept the torch $VENV holds, from $used"
    else
        used="$VENV is set up already, its torch from $used, which pip keeps"
    fi
    echo "setup: TORCH_INDEX_URL=$TORCH_INDEX_URL is not used: $used; remove $VENV and run the same" \
        "command again to install torch from there" >&2
}
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && healthy; then
    compile_package
    index_unused set-up
    exit 0
fi
check_checkout
if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    # a venv made while python3-venv was missing has no pip: Debian's advice is to make it again
    echo "setup: $VENV has no pip: making it again" >&2
    make_venv
fi
# torch's version and the place and time of its metadata, nothing where none is installed: pip keeps
# an installed torch that meets TORCH_SPEC whatever the index, so only a change says it installed one
torch_installed() {
    "$VENV/bin/python" - 2>/dev/null <<'EOF' || true
import importlib.metadata, os
try:
    torch = importlib.metadata.distribution("torch")
except importlib.metadata.PackageNotFoundError:
    raise SystemExit
place = str(getattr(torch, "_path", torch.locate_file("")))
print(torch.version, place, os.stat(place).st_mtime_ns)
EOF
}
# a CUDA build of torch installed from pip's configured index (PyPI's Linux wheel, e.g. for a Python
# the VM has no local CPU wheel for) was taken without a word: its size and the CPU build's index are
# said. Found by torch's metadata: its nvidia-* and triton requirements for this machine, their
# files' sizes
cuda_build_said() {
    "$VENV/bin/python" - "$VENV" <<'EOF' >&2 2>/dev/null || true
import importlib.metadata as metadata, sys
try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement
torch = metadata.distribution("torch")
cuda = []
for line in torch.requires or []:
    requirement = Requirement(line)
    name = requirement.name.lower()
    if (name.startswith("nvidia-") or name == "triton") and (
        not requirement.marker or requirement.marker.evaluate({"extra": ""})
    ):
        cuda.append(requirement.name)
if not cuda:
    raise SystemExit
dists = [torch]
for name in cuda:
    try:
        dists.append(metadata.distribution(name))
    except metadata.PackageNotFoundError:
        pass
size = sum(f.size or 0 for d in dists for f in d.files or [])
venv = sys.argv[1]
print(
    f"setup: pip installed the CUDA build of torch {torch.version} (with its {len(cuda)} CUDA "
    f"packages, nvidia-* and triton: {size / 1e9:.1f} GB in {venv}), which runs on the CPU too; "
    f"for the CPU build alone, remove {venv} and run the same command again with "
    "TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu"
)
EOF
}
# A Ctrl-C while pip installs: pip catches SIGINT and exits 1, which was blamed on the network. bash
# runs a trap once the foreground command returns, so the stop is said instead, with the way on
pip_installing=""
pip_stopped() {  # pip_stopped HOW EXIT-STATUS
    echo "setup: stopped ($1) while pip installed $pip_installing into $VENV; run the same command" \
        "again to finish the setup" >&2
    exit "$2"
}
pip_install() {  # pip_install WHAT PIP-ARGUMENTS...: pip's own error, then what failed and the fix
    local what="$1" failed=""
    shift
    pip_installing="$what"
    trap 'pip_stopped Ctrl-C 130' INT
    trap 'pip_stopped SIGTERM 143' TERM
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@" || failed=1
    trap - INT TERM
    if [ -n "$failed" ]; then
        echo "setup: pip could not install $what into $VENV (its error is above); fix that (the network," \
            "a proxy, TORCH_INDEX_URL) and run the same command again" >&2
        exit 1
    fi
}
# TORCH_INDEX_URL (e.g. https://download.pytorch.org/whl/cpu) picks where torch comes from: PyPI's
# Linux wheel is the multi-GB CUDA build, unless pip is configured otherwise (as on this project's VM,
# where torch==2.13.0 resolves to a local CPU wheel). One that cannot be reached is said after one
# try: pip waits out its timeout (PIP_DEFAULT_TIMEOUT: 180 s on this VM) 6 times for each package on
# each index, and says nothing meanwhile (-q). An answer of any kind, even an error, is left to pip.
torch_before="$(torch_installed)"
if [ -n "${TORCH_INDEX_URL:-}" ]; then
    case "$TORCH_INDEX_URL" in
    http://* | https://*)
        if ! reason="$("$VENV/bin/python" - "$TORCH_INDEX_URL" 2>&1 <<'EOF'
import ssl, sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=20).close()
except urllib.error.HTTPError:
    pass  # it answered
except (OSError, ValueError) as error:
    reason = getattr(error, "reason", error)
    if not isinstance(reason, ssl.SSLError):  # an SSL error answered: pip has its own certificates
        sys.exit(str(reason) or type(reason).__name__)
EOF
)"; then
            echo "setup: TORCH_INDEX_URL=$TORCH_INDEX_URL could not be reached in 20 s ($reason);" \
                "correct it or the network (https_proxy=), or unset TORCH_INDEX_URL to take torch" \
                "from where pip is configured to" >&2
            exit 1
        fi
        ;;
    esac
    pip_install "$TORCH_SPEC" --index-url "$TORCH_INDEX_URL" --extra-index-url https://pypi.org/simple \
        "$TORCH_SPEC"
else
    pip_install "$TORCH_SPEC" "$TORCH_SPEC"
fi
if [ "$(torch_installed)" != "$torch_before" ]; then  # installed by this run: from here
    printf '%s\n' "${TORCH_INDEX_URL:-}" > "$index_mark"
    [ -n "${TORCH_INDEX_URL:-}" ] || cuda_build_said
else  # kept (a venv set up before the record, or installed again after a change to this script)
    index_unused kept
fi
if [ "$extra" = dev ]; then
    pip_install "linearnets and its dev tools" -e ".[dev]"
else
    pip_install linearnets -e .
fi
compile_package
echo "$want" > "$stamp"
