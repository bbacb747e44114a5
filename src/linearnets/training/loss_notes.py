"""The note added to an error a loss of the user's own raised, under its traceback (D2L §3.6): the
call it failed on, the inputs' dtypes and shapes, and the likely cause where one shows.

Any exception the loss raises gets it (a ``KeyError`` of its own code as torch's ``RuntimeError``),
the traceback into the loss kept; linearnets' own errors, readable already, and torch's loss
modules, whose rules :mod:`linearnets.training.loss_diagnosis` says, get none.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import traceback
import warnings
from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F

from linearnets._text import and_list
from linearnets.errors import LinearnetsError
from linearnets.training.loss_kinds import Loss, is_torch_loss

__all__ = ["add_loss_note", "note_user_loss_error"]

# the names torch's "not implemented for 'Long'" gives the integer dtypes labels come in
_TORCH_NAMES = {
    torch.int64: "Long",
    torch.int32: "Int",
    torch.int16: "Short",
    torch.int8: "Char",
    torch.uint8: "Byte",
    torch.bool: "Bool",
}


def note_user_loss_error(
    loss: Loss, y_hat: torch.Tensor, y: torch.Tensor, err: BaseException
) -> None:
    """Add :func:`add_loss_note`'s note to ``err``, raised by ``loss(y_hat, y)``, where ``loss`` is
    the user's own (not one of torch's loss modules) and ``err`` is not linearnets' own error nor
    a ``KeyboardInterrupt`` (no ``Exception``)."""
    if not isinstance(err, Exception) or isinstance(err, LinearnetsError):
        return
    if not is_torch_loss(loss):
        add_loss_note(err, y_hat, y, loss=loss)


def add_loss_note(
    err: Exception, y_hat: torch.Tensor, y: torch.Tensor, *, loss: Loss | None = None
) -> None:
    """Note on ``err``, raised by a loss of the user's own, the call it failed on and the inputs'
    dtypes and shapes (Python 3.11+ shows it under the traceback; 3.10 shows no notes).

    torch's words alone ("log_softmax_lastdim_kernel_impl" not implemented for 'Long') do not say
    that the loss got the model's output and the labels, nor in which order. A float-only op that
    refused the labels' integer dtype is how a loss taking its arguments swapped
    (``F.cross_entropy(y, y_hat)``) fails: named as one likely cause, not as the cause (any
    integer tensor inside the loss, ``y_hat.argmax(1)`` or a one-hot, fails alike). A ``partial``
    of torch's ``F.cross_entropy`` / ``F.nll_loss`` takes them in torch's order: the keywords it
    fixes are named instead (:func:`_partial_suspects`).
    """
    if not hasattr(err, "add_note") or not isinstance(y_hat, torch.Tensor):
        return
    said = (
        f"linearnets: the loss failed on loss(y_hat, y) with y_hat (the model's output) "
        f"{_dtype_shape(y_hat)} and y (the labels) {_dtype_shape(y)}"
    )
    refused = f"not implemented for '{_TORCH_NAMES.get(y.dtype)}'"  # torch's words, its name
    suspects = _partial_suspects(loss, y_hat, y)
    if suspects is not None:
        said += suspects
    elif _target_dtype_refused(err, y):
        dtype = str(y.dtype).removeprefix("torch.")
        said += (
            f"; torch's class loss inside it refused the labels' dtype, {dtype}: the labels y "
            f"must be int64 class indices, use y.long() {_long_where(err)}"
        )
    elif y_hat.is_floating_point() and refused in str(err):
        dtype = str(y.dtype).removeprefix("torch.")
        said += (
            f"; it ran an op for floats on an {dtype} tensor: the labels y, as a loss taking its "
            "arguments swapped does (F.cross_entropy(y, y_hat)), or one made inside the loss "
            "(y_hat.argmax(1), F.one_hot(y)): check it takes (y_hat, y) in that order, e.g. "
            "F.cross_entropy(y_hat, y, reduction='none'), and turn an integer tensor it computes "
            "with into floats (.float())"
        )
    else:
        said += "; check it takes (y_hat, y) in that order, and works on these"
    if said not in getattr(err, "__notes__", ()):  # the same error met again (a retried step)
        err.add_note(said)


def _target_dtype_refused(err: Exception, y: torch.Tensor) -> bool:
    """Whether ``err`` is torch's class losses' refusal of integer labels ``y`` of a dtype other
    than int64 ("expected target dtype to be Long or Byte, but got Int", from ``F.cross_entropy``
    or ``F.nll_loss`` called inside the user's loss): it was told to check the order of
    (y_hat, y), which was right. Float labels are not told to cast (probabilities, maybe)."""
    name = _TORCH_NAMES.get(y.dtype)
    words = str(err)
    return (
        name is not None
        and y.dtype != torch.int64
        and "expected target dtype to be Long" in words
        and words.rstrip().endswith(f"but got {name}")
    )


# the call that casts the labels inside the loss, by the torch function that refused them
_CASTS = {
    "cross_entropy": "F.cross_entropy(y_hat, y.long())",
    "nll_loss": "F.nll_loss(..., y.long())",
}


def _long_where(err: Exception) -> str:
    """Return where ``y.long()`` goes: on the labels, or in the loss's call of the torch function
    ``err``'s traceback shows refusing them (``F.nll_loss`` was told to call ``F.cross_entropy``,
    which takes logits, not log-probabilities); on the labels alone where none shows."""
    refusing = None
    for frame, _ in traceback.walk_tb(err.__traceback__):
        code = frame.f_code
        if code.co_filename == F.__file__ and code.co_name in _CASTS:
            refusing = code.co_name  # the innermost: the one that refused
    if refusing is None:
        return "on the labels"
    return f"(on the labels, or in the loss: {_CASTS[refusing]})"


def _dtype_shape(t: torch.Tensor) -> str:
    """Return ``t``'s dtype and shape as ``float32 (20, 3)``."""
    return f"{str(t.dtype).removeprefix('torch.')} {tuple(t.shape)}"


