"""linearnets.data.loader_dataset: ``loader.dataset``, the examples one by one, as a DataLoader's."""

from __future__ import annotations

import pytest
import torch

from linearnets.data.loader import ArrayLoader
from linearnets.errors import UsageTypeError

IMAGES = torch.randint(
    0, 256, (7, 6, 5), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
)
LABELS = torch.tensor([3, 0, 9, 1, 1, 4, 2])


@pytest.mark.parametrize("resize", [None, 8, (4, 10)])
def test_each_example_is_the_row_of_an_unshuffled_batch_of_all(resize: object) -> None:
    loader = ArrayLoader(IMAGES, LABELS, 7, shuffle=False, resize=resize)
    ((X, y),) = list(loader)  # one batch of every example, in order
    dataset = loader.dataset
    assert len(dataset) == 7
    for i in range(7):
        Xi, yi = dataset[i]
        assert Xi.shape == loader.feature_shape == X.shape[1:]
        torch.testing.assert_close(Xi, X[i], rtol=0, atol=1e-6)  # a batch of one resizes the same
        assert type(yi) is int and yi == int(y[i])


def test_an_image_is_float32_in_zero_to_one_as_to_tensor_gives_it() -> None:
    X, y = ArrayLoader(IMAGES, LABELS, 2, shuffle=True).dataset[-1]  # the order plays no part
    assert X.dtype == torch.float32 and X.shape == (1, 6, 5)
    assert torch.equal(X[0], IMAGES[-1].float() / 255)
    assert y == 2


def test_float_features_and_targets_come_back_as_tensors_and_copies() -> None:
    features = torch.randn(5, 3)
    targets = torch.randn(5, 1)
    X, y = ArrayLoader(features, targets, 2, shuffle=False).dataset[1]
    assert (
        torch.equal(X, features[1]) and isinstance(y, torch.Tensor) and torch.equal(y, targets[1])
    )
    X.zero_()
    y.zero_()
    assert features[1].abs().sum() > 0 and targets[1].abs().sum() > 0  # the dataset is unchanged


def test_a_sharded_loader_has_every_rank_s_examples() -> None:
    loader = ArrayLoader(IMAGES, LABELS, 4, shuffle=True, rank=1, world_size=2)
    assert len(loader.dataset) == 7  # a DataLoader's dataset is the whole, its sampler the share


def test_an_index_out_of_range_is_an_index_error_so_iteration_ends() -> None:
    dataset = ArrayLoader(IMAGES, LABELS, 2, shuffle=False).dataset
    with pytest.raises(
        IndexError, match=r"^index must be in \[-7, 7\), got 7: the dataset holds 7"
    ):
        dataset[7]
    assert [y for _, y in dataset] == LABELS.tolist()  # the old iteration protocol stops there


def test_an_index_that_is_no_integer_is_refused() -> None:
    with pytest.raises(UsageTypeError, match=r"^index must be an integer, got 1\.5; take one"):
        ArrayLoader(IMAGES, LABELS, 2, shuffle=False).dataset[1.5]  # type: ignore[index]


@pytest.mark.parametrize("index", [True, False])
def test_a_bool_index_is_refused(index: bool) -> None:
    """True was example 1 and False example 0, where FashionMNIST (and torch) take no bool index."""
    with pytest.raises(UsageTypeError, match=rf"^index must be an integer, got {index}; take one"):
        ArrayLoader(IMAGES, LABELS, 2, shuffle=False).dataset[index]


def test_negative_indices_count_from_the_end_as_a_list_s() -> None:
    dataset = ArrayLoader(IMAGES, LABELS, 2, shuffle=False).dataset
    examples = list(range(7))  # the oracle: a list's negative indices
    for i in range(-7, 0):
        X, y = dataset[i]
        assert y == int(LABELS[examples[i]])
        assert torch.equal(X[0], IMAGES[examples[i]].float() / 255)
    with pytest.raises(IndexError):
        examples[-8]
    with pytest.raises(IndexError, match=r"^index must be in \[-7, 7\), got -8: the dataset holds 7 examples$"):  # fmt: skip
        dataset[-8]


@pytest.mark.parametrize(("resize", "shape"), [(None, "(1, 6, 5)"), ((4, 10), "(1, 4, 10)")])
def test_repr_names_the_number_of_examples_and_their_shape(resize: object, shape: str) -> None:
    dataset = ArrayLoader(IMAGES, LABELS, 2, shuffle=False, resize=resize).dataset  # type: ignore[arg-type]
    assert repr(dataset) == f"LoaderDataset(7 examples of shape {shape})"


def test_a_dataset_of_one_example_says_one_example() -> None:
    """It said "1 examples", in its repr and when an index is past its end."""
    dataset = ArrayLoader(IMAGES[:1], LABELS[:1], 2, shuffle=False).dataset
    assert repr(dataset) == "LoaderDataset(1 example of shape (1, 6, 5))"
    with pytest.raises(IndexError, match=r"^index must be in \[-1, 1\), got 1: the dataset holds 1 example$"):  # fmt: skip
        dataset[1]


def test_data_targets_and_classes_are_the_loaders_as_torchvisions_dataset_has_them() -> None:
    """loader.dataset lacked data, targets and classes, which torchvision's FashionMNIST has."""
    loader = ArrayLoader(IMAGES, LABELS, 3, shuffle=True, resize=8, classes=list("abcdefghij"))
    dataset = loader.dataset
    assert dataset.data.dtype == torch.uint8 and torch.equal(dataset.data, IMAGES)  # unresized
    assert dataset.targets.dtype == torch.int64 and torch.equal(dataset.targets, LABELS)
    assert dataset.classes == list("abcdefghij")
    assert dataset[2][1] == int(dataset.targets[2])


def test_a_dataset_without_classes_says_how_to_give_them() -> None:
    dataset = ArrayLoader(IMAGES, LABELS, 3, shuffle=False).dataset
    with pytest.raises(AttributeError) as info:
        dataset.classes  # noqa: B018
    assert str(info.value) == (
        "this dataset has no classes: its ArrayLoader was made without class names; pass "
        "ArrayLoader(..., classes=[...]) (load_data_fashion_mnist's loaders have Fashion-MNIST's "
        "ten)"
    )
    assert not hasattr(dataset, "classes")
