"""What the task tests share: the system's refusals of a file and how the messages word them."""

from __future__ import annotations

# (errno, the words after the file's name, "{path}" its shell-quoted path): a checkpoint its
# permissions (EACCES) or the disk (EIO) deny reading, named with its fix, never as damaged
SYSTEM_REFUSALS = [
    (13, "cannot be read (Permission denied): make it readable (chmod u+r {path})"),
    (
        5,
        "cannot be read (Input/output error: an error of the system, not damage to the "
        "file): check the disk or file system it is on",
    ),
]