def _partial_suspects(loss: Loss | None, y_hat: torch.Tensor, y: torch.Tensor) -> str | None:
    """Return the note's cause for ``loss``, a ``partial`` of ``F.cross_entropy`` / ``F.nll_loss``
    fixing keywords, which failed on ``y_hat`` and ``y``: the keywords without which torch's
    function runs on them (``weight`` of 3 values for 4 classes, a float ``ignore_index``), found
    by calling it again (once per keyword, once without any: on the failing batch alone), or
    that it fails without them too. ``None`` for any other loss."""
    if not (
        isinstance(loss, functools.partial)
        and not loss.args
        and loss.keywords
        and (loss.func is F.cross_entropy or loss.func is F.nll_loss)
    ):
        return None
    function, keywords = loss.func, dict(loss.keywords)
    name = f"F.{function.__name__}"
    fixed = ", ".join(f"{key}={_shown(value)}" for key, value in keywords.items())
    runs = functools.partial(_runs, function, y_hat.detach(), y)
    blamed = [k for k in keywords if runs({o: v for o, v in keywords.items() if o != k})]
    if not blamed and len(keywords) > 1 and runs({}):
        blamed = _failing_alone(function, keywords, runs)
    if blamed:
        return (
            f"; it is partial({name}, {fixed}), which takes (y_hat, y) in torch's order and runs "
            f"on these without {and_list(blamed)}: {_fixes(function, blamed, keywords, y_hat)}"
        )
    return (
        f"; it is partial({name}, {fixed}), which takes (y_hat, y) in torch's order and fails on "
        f"these without its keywords too: check the model's output and the labels are what "
        f"{name} takes"
    )


def _failing_alone(
    function: Callable[..., torch.Tensor],
    keywords: dict[str, object],
    runs: Callable[[dict[str, object]], bool],
) -> list[str]:
    """Return the keywords to blame where no one of them alone is the fault (two are): those that
    fail alone, and any that is no parameter of ``function`` (``wieght``), where the others run
    without them; else all (keywords that fail only together). A ``reduction='none'`` beside two
    faulty keywords was blamed with them."""
    params = _parameters(function, keywords)
    alone = [k for k in keywords if k not in params or not runs({k: keywords[k]})]
    others = {k: v for k, v in keywords.items() if k not in alone}
    return alone if alone and runs(others) else list(keywords)


def _parameters(function: Callable[..., torch.Tensor], keywords: Iterable[str]) -> list[str]:
    """Return the parameters of ``function``; where it has no signature to read, ``keywords``,
    each taken as one of its own."""
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return list(keywords)


def _fixes(
    function: Callable[..., torch.Tensor],
    blamed: list[str],
    keywords: dict[str, object],
    y_hat: torch.Tensor,
) -> str:
    """Return the fix of each keyword in ``blamed``: what ``function`` takes as it, or, for one
    that is no parameter of it (``wieght=``), that it is none, with the parameter it is likely a
    misspelling of."""
    name = f"F.{function.__name__}"
    params = _parameters(function, blamed)
    unknown = [key for key in blamed if key not in params]
    known = [key for key in blamed if key in params]
    rules = [
        _rule(key, y_hat, keywords[key]) or f"{key} as {name}'s documentation says" for key in known
    ]
    fixes = [f"pass {and_list(rules)}"] if rules else []
    for key in unknown:
        near = difflib.get_close_matches(key, params[2:], n=1)  # not input or target
        guess = f" (did you mean {near[0]}?)" if near else ""
        fixes.append(f"{key} is no keyword of {name}{guess}")
    return ", and ".join(fixes)


def _rule(key: str, y_hat: torch.Tensor, value: object) -> str | None:
    """Return what torch's class losses take as the keyword ``key``, given as ``value`` (for the
    scores ``y_hat``)."""
    if key == "weight":
        classes = f", {y_hat.shape[1]} here" if y_hat.ndim > 1 else ""
        dtype = str(y_hat.dtype).removeprefix("torch.")
        if isinstance(value, torch.Tensor) and value.dtype != y_hat.dtype:
            was = str(value.dtype).removeprefix("torch.")
            return (
                f"weight as a tensor of the model output's dtype, {dtype} here (it is {was}), of "
                f"one weight per class{classes}"
            )
        return f"weight as a float tensor of one weight per class{classes}"
    if key == "ignore_index":
        return "ignore_index as an int, the class label to skip"
    if key == "label_smoothing":
        return "label_smoothing as a float in [0, 1]"
    return None


def _runs(
    function: Callable[..., torch.Tensor],
    y_hat: torch.Tensor,
    y: torch.Tensor,
    keywords: dict[str, object],
) -> bool:
    """Whether ``function(y_hat, y, **keywords)`` returns, without a gradient or a warning."""
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's deprecation of size_average / reduce
            function(y_hat, y, **keywords)
    except Exception:  # any refusal: the keywords left still fail
        return False
    return True


def _shown(value: object) -> str:
    """Return a keyword's value as the note names it: a tensor by its dtype and shape."""
    if isinstance(value, torch.Tensor):
        return f"<{_dtype_shape(value)} tensor>"
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."
