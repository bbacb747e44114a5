"""scripts/setup.sh's checks made before any install: its argument, the Python it would use, the checkout.

(The installs themselves run in every clean clone through `make run` / `make test`.)
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

SETUP = Path(__file__).resolve().parents[1] / "scripts" / "setup.sh"


def _setup(tmp_path: Path, *args: str, python: str = "python3") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON": python, "VENV": str(tmp_path / "venv")}
    return subprocess.run(
        ["bash", str(SETUP), *args], capture_output=True, text=True, timeout=60, env=env
    )


@pytest.mark.parametrize("args", [["--dev"], ["test"], ["dev", "extra"]])
def test_an_unknown_argument_is_refused_before_anything_is_installed(
    tmp_path: Path, args: list[str]
) -> None:
    done = _setup(tmp_path, *args)
    assert done.returncode == 2
    assert done.stderr == (
        "setup: the argument must be nothing (the runtime) or 'dev' (the dev tools too), got "
        f"'{' '.join(args)}'; run scripts/setup.sh or scripts/setup.sh dev\n"
    )
    assert not (tmp_path / "venv").exists()


def test_another_linearnets_first_on_pythonpath_is_refused_before_anything_is_installed(
    tmp_path: Path,
) -> None:
    """Another checkout's src on PYTHONPATH: the commands ran its code (the oracle: the import
    Python makes with that PYTHONPATH), `make test` tested it, and each setup reinstalled this
    one to no avail, without a word. This checkout's own src before it is left alone."""
    other = tmp_path / "other" / "src"
    (other / "linearnets").mkdir(parents=True)
    (other / "linearnets" / "__init__.py").write_text("")
    found = subprocess.run(
        [sys.executable, "-c", "import linearnets; print(linearnets.__file__)"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(other)},
    )  # fmt: skip
    assert found.stdout.strip() == str(other / "linearnets" / "__init__.py")
    env = {**os.environ, "VENV": str(tmp_path / "venv"), "PYTHONPATH": f"/nowhere:{other}"}
    done = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1
    here = SETUP.parents[1] / "src"
    assert done.stderr == (
        f"setup: PYTHONPATH puts another linearnets first ({other}/linearnets), whose code the "
        f"commands would run instead of this checkout's ({here}); unset PYTHONPATH, or remove "
        "that entry from it, and run the same command again\n"
    )
    assert not (tmp_path / "venv").exists()
    # a relative entry, read from where the commands run (make -f: the caller's folder), and a zip
    # (a folder inside a zip, and a single-file linearnets.py, were passed over: the oracle
    # below is the import Python makes with each PYTHONPATH)
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as written:
        written.writestr("linearnets/__init__.py", "")
        written.writestr("lib/linearnets/__init__.py", "")
    single = tmp_path / "single"
    single.mkdir()
    (single / "linearnets.py").write_text("")
    for entry, cwd, shown in (
        ("src", other.parent, other / "linearnets"),
        (str(archive), tmp_path, archive / "linearnets"),
        (f"{archive}/lib", tmp_path, archive / "lib" / "linearnets"),
        ("single", tmp_path, single / "linearnets.py"),
        (":/nowhere", other, other / "linearnets"),  # an empty entry: the folder it runs in
    ):
        env["PYTHONPATH"] = entry
        imported = subprocess.run(  # the current folder only where PYTHONPATH puts it (-c's gone)
            [sys.executable, "-c", "import sys; del sys.path[0]; import linearnets; "
             "print(linearnets.__file__)"],
            capture_output=True, text=True, env=env, cwd=cwd,
        )  # fmt: skip
        assert Path(imported.stdout.strip()) in (shown, shown / "__init__.py")
        done = subprocess.run(
            ["bash", str(SETUP)], capture_output=True, text=True, timeout=60, env=env, cwd=cwd
        )
        assert done.returncode == 1
        assert done.stderr.startswith(
            f"setup: PYTHONPATH puts another linearnets first ({shown}), "
        ), done.stderr
    # this checkout's first: no refusal; the next check, of a Python that is no command, says its own
    env.update(PYTHONPATH=f"{here}:{other}", PYTHON=str(tmp_path / "python3"))
    done = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("setup: linearnets needs Python 3.10 or later, got 'no such ")


def test_a_python_before_3_10_is_named_before_pip_would_blame_torch(tmp_path: Path) -> None:
    old = tmp_path / "python3.9"  # answers --version as Debian bullseye's python3 does
    old.write_text('#!/bin/sh\n[ "$1" = --version ] && echo "Python 3.9.18" && exit 0\nexit 1\n')
    old.chmod(0o755)
    done = _setup(tmp_path, python=str(old))
    assert done.returncode == 1
    assert done.stderr == (
        f"setup: linearnets needs Python 3.10 or later, got 'Python 3.9.18' from PYTHON={old}; "
        "install a newer python3 (and python3-venv), or point PYTHON= at one\n"
    )
    assert not (tmp_path / "venv").exists()


def test_a_pyenv_shim_of_a_version_not_active_is_named_by_its_first_line(tmp_path: Path) -> None:
    """`--version | head -1` under pipefail: the shim's exit 127 (or SIGPIPE, once head had its
    line) ended the script with status 127 or 141 and no word."""
    shim = tmp_path / "python3.12"  # as pyenv's shim answers where 3.12 is installed, not active
    shim.write_text(
        "#!/bin/sh\n"
        "echo 'pyenv: python3.12: command not found' >&2\n"
        "echo >&2\n"
        'echo "The \\`python3.12\' command exists in these Python versions:" >&2\n'
        "echo '  3.12.1' >&2\n"
        "exit 127\n"
    )
    shim.chmod(0o755)
    done = _setup(tmp_path, python=str(shim))
    assert done.returncode == 1
    assert done.stderr == (
        "setup: linearnets needs Python 3.10 or later, got 'pyenv: python3.12: command not found' "
        f"from PYTHON={shim}; install a newer python3 (and python3-venv), or point PYTHON= at one\n"
    )


