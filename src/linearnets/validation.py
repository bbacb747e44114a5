"""Checks for values entering the library: each failure names the argument, the rule, the value and the fix.

Imports neither torch nor NumPy itself: the command's options are checked with these before either
is loaded (``linearnets softmax --epochs 0`` answers without waiting seconds for torch). A
value that is a tensor or an array can only exist once its library is loaded, so the checks of
numbers look for them in :data:`sys.modules`; the checks of tensors import torch, already loaded.

The checks live by what they check: :mod:`linearnets.option_checks` (numbers, bools, choices),
:mod:`linearnets.tensor_checks` (tensors), :mod:`linearnets.model_checks` (a model's size, weights
and scores), with what they share in :mod:`linearnets._check_basics`; this module gathers them, the
one place to import them from.
"""

from __future__ import annotations

from linearnets._check_basics import describe, is_finite_number, scalar_value
from linearnets.model_checks import (
    MAX_WEIGHT_BYTES,
    NanSource,
    NanStep,
    check_finite_init,
    check_model_size,
    check_no_nan_scores,
)
from linearnets.option_checks import (
    check_bool,
    check_choice,
    check_generator,
    check_non_negative_float,
    check_positive_float,
    check_positive_int,
    check_transform,
)
from linearnets.tensor_checks import (
    check_finite,
    check_float_tensor,
    check_holds_values,
    check_label_range,
    check_label_tensor,
    check_labels_device,
    check_same_length,
    check_scores_first,
    is_column,
    is_one_score_per_label,
    one_output_per_class_fix,
    one_score_error,
)

__all__ = [
    "MAX_WEIGHT_BYTES",
    "NanSource",
    "NanStep",
    "check_bool",
    "check_choice",
    "check_finite",
    "check_finite_init",
    "check_float_tensor",
    "check_generator",
    "check_holds_values",
    "check_label_range",
    "check_label_tensor",
    "check_labels_device",
    "check_model_size",
    "check_no_nan_scores",
    "check_non_negative_float",
    "check_positive_float",
    "check_positive_int",
    "check_same_length",
    "check_scores_first",
    "check_transform",
    "describe",
    "is_column",
    "is_finite_number",
    "is_one_score_per_label",
    "one_output_per_class_fix",
    "one_score_error",
    "scalar_value",
]
