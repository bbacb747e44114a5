"""A saved config's keys that are no setting: refused naming each, with the setting it likely
meant (:func:`linearnets.config_values.check_known_settings`)."""

from __future__ import annotations

import pytest

from linearnets.config import LinregConfig, SoftmaxConfig
from linearnets.config_values import check_known_settings
from linearnets.errors import UsageError


@pytest.mark.parametrize(
    ("key", "named"),
    [
        ("lr ", "'lr ' (drop the blank: 'lr')"),
        ("Batch_Size", "'Batch_Size' (write it in lower case: 'batch_size')"),
        ("epoch", "'epoch' (did you mean 'epochs'?)"),
        ("learning_rate", "'learning_rate' (did you mean 'lr'?)"),  # another library's name
        ("threads", "'threads' (did you mean 'num_threads'?)"),
        ("colour", "'colour'"),  # like no setting: named alone
    ],
)
def test_a_key_that_is_no_setting_is_named_with_the_setting_it_likely_meant(
    key: str, named: str
) -> None:
    with pytest.raises(UsageError) as info:
        check_known_settings(SoftmaxConfig, {"epochs": 3, key: 1})
    assert str(info.value) == (
        f"config has settings this linearnets does not know: {named}; it was written by another "
        "version, or edited by hand"
    )


def test_every_key_a_config_writes_is_known_and_several_unknown_are_named_in_order() -> None:
    for config in (SoftmaxConfig(), LinregConfig()):
        check_known_settings(type(config), config.to_dict())  # no refusal
    with pytest.raises(UsageError, match=r"know: 'momentum', 'seedd' \(did you mean 'seed'\?\);"):
        check_known_settings(LinregConfig, {"seedd": 1, "momentum": 0.9})


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("tsak", "did you mean 'task'?"),  # two adjacent letters swapped: a ratio of 0.75
        ("taks", "did you mean 'task'?"),
        ("tusk", "did you mean 'task'?"),  # one changed, in a name of four letters
        ("tags", None),  # two edits from "task": a note of one's own
        ("rl", "did you mean 'lr'?"),  # a swap, in a name of any length
        ("lt", None),  # one changed counts in names of four letters or more only
    ],
)
def test_one_edit_takes_a_swap_or_one_change_that_the_ratio_misses(
    key: str, meant: str | None
) -> None:
    """A cutoff of 0.8 keeps "tags" from "task" (0.75), but misses "tsak", 0.75 as well."""
    from linearnets.config_values import likely_meant

    sections = ("task", "config", "lr")
    assert likely_meant(key, sections, cutoff=0.8) is None
    assert likely_meant(key, sections, cutoff=0.8, one_edit=True) == meant