def test_a_python_that_is_no_command_is_named(tmp_path: Path) -> None:
    done = _setup(tmp_path, python=str(tmp_path / "nowhere"))
    assert done.returncode == 1 and "got 'no such command' from PYTHON=" in done.stderr


def _no_venv_python(tmp_path: Path, *, version: str | None = None) -> Path:
    """A Python that runs as this one does but has no venv module (and, given `version`, claims it)."""
    fake = tmp_path / "python-no-venv"
    claim = f'[ "$1" = -c ] && echo "{version}" && exit 0\n' if version else ""
    fake.write_text(
        "#!/bin/sh\n"
        f"{claim}"
        '[ "$1" = -m ] && [ "$2" = venv ] && echo "No module named venv" >&2 && exit 1\n'
        f'exec {sys.executable} "$@"\n'
    )
    fake.chmod(0o755)
    return fake


def _venv_without_pip(tmp_path: Path) -> Path:
    """A real venv (no pip: made in a tenth of a second), its apt-get attempts marked as done."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    for package in ("dataset-fashion-mnist", "fonts-wqy-microhei"):
        (venv / f".apt-failed-{package}").write_text("not tried in tests\n")
    return venv


def _venv_failed(python: Path, venv: Path) -> str:
    return (
        "No module named venv\n"
        f"setup: '{python} -m venv --clear {venv}' failed (its error is above); install "
        "python3-venv if the venv module or ensurepip is missing, make "
        f"{venv} a writable folder (or remove it), or point PYTHON= or VENV= elsewhere\n"
    )


def test_a_venv_that_cannot_be_made_is_named_with_the_fix(tmp_path: Path) -> None:
    fake = _no_venv_python(tmp_path)
    venv = tmp_path / "venv"
    venv.mkdir()  # holds only the apt marks, as after a first run whose venv failed
    for package in ("dataset-fashion-mnist", "fonts-wqy-microhei"):
        (venv / f".apt-failed-{package}").write_text("not tried in tests\n")
    done = _setup(tmp_path, python=str(fake))
    assert done.returncode == 1
    assert done.stderr == _venv_failed(fake, venv)


def test_a_venv_made_at_another_path_is_made_again(tmp_path: Path) -> None:
    # a moved clone: pip rewrites the package's own script, never mypy's, whose #! named the old path
    venv = _venv_without_pip(tmp_path)
    (venv / "bin" / "mypy").write_text("#!/old/clone/.venv/bin/python\nimport mypy\n")
    fake = _no_venv_python(tmp_path)
    done = _setup(tmp_path, python=str(fake))
    assert done.returncode == 1
    assert done.stderr == (
        f"setup: {venv} was made at another path (its mypy runs /old/clone/.venv/bin/python): "
        "making it again\n" + _venv_failed(fake, venv)
    )


def test_a_venv_made_here_with_spaces_in_its_path_is_kept(tmp_path: Path) -> None:
    # pip's #! for a path with spaces is a /bin/sh line that execs the quoted path
    venv = _venv_without_pip(tmp_path)
    (venv / "bin" / "mypy").write_text(
        f"#!/bin/sh\n'''exec' \"{venv}/bin/python\" \"$0\" \"$@\"\n' '''\nimport mypy\n"
    )
    done = _setup(tmp_path, python=str(_no_venv_python(tmp_path)))
    assert done.returncode == 1  # kept: it lacks pip, so it is made again for that reason only
    assert done.stderr.startswith(f"setup: {venv} has no pip: making it again\n")


def test_a_venv_of_another_python_than_the_one_python_names_is_made_again(tmp_path: Path) -> None:
    venv = _venv_without_pip(tmp_path)
    fake = _no_venv_python(tmp_path, version="3.99.0 (main) [GCC 99]")
    done = _setup(tmp_path, python=str(fake))
    assert done.returncode == 1
    assert done.stderr == (
        f"setup: {venv} holds Python {sys.version.split()[0]}, not PYTHON's 3.99.0: "
        "making it again\n" + _venv_failed(fake, venv)
    )


def _venv_with_failing_pip(tmp_path: Path) -> Path:
    """A venv whose pip answers --version and fails every install, as with no network; with pip's
    own copy of `packaging` (all a fresh venv has of it), which setup compares versions with."""
    import pip._vendor as vendored

    venv = _venv_without_pip(tmp_path)
    minor = f"python{sys.version_info.major}.{sys.version_info.minor}"
    pip = venv / "lib" / minor / "site-packages" / "pip"
    # pyparsing: what pip's packaging before 22 parses requirements with
    for package in ("packaging", "pyparsing"):
        if (Path(vendored.__file__).parent / package).is_dir():
            shutil.copytree(Path(vendored.__file__).parent / package, pip / "_vendor" / package)
    (pip / "__init__.py").write_text("")
    (pip / "_vendor" / "__init__.py").write_text("")
    (pip / "__main__.py").write_text(
        "import sys\n"
        "if sys.argv[1:] == ['--version']:\n"
        "    sys.exit(print('pip 0 (fake)'))\n"
        "sys.exit(f'ERROR: No matching distribution found for {sys.argv[-1]}')\n"
    )
    return venv


def test_a_failed_pip_install_is_named_with_the_fix(tmp_path: Path) -> None:
    venv = _venv_with_failing_pip(tmp_path)
    done = _setup(tmp_path, python=sys.executable)
    assert done.returncode == 1
    assert done.stderr == (
        "ERROR: No matching distribution found for torch==2.13.0\n"
        f"setup: pip could not install torch==2.13.0 into {venv} (its error is above); fix that "
        "(the network, a proxy, TORCH_INDEX_URL) and run the same command again\n"
    )


def test_a_torch_index_url_that_cannot_be_reached_is_said_before_pip_waits_on_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a port held bound, never listening, while setup runs: refused at once (a port let go could
    # be taken by a listener of another process meanwhile)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/whl/cpu"
        venv = _venv_with_failing_pip(tmp_path)
        monkeypatch.setenv("TORCH_INDEX_URL", url)
        monkeypatch.setenv("no_proxy", "*")  # straight to the port, through no proxy
        done = _setup(tmp_path, python=sys.executable)
    assert done.returncode == 1
    assert done.stderr == (
        f"setup: TORCH_INDEX_URL={url} could not be reached in 20 s ([Errno 111] Connection "
        "refused); correct it or the network (https_proxy=), or unset TORCH_INDEX_URL to take torch "
        "from where pip is configured to\n"
    )
    assert not (venv / ".stamp-run").exists()


def _clearing_python(tmp_path: Path) -> Path:
    """A Python whose venv module makes real venvs without pip (a tenth of a second each)."""
    fake = tmp_path / "python-venv-without-pip"
    fake.write_text(
        "#!/bin/sh\n"
        f'[ "$1" = -m ] && [ "$2" = venv ] && shift 2 && exec {sys.executable} -m venv '
        '--without-pip "$@"\n'
        f'exec {sys.executable} "$@"\n'
    )
    fake.chmod(0o755)
    return fake


def test_the_apt_get_failures_kept_in_the_venv_outlive_its_making_again(tmp_path: Path) -> None:
    """`venv --clear` removed the marks, so apt-get was tried again on the next run, against the
    README's word (its error is kept in .venv/.apt-failed-PACKAGE)."""
    venv = _venv_without_pip(tmp_path)  # marked as tried; made again for want of pip
    done = _setup(tmp_path, python=str(_clearing_python(tmp_path)))
    assert done.returncode == 1  # no pip in the new one either: pip's install fails
    assert done.stderr.startswith(f"setup: {venv} has no pip: making it again\n")
    for package in ("dataset-fashion-mnist", "fonts-wqy-microhei"):
        assert (venv / f".apt-failed-{package}").read_text() == "not tried in tests\n"


