"""A softmax run's ``config.json``: its settings, environment, data source and resumes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from linearnets._paths import absolute_path
from linearnets.training.runs import CONFIG_FILE, environment, write_json_atomic

if TYPE_CHECKING:
    from linearnets.tasks.experiment import Experiment

__all__ = ["write_run_config"]


def write_run_config(
    run_dir: Path,
    exp: Experiment,
    *,
    resumes: list[dict[str, Any]],
    started: dict[str, Any] | None = None,
    notes: dict[str, Any] | None = None,
) -> None:
    """Write ``config.json``: the effective config (``out`` the run folder, absolute), seed,
    threads, versions, data source, resumes.

    ``started``: the environment the run started in (a resume keeps it; its own is in ``resumes``).
    A resume (``started`` given) also keeps the ``device`` and ``world_size`` the run started with at
    the top level and records its own in its entry, the last of ``resumes``. ``notes``: the keys
    a resume found beside the run's (the user's: :func:`~linearnets.training.config_sections.notes_of`),
    written back.
    """
    here = {"device": str(exp.device), "world_size": exp.dist.world_size}
    first = here
    if started is not None and resumes:
        resumes = [*resumes[:-1], {**resumes[-1], **here}]
        first = {**here, **_started_on(run_dir)}
    write_json_atomic(
        run_dir / CONFIG_FILE,
        {
            **(notes or {}),
            # out: the folder the run is in, absolute (a relative one would name another folder
            # once read from elsewhere), also where the default runs/softmax-IMPL-TIME was made
            "config": {**exp.config.to_dict(), "out": str(absolute_path(run_dir))},
            "environment": started if started is not None else environment(),
            "data_source": exp.data_source,
            **first,
            "data_sha256": exp.data_sha256,
            "resumes": resumes,
        },
    )


def _started_on(run_dir: Path) -> dict[str, Any]:
    """Return the ``device`` and ``world_size`` the run's ``config.json`` holds ({} if unreadable)."""
    from linearnets._json import loads_shallow

    try:
        saved = loads_shallow((run_dir / CONFIG_FILE).read_text())
    except (OSError, ValueError):  # lost or damaged: rebuilt from this resume's
        return {}
    if not isinstance(saved, dict):
        return {}
    return {key: saved[key] for key in ("device", "world_size") if key in saved}