def _venv_with_logging_pip(tmp_path: Path) -> tuple[Path, Path]:
    """A venv whose pip logs each install (the last argument) and succeeds, holding what a whole
    install leaves: the package's script, linearnets from this checkout, torch (installed by its
    pip's first install of torch, kept by the next ones, as pip keeps one that meets the spec);
    and the log."""
    venv = _venv_with_failing_pip(tmp_path)
    minor = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = venv / "lib" / minor / "site-packages"
    log = tmp_path / "pip.log"
    import torch

    torch_pth = site / "torch.pth"
    (site / "pip" / "__main__.py").write_text(
        "import os, sys\n"
        "if sys.argv[1:] == ['--version']:\n"
        "    sys.exit(print('pip 0 (fake)'))\n"
        f"open({str(log)!r}, 'a').write(sys.argv[-1] + '\\n')\n"
        f"if sys.argv[-1].startswith('torch') and not os.path.exists({str(torch_pth)!r}):\n"
        f"    open({str(torch_pth)!r}, 'w').write({str(Path(torch.__file__).parents[1])!r})\n"
    )
    (site / "here.pth").write_text(f"{SETUP.parents[1] / 'src'}\n")
    (venv / "bin" / "linearnets").write_text(f"#!{venv}/bin/python\n")
    return venv, log


def _old_python3_first_on_path(tmp_path: Path) -> dict[str, str]:
    """The environment of a shell whose `python3` is 3.8, no PYTHON= given."""
    bin_dir = tmp_path / "old-bin"
    bin_dir.mkdir()
    old = bin_dir / "python3"  # as Python 3.8 answers setup's check
    old.write_text('#!/bin/sh\n[ "$1" = --version ] && echo "Python 3.8.18" && exit 0\nexit 1\n')
    old.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "PYTHON"}
    return {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}", "VENV": str(tmp_path / "venv")}


def test_a_working_venv_is_kept_where_python3_on_path_is_older(tmp_path: Path) -> None:
    """The check of python3 ran before the venv's: a set-up clone whose venv holds 3.11 was
    refused in a shell whose python3 is 3.8 (`make run`, `make test`), though no venv is made."""
    venv, log = _venv_with_logging_pip(tmp_path)
    assert _setup(tmp_path, python=sys.executable).returncode == 0  # set up: stamped
    env = _old_python3_first_on_path(tmp_path)
    done = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=60, env=env)
    assert (done.returncode, done.stderr) == (0, "")
    assert log.read_text().splitlines() == ["torch==2.13.0", "."]  # nothing installed again
    (venv / ".stamp-run").unlink()  # the installs run again, with the venv's own Python
    done = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=60, env=env)
    assert (done.returncode, done.stderr) == (0, "")
    assert log.read_text().splitlines() == ["torch==2.13.0", "."] * 2


def test_an_older_python3_on_path_is_named_where_a_venv_is_to_be_made(tmp_path: Path) -> None:
    env = _old_python3_first_on_path(tmp_path)
    done = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1
    assert done.stderr == (
        "setup: linearnets needs Python 3.10 or later, got 'Python 3.8.18' from PYTHON=python3; "
        "install a newer python3 (and python3-venv), or point PYTHON= at one\n"
    )
    assert not (tmp_path / "venv").exists()


def test_a_venv_without_pip_is_made_again_only_with_a_python_that_will_do(tmp_path: Path) -> None:
    venv = _venv_without_pip(tmp_path)  # its Python works: kept, but pip is wanted
    env = _old_python3_first_on_path(tmp_path)
    done = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1
    assert done.stderr == (
        f"setup: {venv} has no pip: making it again\n"
        "setup: linearnets needs Python 3.10 or later, got 'Python 3.8.18' from PYTHON=python3; "
        "install a newer python3 (and python3-venv), or point PYTHON= at one\n"
    )
    assert (venv / "bin" / "python").exists()  # not cleared


def test_another_torch_spec_is_installed_on_a_set_up_venv(tmp_path: Path) -> None:
    """The stamp, which skips the installs, held pyproject.toml and the script only:
    TORCH_SPEC=torch==2.12.0 on a set-up clone kept the torch it had without a word."""
    venv, log = _venv_with_logging_pip(tmp_path)
    assert _setup(tmp_path, python=sys.executable).returncode == 0
    assert _setup(tmp_path, python=sys.executable).returncode == 0  # kept: nothing installed
    assert log.read_text().splitlines() == ["torch==2.13.0", "."]
    env = {**os.environ, "PYTHON": sys.executable, "VENV": str(venv), "TORCH_SPEC": "torch==2.12.0"}
    done = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == ["torch==2.13.0", ".", "torch==2.12.0", "."]


def _checkout_copy(tmp_path: Path, name: str = "checkout") -> Path:
    """A copy of the checkout's set-up files: setup.sh, pyproject.toml, an empty src/linearnets."""
    checkout = tmp_path / name
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy(SETUP, checkout / "scripts" / "setup.sh")
    shutil.copy(SETUP.parents[1] / "pyproject.toml", checkout)
    (checkout / "src" / "linearnets").mkdir(parents=True)
    return checkout


def _read_only_checkout(tmp_path: Path, name: str = "checkout") -> tuple[Path, list[str]]:
    """A copy of the checkout's set-up files and the command running its setup.sh where the copy
    is read-only: a read-only bind mount in a user namespace (root may write any folder's mode),
    else, for a user who is not root, the copy's src/ without write permission."""
    checkout = _checkout_copy(tmp_path, name)
    mount = 'mount --bind -o ro "$1" "$1" && exec bash "$1/scripts/setup.sh"'
    command = ["unshare", "-rm", "sh", "-c", mount, "sh", str(checkout)]
    probe = [*command[:4], mount.replace("exec bash", "test -f"), *command[5:]]
    if shutil.which("unshare") and subprocess.run(probe, capture_output=True).returncode == 0:
        return checkout, command
    if os.geteuid() == 0:
        pytest.skip(
            "no user namespaces to mount the checkout read-only, and root writes any folder"
        )
    (checkout / "src").chmod(0o555)
    return checkout, ["bash", str(checkout / "scripts" / "setup.sh")]


def _unwritable(checkout: Path) -> str:
    return (
        f"setup: {checkout}/src is not writable (a read-only checkout, or another user's), and pip's "
        "install of linearnets writes there whatever VENV= is; make it writable, or copy the "
        f"checkout to a writable folder (cp -r {checkout} DIR) and run the same command in DIR\n"
    )


def test_a_read_only_checkout_is_named_before_a_venv_is_made_elsewhere(tmp_path: Path) -> None:
    """pip's editable install writes src/linearnets.egg-info: with VENV= elsewhere, the venv was
    made, then pip failed and setup blamed the network, a proxy or TORCH_INDEX_URL."""
    checkout, command = _read_only_checkout(tmp_path)
    env = {**os.environ, "PYTHON": sys.executable, "VENV": str(tmp_path / "venv")}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    finally:
        (checkout / "src").chmod(0o755)
    assert (done.returncode, done.stderr) == (1, _unwritable(checkout))
    assert not (tmp_path / "venv").exists()


def test_the_copy_advised_for_a_read_only_checkout_pastes_as_one_command(tmp_path: Path) -> None:
    """`cp -r $PWD DIR` was given unquoted: pasted, a checkout path with a space was two paths."""
    checkout, command = _read_only_checkout(tmp_path, "my checkout")
    env = {**os.environ, "PYTHON": sys.executable, "VENV": str(tmp_path / "venv")}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    finally:
        (checkout / "src").chmod(0o755)
    assert done.returncode == 1
    advice = done.stderr.split("writable folder (", 1)[1].split(") and run", 1)[0]
    assert advice == f"cp -r {str(checkout).replace(' ', chr(92) + ' ')} DIR"
    words = subprocess.run(  # as a shell reads it, pasted
        ["bash", "-c", f'for word in {advice}; do echo "$word"; done'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert words.stdout.splitlines() == ["cp", "-r", str(checkout), "DIR"]


def test_a_probe_of_the_checkout_is_removed_on_ctrl_c(tmp_path: Path) -> None:
    """The check that src/ is writable made src/.setup-probe.* and then removed it, with no trap:
    a Ctrl-C in between left it in the checkout."""
    checkout = _checkout_copy(tmp_path)
    bin_dir, made = tmp_path / "bin", tmp_path / "probe-made"
    bin_dir.mkdir()
    for tool in ("mkdir", "mktemp"):  # each makes the probe as asked, then waits for the Ctrl-C
        real = shutil.which(tool)
        (bin_dir / tool).write_text(
            "#!/bin/sh\n"
            f'case "$*" in *.setup-probe*) {real} "$@" && : > {made} && exec sleep 30;; esac\n'
            f'exec {real} "$@"\n'
        )
        (bin_dir / tool).chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env |= {"PYTHON": sys.executable, "VENV": str(tmp_path / "venv")}
    setup = subprocess.Popen(
        ["bash", str(checkout / "scripts" / "setup.sh")],
        env=env,
        start_new_session=True,  # a group of its own, as a terminal's foreground job
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            if made.exists() or setup.poll() is not None:
                break
            time.sleep(0.05)
        assert made.exists()
        os.killpg(setup.pid, signal.SIGINT)  # Ctrl-C: to the whole foreground group
        assert setup.wait(timeout=30) == -signal.SIGINT
    finally:
        if setup.poll() is None:
            os.killpg(setup.pid, signal.SIGKILL)
            setup.wait()
    assert list((checkout / "src").glob(".setup-probe*")) == []
    assert not (tmp_path / "venv").exists()


def test_a_read_only_checkout_is_named_before_pip_installs_into_a_working_venv(
    tmp_path: Path,
) -> None:
    checkout, command = _read_only_checkout(tmp_path)
    venv, log = _venv_with_logging_pip(
        tmp_path
    )  # linearnets from another checkout: installed again
    env = {**os.environ, "PYTHON": sys.executable, "VENV": str(venv)}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    finally:
        (checkout / "src").chmod(0o755)
    assert (done.returncode, done.stderr) == (1, _unwritable(checkout))
    assert not log.exists()  # pip was not run


def test_a_torch_index_url_on_a_set_up_venv_is_said_to_change_nothing(tmp_path: Path) -> None:
    """`make setup TORCH_INDEX_URL=...` on a set-up clone kept its torch without a word (pip keeps
    an installed torch==2.13.0 whatever the index)."""
    venv, log = _venv_with_logging_pip(tmp_path)
    assert _setup(tmp_path, python=sys.executable).returncode == 0  # torch from pip's own index
    assert (venv / ".torch-index-url").read_text() == "\n"
    url = "http://127.0.0.1:9/whl/cpu"  # never reached: nothing is installed
    env = {**os.environ, "PYTHON": sys.executable, "VENV": str(venv), "TORCH_INDEX_URL": url}
    done = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=60, env=env)
    assert (done.returncode, done.stderr) == (
        0,
        f"setup: TORCH_INDEX_URL={url} is not used: {venv} is set up already, its torch from where "
        f"pip is configured to, which pip keeps; remove {venv} and run the same command again to "
        "install torch from there\n",
    )
    assert log.read_text().splitlines() == ["torch==2.13.0", "."]
    (venv / ".torch-index-url").write_text(f"{url}\n")  # as a venv set up from that index
    done = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=60, env=env)
    assert (done.returncode, done.stderr) == (0, "")


def test_a_torch_index_url_is_recorded_only_where_this_run_installed_torch(tmp_path: Path) -> None:
    """The index was recorded after pip ran, though pip kept the torch installed (a venv set up
    before the record, or one whose stamp a change to setup.sh made stale): the same URL given
    again was then taken for the torch's own, and nothing was said."""
    venv, log = _venv_with_logging_pip(tmp_path)
    assert _setup(tmp_path, python=sys.executable).returncode == 0  # torch installed: recorded
    assert (venv / ".torch-index-url").read_text() == "\n"
    (venv / ".torch-index-url").unlink()  # as a venv set up before the record was kept
    (venv / ".stamp-run").write_text("stale\n")  # setup.sh changed since: pip runs again
    with socket.socket() as server:  # answers the reachability probe, then is left
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/whl/cpu"
        env = {**os.environ, "PYTHON": sys.executable, "VENV": str(venv), "TORCH_INDEX_URL": url}
        env["no_proxy"] = "*"
        setup = subprocess.Popen(
            ["bash", str(SETUP)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        connection, _ = server.accept()
        connection.recv(4096)
        connection.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        connection.close()
        stderr = setup.communicate(timeout=60)[1]
    assert (setup.returncode, stderr) == (
        0,
        f"setup: TORCH_INDEX_URL={url} is not used: pip kept the torch {venv} holds, from an "
        f"index not recorded; remove {venv} and run the same command again to install torch "
        "from there\n",
    )
    assert log.read_text().splitlines() == ["torch==2.13.0", "."] * 2
    assert not (venv / ".torch-index-url").exists()  # not where its torch came from
    done = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=60, env=env)
    assert (done.returncode, done.stderr) == (
        0,
        f"setup: TORCH_INDEX_URL={url} is not used: {venv} is set up already, its torch from an "
        f"index not recorded, which pip keeps; remove {venv} and run the same command again to "
        "install torch from there\n",
    )


def _logged_checkout(tmp_path: Path) -> tuple[Path, Path]:
    """Return ``tmp_path/checkout``, a checkout of this Makefile whose scripts/setup.sh (set up
    already) logs what it was given and VENV, and the log, ``tmp_path/ran.log``."""
    checkout, log = tmp_path / "checkout", tmp_path / "ran.log"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy(SETUP.parents[1] / "Makefile", checkout)
    setup = checkout / "scripts" / "setup.sh"
    setup.write_text(f'#!/bin/sh\necho "setup $* VENV=$VENV" >> "{log}"\n')
    setup.chmod(0o755)
    return checkout, log


def _logged_tools(bin_dir: Path, log: Path, said: str) -> None:
    """Put in ``bin_dir`` a linearnets, python, ruff and mypy that each log their name and
    ``said`` (shell words: ``$*``, ``$1 in $PWD``)."""
    bin_dir.mkdir(parents=True)
    for tool in ("linearnets", "python", "ruff", "mypy"):
        (bin_dir / tool).write_text(f'#!/bin/sh\necho "{tool} {said}" >> "{log}"\n')
        (bin_dir / tool).chmod(0o755)


def test_the_makefile_runs_a_venv_whose_path_has_spaces(tmp_path: Path) -> None:
    """`$(VENV)/bin/linearnets` unquoted: `make run VENV="/tmp/x sp/v2"` set the venv up, then ran
    `/tmp/x` (any program of that name) with `sp/v2/bin/linearnets softmax` as its arguments."""
    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    checkout, log = _logged_checkout(tmp_path)
    venv = tmp_path / "x sp" / "v2"
    _logged_tools(venv / "bin", log, "$*")  # each says which it is, with its words
    decoy = tmp_path / "x"  # what the unquoted path's first word runs
    decoy.write_text(f'#!/bin/sh\necho "decoy $*" >> "{log}"\n')
    decoy.chmod(0o755)
    for target in ("run", "test", "bench"):
        done = subprocess.run(
            ["make", "-s", target, f"VENV={venv}", "RUN_ARGS=--epochs 1 --plot none"],
            cwd=checkout,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == [
        f"setup  VENV={venv}",
        "linearnets softmax --epochs 1 --plot none",
        f"setup dev VENV={venv}",
        "ruff check src tests bench",
        "ruff format --check src tests bench",
        "mypy src bench",
        "python -m pytest -q -n auto --maxprocesses 8 --dist worksteal",
        f"setup dev VENV={venv}",
        *(
            f"python bench/bench_{name}.py"
            for name in ("linreg", "data", "softmax", "scale", "startup", "reload")
        ),
    ]


@pytest.mark.parametrize("how", ["-f", "-C"])
def test_the_makefile_runs_from_another_folder(tmp_path: Path, how: str) -> None:
    """`make -f DIR/Makefile setup` from another folder: "scripts/setup.sh: No such file or
    directory". The scripts are this Makefile's, the checks and tests run in its folder, a relative
    VENV is taken there (as scripts/setup.sh takes it); the run itself stays where it was started."""
    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    checkout, log = _logged_checkout(tmp_path)
    _logged_tools(checkout / "v" / "bin", log, "$1 in $PWD")  # each says where it ran
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = ["-f", str(checkout / "Makefile")] if how == "-f" else ["-C", "../checkout"]
    for target in ("run", "test"):
        done = subprocess.run(
            ["make", "-s", *where, target, "VENV=v"],
            cwd=elsewhere,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    run_in = elsewhere if how == "-f" else checkout
    assert log.read_text().splitlines() == [
        "setup  VENV=v",
        f"linearnets softmax in {run_in}",
        "setup dev VENV=v",
        f"ruff check in {checkout}",
        f"ruff format in {checkout}",
        f"mypy src in {checkout}",
        f"python -m in {checkout}",
    ]


def _checkout_with(folder: Path, said: str, *, makefile: bool = True) -> None:
    """Make ``folder`` a checkout of this Makefile (``makefile``) whose scripts/setup.sh echoes
    "``said`` setup"."""
    (folder / "scripts").mkdir(parents=True)
    if makefile:
        shutil.copy(SETUP.parents[1] / "Makefile", folder)
    (folder / "scripts" / "setup.sh").write_text(f'#!/bin/sh\necho "{said} setup"\n')
    (folder / "scripts" / "setup.sh").chmod(0o755)


def _make(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_the_makefile_refuses_a_path_with_a_space_given_to_f(tmp_path: Path) -> None:
    """`make -f "/tmp/x sp/Makefile" run` from /tmp ran /tmp/sp/scripts/setup.sh: make splits the
    path on its space. It is refused in one line naming the way that works, make -C, which (as make
    from the checkout itself) still runs the checkout's own scripts."""
    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    checkout = tmp_path / "x sp"
    _checkout_with(checkout, "checkout")
    _checkout_with(tmp_path / "sp", "decoy", makefile=False)  # the split path's ROOT
    (tmp_path / "sp" / "Makefile").write_text("")
    refused = _make("-f", str(checkout / "Makefile"), "setup", cwd=tmp_path)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr.endswith(
        f'*** the path given to make -f, "{checkout}/Makefile", has a space, which make splits it '
        'on; run make -C "DIR" instead, DIR the folder holding this Makefile.  Stop.\n'
    )
    assert refused.stderr.count("\n") == 1
    for where, cwd in ((["-C", str(checkout)], tmp_path), ([], checkout)):
        done = _make(*where, "setup", cwd=cwd)
        assert (done.returncode, done.stdout) == (0, "checkout setup\n"), done.stderr


@pytest.mark.parametrize("name", ["p[1]", "st*r", "q?x", "b\\s", "a\\%b", "pc%t"])
def test_the_makefile_takes_a_path_given_to_f_with_a_glob_character(
    tmp_path: Path, name: str
) -> None:
    """`make -f "p[1]/Makefile" setup` was refused as a path with a space: $(wildcard) read the
    path as a pattern, which matched no file (or another one, p1/Makefile). It runs its own scripts."""
    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    for folder, said in ((name, "checkout"), ("p1", "decoy")):
        _checkout_with(tmp_path / folder, said)
    done = _make("-f", f"{name}/Makefile", "setup", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "checkout setup\n", "")


@pytest.mark.parametrize(
    ("name", "char"), [("z$(id)", "$"), ("q`id`", "`"), ('d"q', '"'), ("bb\\\\s", "\\\\")]
)
def test_the_makefile_refuses_a_path_given_to_f_the_shell_would_run(
    tmp_path: Path, name: str, char: str
) -> None:
    """`make -f 'z$(id)/Makefile' setup` ran id: the path goes into the recipes in double quotes.
    It is refused in one line before anything runs; make -C, which keeps it out of them, works."""
    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    _checkout_with(tmp_path / name, "checkout")
    refused = _make("-f", f"{name}/Makefile", "setup", cwd=tmp_path)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr.endswith(
        f'*** the path given to make -f, "{tmp_path / name}/Makefile", has a {char}, which the '
        "shell would read in the commands run from it; run make -C 'DIR' instead, DIR the folder "
        "holding this Makefile, in single quotes, or rename the folder.  Stop.\n"
    )
    assert refused.stderr.count("\n") == 1 and "uid=" not in refused.stderr
    done = _make("-C", name, "setup", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "checkout setup\n"), done.stderr


def test_make_n_test_from_the_checkout_prints_the_commands_as_they_were() -> None:
    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    printed = subprocess.run(
        ["make", "-n", "test"],
        cwd=SETUP.parents[1],
        capture_output=True,
        text=True,
        timeout=60,
        # not as a sub-make of the `make test` running the suite: it then says the directory
        env={
            **{
                k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")
            },
            "VENV": ".venv",
        },
    )
    assert printed.stdout == (
        '"scripts/setup.sh" dev\n'
        '".venv/bin/ruff" check src tests bench\n'
        '".venv/bin/ruff" format --check src tests bench\n'
        '".venv/bin/mypy" src bench\n'
        '".venv/bin/python" -m pytest -q -n auto --maxprocesses 8 --dist worksteal\n'
    ), printed.stderr


@pytest.mark.parametrize(
    ("stop", "said", "status", "pips"),
    [
        (signal.SIGINT, "Ctrl-C", 130, "ERROR: Operation cancelled by user\n"),
        (signal.SIGTERM, "SIGTERM", 143, ""),  # pip's Python is ended by the signal
    ],
)
def test_a_ctrl_c_during_pips_install_is_said_as_a_stop_not_a_failure(
    tmp_path: Path, stop: signal.Signals, said: str, status: int, pips: str
) -> None:
    """pip catches SIGINT and exits 1: setup blamed the network, a proxy or TORCH_INDEX_URL for a
    Ctrl-C while torch was being installed."""
    venv = _venv_with_failing_pip(tmp_path)
    minor = f"python{sys.version_info.major}.{sys.version_info.minor}"
    started = tmp_path / "pip-started"
    (venv / "lib" / minor / "site-packages" / "pip" / "__main__.py").write_text(
        "import sys, time\n"
        "if sys.argv[1:] == ['--version']:\n"
        "    sys.exit(print('pip 0 (fake)'))\n"
        f"open({str(started)!r}, 'w').close()\n"
        "try:\n"
        "    time.sleep(30)\n"
        "except KeyboardInterrupt:  # as pip does\n"
        "    sys.exit('ERROR: Operation cancelled by user')\n"
    )
    env = {**os.environ, "PYTHON": sys.executable, "VENV": str(venv)}
    setup = subprocess.Popen(
        ["bash", str(SETUP)],
        env=env,
        start_new_session=True,  # a group of its own, as a terminal's foreground job
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):
            if started.exists() or setup.poll() is not None:
                break
            time.sleep(0.05)
        assert started.exists()
        os.killpg(setup.pid, stop)  # Ctrl-C (or kill): to the whole foreground group
        stderr = setup.communicate(timeout=30)[1]
    finally:
        if setup.poll() is None:
            os.killpg(setup.pid, signal.SIGKILL)
            setup.wait()
    assert setup.returncode == status
    assert stderr.endswith(  # after bash's own word where pip was ended by the signal (Terminated)
        f"{pips}setup: stopped ({said}) while pip installed torch==2.13.0 into {venv}; run the same "
        "command again to finish the setup\n"
    )
    assert "could not install" not in stderr
    assert not (venv / ".stamp-run").exists()


def _venv_installed_by_stub_pip(tmp_path: Path) -> tuple[Path, Path]:
    """A venv of its own (nothing of this Python's packages) whose pip logs each install and writes
    what it would install as bare metadata: torch at TORCH_SPEC's version (and an empty torch
    package); for `.` or `.[dev]`, linearnets's metadata with this install's requirements, and each
    requirement it names but torch (the dev ones for `.[dev]` only), at version 99. The package itself comes from this checkout's src/. Its site-packages
    and the log."""
    import importlib.metadata

    venv, log = _venv_with_logging_pip(tmp_path)
    minor = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = venv / "lib" / minor / "site-packages"
    requires = importlib.metadata.requires("linearnets") or []
    (site / "pip" / "__main__.py").write_text(
        "import os, re, sys\n"
        "if sys.argv[1:] == ['--version']:\n"
        "    sys.exit(print('pip 0 (fake)'))\n"
        f"open({str(log)!r}, 'a').write(sys.argv[-1] + '\\n')\n"
        f"site, requires = {str(site)!r}, {requires!r}\n"
        "def dist(name, lines=(), version='99'):\n"
        "    folder = os.path.join(site, re.sub(r'[-_.]+', '_', name).lower() + '-0.dist-info')\n"
        "    os.makedirs(folder, exist_ok=True)\n"
        "    head = f'Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n'\n"
        "    open(os.path.join(folder, 'METADATA'), 'w').write(head + ''.join(lines))\n"
        "if sys.argv[-1].startswith('torch'):\n"
        "    dist('torch', version=sys.argv[-1].partition('==')[2])\n"
        "    os.makedirs(os.path.join(site, 'torch'), exist_ok=True)\n"
        "    open(os.path.join(site, 'torch', '__init__.py'), 'w').close()\n"
        "    sys.exit()\n"
        "dist('linearnets', [f'Requires-Dist: {line}\\n' for line in requires])\n"
        "for line in requires:  # torch kept: the one TORCH_SPEC installed meets torch>=\n"
        "    name = re.match(r'[A-Za-z0-9._-]+', line).group()\n"
        "    if name != 'torch' and (';' not in line or sys.argv[-1] == '.[dev]'):\n"
        "        dist(name)\n"
    )
    return site, log


def _installs(tmp_path: Path, log: Path, *args: str) -> list[str]:
    """Run the setup (with ``args``) in ``tmp_path``'s venv and return what the stub pip installed
    (the lines ``log`` gained)."""
    before = log.read_text().splitlines() if log.exists() else []
    done = _setup(tmp_path, *args, python=sys.executable)
    assert (done.returncode, done.stderr) == (0, "")
    return log.read_text().splitlines()[len(before) :]


def test_a_requirement_removed_from_a_set_up_venv_is_installed_again(tmp_path: Path) -> None:
    """The install was taken as whole where linearnets and torch were found: after
    `pip uninstall -y matplotlib`, `make run` skipped the setup and failed on the import."""
    site, log = _venv_installed_by_stub_pip(tmp_path)

    installs = functools.partial(_installs, tmp_path, log)

    assert installs() == ["torch==2.13.0", "."]
    assert installs() == []  # whole: kept
    shutil.rmtree(site / "matplotlib-0.dist-info")  # pip uninstall -y matplotlib
    assert installs() == ["torch==2.13.0", "."]
    assert installs("dev") == ["torch==2.13.0", ".[dev]"]
    shutil.rmtree(site / "pytest_xdist-0.dist-info")  # a dev tool only
    assert installs() == []  # the runtime is whole
    assert installs("dev") == ["torch==2.13.0", ".[dev]"]
    assert installs("dev") == []


def _set_version(site: Path, folder: str, version: str) -> None:
    metadata = site / folder / "METADATA"
    metadata.write_text(re.sub(r"(?m)^Version: .*$", f"Version: {version}", metadata.read_text()))


def test_a_requirement_at_a_version_it_does_not_allow_is_installed_again(tmp_path: Path) -> None:
    """Each requirement was looked for by name only: a torch 2.2.0 (`torch>=2.3` wanted, as
    `pip check` says) in a set-up venv was kept, and `make run` failed in from_numpy."""
    site, log = _venv_installed_by_stub_pip(tmp_path)

    installs = functools.partial(_installs, tmp_path, log)

    assert installs() == ["torch==2.13.0", "."]
    _set_version(site, "torch-0.dist-info", "2.13.0+cpu")  # a local label: TORCH_SPEC's still
    assert installs() == []
    _set_version(site, "torch-0.dist-info", "2.2.0")
    assert installs() == ["torch==2.13.0", "."]
    _set_version(site, "torch-0.dist-info", "2.12.0")  # torch>=2.3 met, TORCH_SPEC not
    assert installs() == ["torch==2.13.0", "."]
    _set_version(site, "matplotlib-0.dist-info", "3.7.5")
    assert installs() == ["torch==2.13.0", "."]
    assert installs("dev") == ["torch==2.13.0", ".[dev]"]
    _set_version(site, "pytest-0.dist-info", "7.4.4")  # a dev tool only
    assert installs() == []
    assert installs("dev") == ["torch==2.13.0", ".[dev]"]
    assert installs("dev") == []


def test_a_requirement_of_a_requirement_removed_is_installed_again(tmp_path: Path) -> None:
    """Only linearnets' own requirements were looked for: after `pip uninstall -y packaging`
    (matplotlib's), the setup was skipped and the run failed on matplotlib's import."""
    site, log = _venv_installed_by_stub_pip(tmp_path)

    installs = functools.partial(_installs, tmp_path, log)

    assert installs() == ["torch==2.13.0", "."]
    metadata = site / "matplotlib-0.dist-info" / "METADATA"
    metadata.write_text(
        metadata.read_text() + "Requires-Dist: packaging>=20.0\n"
        "Requires-Dist: not-installed-here; extra == 'dev'\n"  # an extra not asked for
        "Requires-Dist: not-installed-either; python_version < '3'\n"
    )
    (site / "packaging-0.dist-info").mkdir()
    (site / "packaging-0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: packaging\nVersion: 24.0\n"
    )
    assert installs() == []  # whole: kept
    shutil.rmtree(site / "packaging-0.dist-info")  # pip uninstall -y packaging
    assert installs() == ["torch==2.13.0", "."]


def test_a_torch_spec_that_is_a_wheels_file_name_is_not_installed_on_each_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TORCH_SPEC=torch-2.13.0-cp311-cp311-linux_x86_64.whl parsed as a requirement's name, which
    no install has: every run installed torch and linearnets again."""
    wheel = "torch-2.13.0-cp311-cp311-linux_x86_64.whl"
    monkeypatch.setenv("TORCH_SPEC", wheel)
    site, log = _venv_installed_by_stub_pip(tmp_path)
    assert _setup(tmp_path, python=sys.executable).returncode == 0
    _set_version(site, "torch-0.dist-info", "2.13.0")  # what the wheel installs
    assert log.read_text().splitlines() == [wheel, "."]
    done = _setup(tmp_path, python=sys.executable)
    assert (done.returncode, done.stderr) == (0, "")
    assert log.read_text().splitlines() == [wheel, "."]  # kept: nothing installed again


def test_a_cuda_build_of_torch_installed_is_said_with_its_size_and_the_cpu_index(
    tmp_path: Path,
) -> None:
    """PyPI's Linux wheel of torch (its nvidia-* requirements), taken where the VM's local CPU
    wheel did not fit (PYTHON=python3.12: 4.8 GB), was installed without a word. Said once, by
    this run's install, with the size its metadata records (the oracle: the RECORD written
    here), counting only the nvidia-* requirements for this machine."""
    site, log = _venv_installed_by_stub_pip(tmp_path)
    main = site / "pip" / "__main__.py"
    requires = [
        'nvidia-cublas-cu12==12.8; sys_platform == "linux"',
        "nvidia-cuda-nvrtc-cu12==12.8",
        'nvidia-other==1; sys_platform == "win32"',  # not this machine's
        "triton==3.6.0",  # no nvidia-* name: 0.7 GB left out of the size said
        "filelock",
    ]
    cuda = (
        f"    dist('torch', {[f'Requires-Dist: {r}' + chr(10) for r in requires]!r},"
        " version=sys.argv[-1].partition('==')[2])\n"
        "    for name, size in (('nvidia-cublas-cu12', 2300000000), ('triton', 700000000)):\n"
        "        dist(name, version='1')\n"
        "        folder = re.sub(r'[-_.]+', '_', name).lower() + '-0.dist-info'\n"
        "        record = os.path.join(site, folder, 'RECORD')\n"
        "        open(record, 'w').write(f'{name}/lib/a.so,,{size}' + chr(10))\n"
    )
    stub = main.read_text()
    plain = "    dist('torch', version=sys.argv[-1].partition('==')[2])\n"
    assert plain in stub
    main.write_text(stub.replace(plain, cuda))
    venv = tmp_path / "venv"
    done = _setup(tmp_path, python=sys.executable)
    assert (done.returncode, done.stderr) == (
        0,
        "setup: pip installed the CUDA build of torch 2.13.0 (with its 3 CUDA packages, nvidia-* "
        f"and triton: 3.0 GB in {venv}), which runs on the CPU too; for the CPU build alone, "
        f"remove {venv} and run the same command again with "
        "TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu\n",
    )
    assert log.read_text().splitlines() == ["torch==2.13.0", "."]
    (venv / ".stamp-run").write_text("stale\n")  # pip runs again, and keeps torch: nothing said
    done = _setup(tmp_path, python=sys.executable)
    assert (done.returncode, done.stderr) == (0, "")


def test_the_readmes_recount_says_that_pytest_comes_with_the_dev_tools() -> None:
    """The recount runs `.venv/bin/python -m pytest`, which only `make test` (setup-dev) installs:
    after only `make run` it printed 0 and "No module named pytest", nothing said beforehand."""
    import importlib.metadata

    requires = importlib.metadata.requires("linearnets") or []
    pytest_for = [line.partition(";")[2].strip() for line in requires if line.startswith("pytest>")]
    assert pytest_for == ['extra == "dev"']  # a dev tool, not the runtime's
    makefile = (SETUP.parents[1] / "Makefile").read_text()
    assert (
        'setup-dev:\n\t@"$(ROOT)scripts/setup.sh" dev\n' in makefile and "test: lint\n" in makefile
    )
    readme = (SETUP.parents[1] / "README.md").read_text(encoding="utf-8")
    said = re.search(r"Recount with(.*?):\n\n```sh\n\.venv/bin/python -m pytest", readme, re.S)
    assert said is not None, "the README's recount"
    assert "`make test`" in said.group(1) and "`make setup-dev`" in said.group(1)
