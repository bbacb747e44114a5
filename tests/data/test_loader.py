"""ArrayLoader on small synthetic tensors: coverage, batch sizes, conversion, resizing, sharding."""

from __future__ import annotations

import re
import weakref
from typing import Any, ClassVar

import numpy as np
import pytest
import torch

from linearnets.data import loader as loader_module
from linearnets.data.loader import ArrayLoader
from linearnets.errors import UsageError, UsageTypeError
from linearnets.seeding import default_dtype

N = 23  # not a multiple of the batch size: the last batch is short


@pytest.fixture
def images(gen: torch.Generator) -> torch.Tensor:
    """uint8 (N, 6, 5) whose first pixel is the example's index, so batches say where they came from."""
    x = torch.randint(0, 256, (N, 6, 5), dtype=torch.uint8, generator=gen)
    x[:, 0, 0] = torch.arange(N, dtype=torch.uint8)
    return x


@pytest.fixture
def labels() -> torch.Tensor:
    return torch.arange(N) % 10


def _indices(loader: ArrayLoader) -> list[int]:
    """Return the example indices one epoch yields, in order (the label tensor is arange here)."""
    return [int(i) for _, y in loader for i in y]


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("batch_size", [1, 5, 23, 100])
def test_every_example_once_per_epoch(
    images: torch.Tensor, shuffle: bool, batch_size: int, gen: torch.Generator
) -> None:
    loader = ArrayLoader(images, torch.arange(N), batch_size, shuffle=shuffle, generator=gen)
    sizes = [len(y) for _, y in loader]
    assert sizes == [min(batch_size, N - s) for s in range(0, N, batch_size)]
    assert len(loader) == len(sizes) == -(-N // batch_size)
    first, second = _indices(loader), _indices(loader)
    assert sorted(first) == sorted(second) == list(range(N))
    if shuffle:
        assert first != second  # a new permutation each epoch
    else:
        assert first == list(range(N))


def test_uint8_becomes_float_in_unit_range(images: torch.Tensor, labels: torch.Tensor) -> None:
    X, y = next(iter(ArrayLoader(images, labels, 4, shuffle=False)))
    assert X.dtype == torch.float32 and tuple(X.shape) == (4, 1, 6, 5)
    assert torch.equal(X, images[:4].float().div(255).unsqueeze(1))
    assert y.dtype == torch.int64 and torch.equal(y, labels[:4])


def test_shuffled_batches_match_their_labels(
    images: torch.Tensor, labels: torch.Tensor, gen: torch.Generator
) -> None:
    seen = []
    for X, y in ArrayLoader(images, labels, 4, shuffle=True, generator=gen):
        index = (X[:, 0, 0, 0] * 255).round().long()  # the first pixel is the index
        assert torch.equal(labels[index], y)
        assert torch.equal(X, images[index].float().div(255).unsqueeze(1))
        seen += index.tolist()
    assert sorted(seen) == list(range(len(images)))  # every example checked, once


def test_float_features_pass_through(gen: torch.Generator) -> None:
    X = torch.randn(N, 3, generator=gen, dtype=torch.float64)
    y = torch.randn(N, 1, generator=gen)
    batches = list(ArrayLoader(X, y, 10, shuffle=False))
    assert torch.equal(torch.cat([b[0] for b in batches]), X)
    assert torch.equal(torch.cat([b[1] for b in batches]), y)
    assert batches[0][0].dtype == torch.float64


def _pillow(
    images: torch.Tensor, size: tuple[int, int], dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """The book's Resize-then-ToTensor on each image: Pillow's bilinear resize, then / 255 in
    ``dtype`` (ToTensor's is torch's default)."""
    from PIL import Image

    resized = [
        np.array(Image.fromarray(image.numpy(), mode="L").resize(size[::-1], Image.BILINEAR))
        for image in images
    ]
    return torch.from_numpy(np.stack(resized)).to(dtype).div(255)[:, None]  # (N, 1, h, w)


def test_resize_equals_pillow_image_by_image(images: torch.Tensor, labels: torch.Tensor) -> None:
    loader = ArrayLoader(images, labels, 8, shuffle=False, resize=12)
    assert loader.feature_shape == (1, 12, 12)
    X = torch.cat([X for X, _ in loader])
    assert X.dtype == torch.float32 and tuple(X.shape[1:]) == (1, 12, 12)
    assert torch.equal(X, _pillow(images, (12, 12)))


@pytest.fixture
def float64_default() -> Any:
    """torch's default dtype set to float64 for the test (a notebook's set_default_dtype), then back."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


@pytest.mark.parametrize("resize", [None, 12], ids=["own size", "resized"])
def test_image_dtype_none_gives_torchs_default_read_at_each_batch(
    images: torch.Tensor, labels: torch.Tensor, resize: int | None
) -> None:
    """As the book's ToTensor, which reads torch.get_default_dtype() for each image: a loader made
    before torch.set_default_dtype(torch.float64) yields float64 batches after it, pixels / 255."""
    loader = ArrayLoader(images, labels, 8, shuffle=False, resize=resize, image_dtype=None)
    assert next(iter(loader))[0].dtype == torch.float32
    with default_dtype(torch.float64):
        X = torch.cat([X for X, _ in loader])
        item = loader.dataset[3][0]
    # ToTensor's, in float64: of the uint8 (N, 6, 5) images, or of Pillow's resized (N, 12, 12)
    expected = (
        images.to(torch.float64).div(255)[:, None]
        if resize is None
        else _pillow(images, (12, 12), torch.float64)
    )
    assert X.dtype == torch.float64 and torch.equal(X, expected)
    assert item.dtype == torch.float64 and torch.equal(item, expected[3])


def test_the_loader_yields_float32_whatever_the_default_unless_asked(
    images: torch.Tensor, labels: torch.Tensor, float64_default: None
) -> None:
    """The command's loaders (image_dtype's default): float32 for its float32 models, even in a
    notebook set to float64; a float dtype of one's own is taken, anything else refused."""
    assert next(iter(ArrayLoader(images, labels, 4, shuffle=False)))[0].dtype == torch.float32
    half = ArrayLoader(images, labels, 4, shuffle=False, image_dtype=torch.float16)
    assert torch.equal(next(iter(half))[0], images[:4].to(torch.float16).div(255)[:, None])
    with pytest.raises(
        UsageTypeError,
        match=r"^image_dtype must be a floating torch dtype or None, got torch\.int64; pass e\.g\. "
        r"image_dtype=torch\.float32$",
    ):
        ArrayLoader(images, labels, 4, shuffle=False, image_dtype=torch.int64)


def test_the_2_gib_limit_counts_the_bytes_of_the_dtype_yielded(
    labels: torch.Tensor, monkeypatch: pytest.MonkeyPatch, float64_default: None
) -> None:
    """Two float32 images of 28×28 fit where two float64 ones do not, and the error says float64."""
    monkeypatch.setattr(loader_module, "MAX_BATCH_BYTES", 2 * 28 * 28 * 4)
    y = torch.zeros(2, dtype=torch.long)
    ArrayLoader(_fashion_sized(2), y, 2, shuffle=False)
    with pytest.raises(
        UsageError,
        match=r"^batch_size must keep each batch of float64 images within 2 GiB .* 2 images of "
        r"28×28 pixels take 12,544 bytes .*; lower batch_size to 1 or less$",
    ):
        ArrayLoader(_fashion_sized(2), y, 2, shuffle=False, image_dtype=None)


def test_resize_runs_on_the_cpu_where_the_device_lacks_the_kernel(
    images: torch.Tensor, labels: torch.Tensor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MPS before torch 2.7 has no antialiased resize, and no device has torch's uint8 one: the
    batch is resized on the CPU there, one call per batch, with Pillow's pixels."""
    monkeypatch.setattr(loader_module, "antialias_resize_runs_on", lambda device: False)
    seen: list[torch.device] = []
    resize = loader_module.resize_uint8
    monkeypatch.setattr(
        loader_module, "resize_uint8", lambda x, size: seen.append(x.device) or resize(x, size)
    )
    loader = ArrayLoader(images, labels, 8, shuffle=False, resize=12)
    got = torch.cat([X for X, _ in loader])
    assert seen == [torch.device("cpu")] * len(loader)
    assert torch.equal(got, _pillow(images, (12, 12)))


@pytest.mark.parametrize(
    ("resize", "size"), [((9, 4), (9, 4)), ([7], (7, 7))], ids=["(h, w)", "[n]"]
)
def test_resize_takes_a_pair_and_a_one_item_list(
    images: torch.Tensor, labels: torch.Tensor, resize: Any, size: tuple[int, int]
) -> None:
    loader = ArrayLoader(images, labels, 8, shuffle=False, resize=resize)
    assert loader.feature_shape == (1, *size)
    X = torch.cat([X for X, _ in loader])
    assert torch.equal(X, _pillow(images, size))
    shard = ArrayLoader(
        images[:5], labels[:5], 4, shuffle=False, rank=1, world_size=2, resize=resize
    )
    assert [tuple(X.shape) for X, _ in shard][-1] == (0, 1, *size)  # an empty shard keeps the shape


def test_seeded_generator_gives_the_same_order(images: torch.Tensor) -> None:
    orders = [
        _indices(ArrayLoader(images, torch.arange(N), 5, shuffle=True, generator=torch.Generator().manual_seed(7)))
        for _ in range(2)
    ]  # fmt: skip
    assert orders[0] == orders[1]


@pytest.mark.parametrize("world_size", [2, 3])
@pytest.mark.parametrize("batch_size", [4, 6, 7])
def test_sharding_splits_each_global_batch(
    images: torch.Tensor, world_size: int, batch_size: int
) -> None:
    def loader(rank: int = 0, ws: int = 1) -> ArrayLoader:
        gen = torch.Generator().manual_seed(3)  # every rank seeds its generator alike
        return ArrayLoader(
            images,
            torch.arange(N),
            batch_size,
            shuffle=True,
            generator=gen,
            rank=rank,
            world_size=ws,
        )

    single = list(loader())
    ranks = [list(loader(r, world_size)) for r in range(world_size)]
    assert {len(loader(r, world_size)) for r in range(world_size)} == {len(single)}
    seen: list[int] = []
    for step, (X, y) in enumerate(single):
        assert loader().global_batch_size(step) == len(y)
        for rank in range(world_size):
            Xr, yr = ranks[rank][step]
            assert torch.equal(yr, y[rank::world_size])
            assert torch.equal(Xr, X[rank::world_size])
            seen += yr.tolist()
        assert sum(len(ranks[r][step][1]) for r in range(world_size)) == len(y)
    assert sorted(seen) == list(range(N))  # the union over ranks: every index exactly once


def test_unshuffled_sharding(images: torch.Tensor) -> None:
    parts = [
        ArrayLoader(images, torch.arange(N), 5, shuffle=False, rank=r, world_size=2)
        for r in range(2)
    ]
    assert sorted(_indices(parts[0]) + _indices(parts[1])) == list(range(N))
    assert _indices(parts[1])[:2] == [1, 3]


def test_a_rank_with_nothing_left_still_yields(images: torch.Tensor) -> None:
    loader = ArrayLoader(images[:5], torch.arange(5), 4, shuffle=False, rank=2, world_size=3)
    sizes = [len(y) for _, y in loader]
    assert sizes == [1, 0]  # the last global batch has 1 row: rank 2 gets an empty batch
    assert [loader.global_batch_size(s) for s in range(2)] == [4, 1]


@pytest.mark.parametrize("resize", [None, 14])
def test_an_empty_shard_has_the_shape_of_the_others(
    images: torch.Tensor, resize: int | None
) -> None:
    """A resized run's empty shard must be (0, 1, r, r) too, or the model refuses it."""
    loader = ArrayLoader(images[:5], torch.arange(5), 4, shuffle=False, rank=1, world_size=2, resize=resize)  # fmt: skip
    shapes = [tuple(X.shape) for X, _ in loader]
    h, w = (resize, resize) if resize else tuple(images.shape[1:])
    assert shapes == [(2, 1, h, w), (0, 1, h, w)]


def test_attributes(images: torch.Tensor, labels: torch.Tensor) -> None:
    loader = ArrayLoader(images, labels, 5, shuffle=False)
    assert (loader.num_examples, loader.batch_size, len(loader)) == (N, 5, 5)
    assert loader.num_classes == 10 and loader.feature_shape == (1, 6, 5)
    assert ArrayLoader(images, labels % 3, 5, shuffle=False).num_classes == 3  # largest label + 1
    assert ArrayLoader(images, labels, 5, shuffle=False, num_classes=12).num_classes == 12
    floats = ArrayLoader(torch.zeros(N, 4), torch.zeros(N, 1), 5, shuffle=False)
    assert floats.num_classes is None and floats.feature_shape == (4,)


def test_dataloader_attributes_a_section_3_5_reader_may_read(
    images: torch.Tensor, labels: torch.Tensor
) -> None:
    """num_workers and drop_last were missing (an AttributeError where a DataLoader has them):
    num_workers is the value asked (np.int64 as an int), drop_last False as a DataLoader's
    default, which its last, shorter batch shows."""
    loader = ArrayLoader(images, labels, 5, shuffle=False)
    reference = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, labels), 5)
    assert (
        (loader.num_workers, loader.drop_last)
        == (0, False)
        == (
            reference.num_workers,
            reference.drop_last,
        )
    )
    assert [len(y) for _, y in loader] == [len(y) for _, y in reference] == [5, 5, 5, 5, 3]
    asked = ArrayLoader(images, labels, 5, shuffle=False, num_workers=np.int64(4))
    assert asked.num_workers == 4 and type(asked.num_workers) is int


@pytest.mark.parametrize("name", ["sampler", "batch_sampler"])
def test_a_dataloaders_sampler_is_an_attribute_error_saying_what_to_use(
    images: torch.Tensor, labels: torch.Tensor, name: str
) -> None:
    loader = ArrayLoader(images, labels, 5, shuffle=True)
    with pytest.raises(AttributeError) as info:
        getattr(loader, name)
    assert str(info.value) == (
        f"ArrayLoader has no {name}: it slices batches from tensors in memory, in the order "
        "shuffle and generator give (a new permutation each pass when shuffled); read "
        "loader.shuffle and loader.generator, or wrap loader.dataset in "
        f"torch.utils.data.DataLoader for a {name}"
    )
    wrapped = torch.utils.data.DataLoader(loader.dataset, 5, shuffle=True)  # the fix given works
    assert isinstance(getattr(wrapped, name), torch.utils.data.Sampler)
    # any other missing name: Python's own message, and hasattr stays False
    with pytest.raises(AttributeError, match=r"^'ArrayLoader' object has no attribute 'nope'$"):
        loader.nope  # noqa: B018
    assert not hasattr(loader, name)


@pytest.mark.parametrize(
    ("name", "value", "shown", "fix"),
    [
        ("drop_last", True, "True", "; wrap loader.dataset in torch.utils.data.DataLoader("
         "loader.dataset, loader.batch_size, shuffle=loader.shuffle, generator=loader.generator, "
         "drop_last=True)"),
        ("drop_last", False, "False", ": drop the assignment"),
        ("sampler", None, "None", ": drop the assignment"),
        ("batch_sampler", None, "None", ": drop the assignment"),
        ("sampler", torch.utils.data.SequentialSampler(range(3)), "a SequentialSampler",
         "; wrap loader.dataset in torch.utils.data.DataLoader(loader.dataset, "
         "loader.batch_size, sampler=...)"),
        ("batch_sampler", [[0, 1]], "a list", "; wrap loader.dataset in "
         "torch.utils.data.DataLoader(loader.dataset, batch_sampler=...)"),
    ],
)  # fmt: skip
def test_setting_drop_last_or_a_sampler_is_refused_as_a_dataloader_refuses_it(
    images: torch.Tensor, labels: torch.Tensor, name: str, value: Any, shown: str, fix: str
) -> None:
    """``loader.drop_last = True`` was accepted and ignored: every batch still came, the last
    shorter one too. A made DataLoader (the oracle) refuses it with a ValueError. The fix given
    runs as written: with batch_size beside batch_sampler it raised ValueError, and the
    DataLoader offered for drop_last lost the loader's shuffling; drop_last=False, what the
    loader does, is told to be dropped."""
    reference = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, labels), 5)
    with pytest.raises(ValueError, match=rf"^{name} attribute should not be set after"):
        setattr(reference, name, value)
    loader = ArrayLoader(
        images, labels, 5, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    with pytest.raises(UsageError) as info:
        setattr(loader, name, value)
    assert str(info.value) == (
        f"{name} cannot be set on an ArrayLoader, as on a DataLoader once made, got "
        f"{name}={shown}: it yields every batch, the last, shorter one too, in the order shuffle "
        f"and generator give{fix}"
    )
    assert loader.drop_last is False and [len(y) for _, y in loader] == [5, 5, 5, 5, 3]
    if "wrap" in fix:  # the fix as written, a sampler or batch sampler of the user's own
        code = fix.split("in ", 1)[1].removesuffix(")") + ")"
        filled = code.replace(
            "sampler=...", "sampler=" + ("[[0, 1], [2]]" if "batch_sampler" in code else "range(4)")
        )
        fixed = eval(filled, {"torch": torch, "loader": loader})
        sizes = [len(y) for _, y in fixed]
        assert sizes == {"drop_last": [5, 5, 5, 5], "sampler": [4], "batch_sampler": [2, 1]}[name]
        if name == "drop_last":  # shuffled, as the loader is
            assert fixed.sampler.__class__.__name__ == "RandomSampler"
    loader.num_workers = 2  # as a DataLoader's, num_workers may be set
    assert loader.num_workers == 2


def test_more_class_names_than_the_labels_hold_name_a_subset(
    images: torch.Tensor, labels: torch.Tensor
) -> None:
    """The ten Fashion-MNIST names beside labels 0..4 (a subset of the classes) were refused as
    'must name each class once', which worked before and in torchvision: the labels may lack the
    last classes; each label is named."""
    names = [f"class {k}" for k in range(10)]
    loader = ArrayLoader(images, labels % 5, 5, shuffle=False, classes=names)
    assert loader.dataset.classes == names
    assert {loader.dataset.classes[int(t)] for t in loader.dataset.targets} <= set(names[:5])


def test_a_subclass_sets_drop_last_or_a_sampler_before_the_loader_is_made(
    images: torch.Tensor, labels: torch.Tensor
) -> None:
    """A subclass whose __init__ set self.drop_last before ArrayLoader's ran was refused, where a
    DataLoader subclass may (a DataLoader refuses them once made only); allowed, it was kept and
    ignored, drop_last reading True while the last batch came: as a DataLoader's __init__ sets
    its own, the loader's are what it does."""

    class Mine(ArrayLoader):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.drop_last = True
            self.sampler = torch.utils.data.SequentialSampler(range(3))
            super().__init__(*args, **kwargs)

    class Theirs(torch.utils.data.DataLoader):  # the oracle: its __init__ sets its own
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.drop_last = True
            super().__init__(*args, **kwargs)

    mine = Mine(images, labels, 5, shuffle=False)
    theirs = Theirs(torch.utils.data.TensorDataset(images, labels), 5)
    # set before, as a DataLoader's they are the loader's own: it says what it does
    assert mine.drop_last is theirs.drop_last is False
    assert [len(y) for _, y in mine] == [len(y) for _, y in theirs] == [5, 5, 5, 5, 3]
    with pytest.raises(AttributeError, match="sampler"):
        mine.sampler  # noqa: B018


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("kind", ["uint8", "float"])
def test_a_batch_changed_in_place_leaves_the_data_alone(
    images: torch.Tensor, labels: torch.Tensor, shuffle: bool, kind: str
) -> None:
    """torch's DataLoader yields new tensors (the oracle): zeroing a batch changes no later epoch."""
    features = images if kind == "uint8" else images.float()
    dataset = torch.utils.data.TensorDataset(features.clone(), labels.clone())
    for batches in (
        torch.utils.data.DataLoader(dataset, batch_size=5, shuffle=False),
        ArrayLoader(features, labels, 5, shuffle=shuffle),
    ):
        for X, y in batches:
            X.zero_()
            y.zero_()
        assert sorted(int(i) for _, y in batches for i in y) == sorted(labels.tolist())
        assert sum(float(X.sum()) for X, _ in batches) > 0
    assert torch.equal(dataset.tensors[1], labels)  # the oracle's data: untouched as well


@pytest.mark.parametrize("shuffle", [True, False])
def test_a_batch_is_a_list_as_torchs_dataloader_gives_it(
    images: torch.Tensor, labels: torch.Tensor, shuffle: bool
) -> None:
    """default_collate turns each example's (X, y) into a list [X, y] (the oracle): the book's
    batches are lists, so code that compares a batch with a list or appends to it runs alike."""
    oracle = next(iter(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, labels))))
    batches = list(ArrayLoader(images, labels, 5, shuffle=shuffle))
    assert type(oracle) is list and len(oracle) == 2
    assert {type(batch) for batch in batches} == {list} and {len(b) for b in batches} == {2}


def test_the_generator_draws_one_permutation_per_epoch(images: torch.Tensor) -> None:
    gen = torch.Generator().manual_seed(11)
    loader = ArrayLoader(images, torch.arange(N), 4, shuffle=True, generator=gen)
    epochs = [_indices(loader) for _ in range(3)]
    reference = torch.Generator().manual_seed(11)
    assert epochs == [torch.randperm(N, generator=reference).tolist() for _ in range(3)]


@pytest.mark.parametrize("shuffle", [True, False])
def test_a_yielded_batch_is_held_by_its_consumer_alone(
    images: torch.Tensor, labels: torch.Tensor, shuffle: bool
) -> None:
    # the training loop frees each batch before asking for the next, so its memory can be reused
    batches = iter(ArrayLoader(images, labels, 5, shuffle=shuffle))
    X, _ = next(batches)
    alive = weakref.ref(X)
    del X, _
    next(batches)
    assert alive() is None


U8 = torch.zeros(4, 3, 3, dtype=torch.uint8)
Y = torch.zeros(4, dtype=torch.long)
BAD = [
    ("batch size 0", dict(features=U8, labels=Y, batch_size=0), UsageError, r"batch_size must be a positive integer \(>= 1\), got 0"),
    ("batch size float", dict(features=U8, labels=Y, batch_size=2.0), UsageTypeError, r"batch_size must be a positive integer, got 2.0"),
    ("batch size bool", dict(features=U8, labels=Y, batch_size=True), UsageTypeError, r"batch_size must be a positive integer"),
    ("not tensors", dict(features=[[0]], labels=Y, batch_size=2), UsageError, r"features and labels must be torch tensors"),
    ("int features", dict(features=U8.long(), labels=Y, batch_size=2), UsageError, r"features must be uint8 images or a floating-point tensor, got dtype torch.int64"),
    ("length mismatch", dict(features=U8, labels=Y[:3], batch_size=2), UsageError, r"share a non-zero first dimension, got shapes \(4, 3, 3\) and \(3,\)"),
    ("empty", dict(features=U8[:0], labels=Y[:0], batch_size=2), UsageError, r"non-zero first dimension"),
    ("1-d features", dict(features=Y.float(), labels=Y, batch_size=2), UsageError, r"non-zero first dimension"),
    ("0-d labels", dict(features=U8.float(), labels=torch.tensor(1.0), batch_size=2), UsageError, r"share a non-zero first dimension, got shapes \(4, 3, 3\) and \(\)"),
    ("2-d class labels", dict(features=U8, labels=Y[:, None], batch_size=2), UsageError, r"labels must be 1-d class indices \(N,\), got shape \(4, 1\)"),
    ("resize 0", dict(features=U8, labels=Y, batch_size=2, resize=0), UsageError, r"resize must be a positive integer"),
    ("resize floats", dict(features=U8.float(), labels=Y, batch_size=2, resize=8), UsageError, r"resize applies to uint8 images \(N, H, W\)"),
    ("rank too big", dict(features=U8, labels=Y, batch_size=2, rank=2, world_size=2), UsageError, r"rank must be in \[0, 2\), got 2"),
    ("world size 0", dict(features=U8, labels=Y, batch_size=2, world_size=0), UsageError, r"world_size must be a positive integer"),
    ("negative label", dict(features=U8, labels=Y - 1, batch_size=2), UsageError, r"labels must be class indices >= 0, got -1"),
    ("num_classes too small", dict(features=U8, labels=Y + 3, batch_size=2, num_classes=3), UsageError, r"num_classes must exceed every label, got num_classes=3 and a label 3; pass num_classes=4"),
    ("num_classes 0", dict(features=U8, labels=Y, batch_size=2, num_classes=0), UsageError, r"num_classes must be a positive integer"),
    ("num_workers -1", dict(features=U8, labels=Y, batch_size=2, num_workers=-1), UsageError, r"^num_workers must be an integer >= 0, got -1; pass e.g. num_workers=4$"),
    ("num_workers str", dict(features=U8, labels=Y, batch_size=2, num_workers="4"), UsageTypeError, r"^num_workers must be an integer >= 0, got '4'; pass e.g. num_workers=4, "),
    ("classes str", dict(features=U8, labels=Y, batch_size=2, classes="abc"), UsageTypeError, r"^classes must be a sequence of class names \(strings\), got .*abc.*; pass e\.g\. classes=\['T-shirt/top'"),
    ("classes ints", dict(features=U8, labels=Y, batch_size=2, classes=[0, 1]), UsageTypeError, r"^classes must be a sequence of class names \(strings\)"),
    ("classes too few", dict(features=U8, labels=Y + 2, batch_size=2, num_classes=4, classes=["a"]), UsageError, r"^classes must name each class once, 4 names for num_classes=4, got 1 name \(\['a'\]\); pass 4 names, one for each class$"),
    ("classes too many", dict(features=U8, labels=Y, batch_size=2, num_classes=1, classes=["a", "b"]), UsageError, r"^classes must name each class once, 1 name for num_classes=1, got 2 names \(\['a', 'b'\]\); pass 1 name, one for each class$"),
    ("classes short of the labels", dict(features=U8, labels=Y + 1, batch_size=2, classes=list("a")), UsageError, r"^classes must name each class once, 2 names for the labels' classes 0\.\.1, got 1 name \(\['a'\]\); pass 2 names, one for each class$"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_inputs(kwargs: dict[str, Any], error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        ArrayLoader(**{"shuffle": False, **kwargs})


def test_classes_of_another_length_than_the_classes_are_refused_where_a_label_would_lack_one() -> (
    None
):
    """classes=['a'] beside 3 classes was accepted; naming the targets then raised a bare
    IndexError. Every label has its name once the classes are as many as the fix asks."""
    X, y = torch.zeros(4, 2), torch.tensor([0, 2, 1, 2])
    with pytest.raises(UsageError) as info:
        ArrayLoader(X, y, 4, shuffle=False, num_classes=3, classes=["a"])
    assert str(info.value) == (
        "classes must name each class once, 3 names for num_classes=3, got 1 name (['a']); pass "
        "3 names, one for each class"
    )
    with pytest.raises(UsageError, match=r", 3 names for the labels' classes 0\.\.2, got 1 name "):
        ArrayLoader(X, y, 4, shuffle=False, classes=["a"])
    dataset = ArrayLoader(X, y, 4, shuffle=False, classes=["a", "b", "c"]).dataset
    assert [dataset.classes[int(t)] for t in dataset.targets] == ["a", "c", "b", "c"]
    # the fix for names past the labels' largest: num_classes says the labels lack the last ones
    loader = ArrayLoader(X, y, 4, shuffle=False, num_classes=4, classes=list("abcd"))
    assert loader.dataset.classes == list("abcd")


@pytest.mark.parametrize("dtype", [torch.int32, torch.uint8])
def test_labels_of_any_integer_type_are_yielded_as_int64(
    images: torch.Tensor, labels: torch.Tensor, dtype: torch.dtype
) -> None:
    """cross_entropy wants int64 class indices: int32 labels (NumPy's on Windows) must train too."""
    loader = ArrayLoader(images, labels.to(dtype), 5, shuffle=False)
    ys = [y for _, y in loader]
    assert all(y.dtype == torch.int64 for y in ys)
    assert torch.equal(torch.cat(ys), labels)


def test_non_contiguous_features_yield_their_own_rows(images: torch.Tensor) -> None:
    """A transposed or strided view (e.g. images.transpose(1, 2)) is read as the view shows it."""
    view = images.transpose(1, 2)  # (N, 5, 6), not contiguous
    assert not view.is_contiguous()
    X = torch.cat([X for X, _ in ArrayLoader(view, torch.arange(N), 4, shuffle=False)])
    torch.testing.assert_close(X, view.unsqueeze(1).float() / 255, rtol=0, atol=0)
    floats = torch.randn(N, 8)[:, ::2]  # (N, 4), every other column
    X = torch.cat([X for X, _ in ArrayLoader(floats, torch.arange(N), 4, shuffle=True)])
    assert sorted(X.tolist()) == sorted(floats.tolist())


def _fashion_sized(n: int) -> torch.Tensor:
    """``n`` blank 28x28 uint8 images as a broadcast view: no memory for them, none for the batches."""
    return torch.zeros(1, 28, 28, dtype=torch.uint8).expand(n, 28, 28)


@pytest.mark.parametrize(
    ("batch_size", "resize", "pattern"),
    [
        (
            60000,
            400,
            r"batch_size and resize must keep each batch of float32 images within 2 GiB "
            r"\(2,147,483,648 bytes\), got batch_size=60000 and resize=400: 60,000 images of "
            r"400×400 pixels take 38,400,000,000 bytes \(35.76 GiB\); lower batch_size to 3355 or "
            r"less at resize=400, or lower resize",
        ),
        (
            10**6,
            200,
            r"got batch_size=1000000 \(capped at the 60,000 images there are\) and resize=200: "
            r"60,000 images of 200×200 pixels take 9,600,000,000 bytes",
        ),
        (1, 10**6, r"got batch_size=1 and resize=1000000: .*; lower resize to 23170 or less"),
        (256, 30000, r"got batch_size=256 and resize=30000: .*; lower resize to 1448 or less$"),
    ],
)
def test_a_batch_over_2_gib_is_refused_before_allocating(
    batch_size: int, resize: int, pattern: str
) -> None:
    with pytest.raises(UsageError, match=pattern):
        ArrayLoader(
            _fashion_sized(60000),
            torch.zeros(60000, dtype=torch.long),
            batch_size,
            shuffle=False,
            resize=resize,
        )


@pytest.mark.parametrize(
    ("batch_size", "resize"), [(256, 30000), (256, 2000), (1, 10**6), (60000, 400), (10**6, 200)]
)
def test_every_value_the_error_suggests_is_accepted(batch_size: int, resize: int) -> None:
    """Feed each suggested batch_size or resize back: accepted; one more: refused again."""
    y = torch.zeros(60000, dtype=torch.long)
    with pytest.raises(UsageError) as info:
        ArrayLoader(_fashion_sized(60000), y, batch_size, shuffle=False, resize=resize)
    suggested = re.findall(r"lower (batch_size|resize) to (\d+) or less", str(info.value))
    assert suggested
    for name, value in suggested:
        options = {"batch_size": batch_size, "resize": resize, name: int(value)}
        ArrayLoader(_fashion_sized(60000), y, options["batch_size"], shuffle=False, resize=options["resize"])  # fmt: skip
        options[name] += 1
        with pytest.raises(UsageError):
            ArrayLoader(_fashion_sized(60000), y, options["batch_size"], shuffle=False, resize=options["resize"])  # fmt: skip


@pytest.mark.parametrize("world_size", [1, 2, 3, 5])
@pytest.mark.parametrize("batch_size", [1, 4, 7, 23, 100])
def test_largest_share_is_the_most_rows_any_rank_is_given(
    images: torch.Tensor, labels: torch.Tensor, world_size: int, batch_size: int
) -> None:
    from linearnets.data.loader import largest_share

    yielded = [
        len(y)
        for rank in range(world_size)
        for _, y in ArrayLoader(
            images, labels, batch_size, shuffle=False, rank=rank, world_size=world_size
        )
    ]
    assert largest_share(batch_size, N, world_size) == max(yielded)


def test_a_data_parallel_loader_is_checked_for_each_processs_share() -> None:
    """Each rank holds rows rank, rank + 2, ... of a batch: 6711 images of 400x400 as float32 are
    4.3 GB, rank 0's 3356 of them just past 2 GiB and rank 1's 3355 within it. One fewer is taken
    (refused as one process's whole batch before); this one is refused by both ranks alike (rank 1
    too, or it would wait for rank 0 forever), said per process. Nothing is allocated."""
    y = torch.zeros(60000, dtype=torch.long)
    shares = [len(range(rank, 6711, 2)) for rank in (0, 1)]
    assert shares == [3356, 3355]
    assert 3355 * 400**2 * 4 <= 2**31 < 3356 * 400**2 * 4
    for rank in (0, 1):
        taken = ArrayLoader(_fashion_sized(60000), y, 6710, shuffle=False, resize=400, rank=rank, world_size=2)  # fmt: skip
        assert taken.batch_size == 6710
    for rank in (0, 1):
        with pytest.raises(UsageError) as info:
            ArrayLoader(_fashion_sized(60000), y, 6711, shuffle=False, resize=400, rank=rank, world_size=2)  # fmt: skip
        assert str(info.value) == (
            "batch_size and resize must keep each process's share of a batch of float32 images "
            "within 2 GiB (2,147,483,648 bytes), got batch_size=6711 shared by world_size=2 "
            "processes (up to 3,356 images each) and resize=400: 3,356 images of 400×400 pixels "
            f"take {3356 * 400**2 * 4:,} bytes (2 GiB + 356,352 bytes); lower batch_size to 6710 "
            "or less at resize=400, or lower resize to 399 or less"
        )


@pytest.mark.parametrize(
    ("batch_size", "resize", "world_size"),
    [(6711, 400, 2), (10**6, 200, 3), (60000, 1000, 4), (4, 30000, 2)],
)
def test_every_value_a_data_parallel_loader_suggests_is_accepted(
    batch_size: int, resize: int, world_size: int
) -> None:
    """Fed back, each suggested batch_size or resize is taken by every rank; one more is refused."""
    y = torch.zeros(60000, dtype=torch.long)

    def build(batch: int, side: int, rank: int) -> ArrayLoader:
        return ArrayLoader(
            _fashion_sized(60000), y, batch, shuffle=False, resize=side, rank=rank,
            world_size=world_size,
        )  # fmt: skip

    with pytest.raises(UsageError, match=r"each process's share of a batch") as info:
        build(batch_size, resize, 0)
    suggested = re.findall(r"lower (batch_size|resize) to (\d+) or less", str(info.value))
    assert suggested
    for name, value in suggested:
        options = {"batch_size": batch_size, "resize": resize, name: int(value)}
        for rank in range(world_size):
            build(options["batch_size"], options["resize"], rank)
        options[name] += 1
        for rank in range(world_size):
            with pytest.raises(UsageError):
                build(options["batch_size"], options["resize"], rank)


def test_resize_0_is_told_to_use_none() -> None:
    """The book's `if resize:` reads 0 as "no resize": the fix names resize=None (or a size)."""
    with pytest.raises(
        UsageError,
        match=r"resize must be a positive integer \(>= 1\), got 0; pass resize=None to keep the "
        r"images' own size \(28×28 for Fashion-MNIST\), or a size such as resize=64",
    ):
        ArrayLoader(U8, Y, 2, shuffle=False, resize=0)


def test_the_largest_batch_is_capped_by_the_dataset() -> None:
    """2 GiB is min(batch_size, N) images: 3355 images of 400x400 fit, one more does not."""
    y = torch.zeros(3356, dtype=torch.long)
    loader = ArrayLoader(_fashion_sized(3355), y[:3355], 10**6, shuffle=False, resize=400)
    assert len(loader) == 1
    with pytest.raises(UsageError, match=r"capped at the 3,356 images there are"):
        ArrayLoader(_fashion_sized(3356), y, 10**6, shuffle=False, resize=400)
    ArrayLoader(_fashion_sized(3356), y, 3355, shuffle=False, resize=400)


def test_images_too_large_as_float32_are_refused_without_resize() -> None:
    big = torch.zeros(1, 1, 1, dtype=torch.uint8).expand(100, 3000, 3000)
    with pytest.raises(
        UsageError,
        match=r"batch_size must keep each batch of float32 images within 2 GiB .*got "
        r"batch_size=100: 100 images of 3000×3000 pixels take 3,600,000,000 bytes .*; lower "
        r"batch_size to 59 or less",
    ):
        ArrayLoader(big, torch.zeros(100, dtype=torch.long), 100, shuffle=False)


def test_a_batch_of_exactly_2_gib_is_allowed() -> None:
    """2 images resized to 16384x16384 are 2**31 bytes as float32: the limit itself fits."""
    y = torch.zeros(2, dtype=torch.long)
    assert len(ArrayLoader(_fashion_sized(2), y, 2, shuffle=False, resize=16384)) == 1
    with pytest.raises(
        UsageError,
        match=r"2 images of 16385×16385 pixels take 2,147,745,800 bytes \(2 GiB \+ 262,152 "
        r"bytes\); lower batch_size to 1 or less at resize=16385, or lower resize to 16384 or "
        r"less$",
    ):
        ArrayLoader(_fashion_sized(2), y, 2, shuffle=False, resize=16385)


def test_one_image_over_2_gib_is_refused_with_its_own_fix() -> None:
    """No batch size helps: even one such image is over 2 GiB as float32."""
    big = torch.zeros(1, 1, 1, dtype=torch.uint8).expand(1, 30000, 30000)
    with pytest.raises(UsageError) as info:
        ArrayLoader(big, torch.zeros(1, dtype=torch.long), 8, shuffle=False)
    assert str(info.value) == (
        "batch_size must keep each batch of float32 images within 2 GiB (2,147,483,648 bytes), got "
        "batch_size=8 (capped at the 1 images there are): 1 images of 30000×30000 pixels take "
        "3,600,000,000 bytes (3.35 GiB); shrink the images before building the loader"
    )


def test_the_images_must_fit_before_they_are_resized(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch is float32 at the images' own size first, then resized: a small resize is no help."""
    monkeypatch.setattr(loader_module, "MAX_BATCH_BYTES", 2 * 28 * 28 * 4)  # two 28x28 images
    y = torch.zeros(3, dtype=torch.long)
    assert len(ArrayLoader(_fashion_sized(3), y, 2, shuffle=False, resize=14)) == 2
    with pytest.raises(
        UsageError,
        match=r"got batch_size=3: 3 images of 28×28 pixels take 9,408 bytes \(6,272 bytes \+ "
        r"3,136 bytes\); lower batch_size to 2 or less$",
    ):
        ArrayLoader(_fashion_sized(3), y, 3, shuffle=False, resize=14)


class _GatherSpy(torch.Tensor):
    """Features that count, at each row gather, how many earlier gathers' results (and yielded
    batches, which the test adds) are still alive."""

    gathered: ClassVar[list[weakref.ref[torch.Tensor]]] = []
    alive_at_gather: ClassVar[list[int]] = []

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def,override]
        if func is torch.Tensor.index_select:
            cls.alive_at_gather.append(sum(ref() is not None for ref in cls.gathered))
            out = super().__torch_function__(func, types, args, kwargs or {})
            cls.gathered.append(weakref.ref(out))
            return out
        return super().__torch_function__(func, types, args, kwargs or {})


def test_the_loader_frees_a_spent_batch_before_gathering_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The previous batch is dead when the next gather starts, not only once the next one is yielded:
    the two are never in memory together (a 2 GiB batch would otherwise take 4 GiB at the peak)."""
    monkeypatch.setattr(_GatherSpy, "gathered", [])
    monkeypatch.setattr(_GatherSpy, "alive_at_gather", [])
    features = torch.rand(12, 3, 2).as_subclass(_GatherSpy)
    batches = iter(ArrayLoader(features, torch.arange(12), 4, shuffle=True))
    for _ in range(3):
        X, y = next(batches)
        assert tuple(X.shape) == (4, 3, 2)
        _GatherSpy.gathered.append(weakref.ref(X))  # the yielded images (labels are small)
        del X, y  # the training loop's habit: nothing kept from the last step
    assert _GatherSpy.alive_at_gather == [0, 0, 0]


def test_float_features_keep_their_shape(gen: torch.Generator) -> None:
    """Float features (N, 6, 5) come back as (B, 6, 5) rows, shuffled or not."""
    features = torch.rand(N, 6, 5, generator=gen)
    for shuffle in (False, True):
        loader = ArrayLoader(features, torch.arange(N), 5, shuffle=shuffle, generator=gen)
        seen = []
        for X, y in loader:
            assert torch.equal(X, features[y])
            seen += y.tolist()
        assert sorted(seen) == list(range(N))  # every row checked, once


def test_float_features_are_not_held_to_the_uint8_batch_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The 2 GiB check is for uint8 images converted per batch; float rows are yielded as they are."""
    monkeypatch.setattr(
        loader_module, "MAX_BATCH_BYTES", 4 * 4
    )  # less than one 6x5 image as float32
    floats = torch.zeros(4, 6, 5)
    assert len(ArrayLoader(floats, torch.zeros(4, dtype=torch.long), 2, shuffle=False)) == 2
    with pytest.raises(UsageError, match=r"batch_size must keep each batch of float32 images"):
        ArrayLoader(floats.to(torch.uint8), torch.zeros(4, dtype=torch.long), 2, shuffle=False)


def test_num_classes_for_float_targets_is_kept_and_checked() -> None:
    X, y = torch.zeros(N, 4), torch.zeros(N, 1)
    assert ArrayLoader(X, y, 5, shuffle=False, num_classes=3).num_classes == 3
    with pytest.raises(UsageError, match=r"num_classes must be a positive integer \(>= 1\), got 0"):
        ArrayLoader(X, y, 5, shuffle=False, num_classes=0)


MORE_BAD = [
    ("labels a list", dict(features=U8, labels=[0, 1, 2, 3]), UsageError, r"features and labels must be torch tensors"),
    ("resize 4-d uint8", dict(features=U8[:, None], resize=8), UsageError, r"features of dtype uint8 must be grayscale images \(N, H, W\).*got shape \(4, 1, 3, 3\); pass \(N, H, W\) images, e\.g\. features\[:, 0\]"),
    ("rank bool", dict(rank=True, world_size=2), UsageError, r"rank must be in \[0, 2\), got True"),
    ("rank negative", dict(rank=-1, world_size=2), UsageError, r"rank must be in \[0, 2\), got -1"),
    ("rank float", dict(rank=1.0, world_size=2), UsageError, r"rank must be in \[0, 2\), got 1\.0"),
    ("rank str", dict(rank="1", world_size=2), UsageError, r"rank must be in \[0, 2\), got '1'$"),
    ("generator", dict(generator=3), UsageTypeError, r"generator must be a torch\.Generator or None, got 3"),
    ("shuffle a string", dict(shuffle="no"), UsageTypeError, r"shuffle must be True or False, got 'no'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"), [b[1:] for b in MORE_BAD], ids=[b[0] for b in MORE_BAD]
)
def test_more_bad_inputs(kwargs: dict[str, Any], error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        ArrayLoader(**{"features": U8, "labels": Y, "batch_size": 2, "shuffle": False, **kwargs})


def test_the_data_is_moved_to_the_device_given(
    images: torch.Tensor, labels: torch.Tensor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a GPU here, the device is observed at its one door, resolve_device; no device given
    keeps the features' own device and asks nothing."""
    asked: list[Any] = []

    def resolve(device: Any) -> torch.device:
        asked.append(device)
        return torch.device("meta")  # a device the tensors are not on: moving is observable

    monkeypatch.setattr(loader_module, "resolve_device", resolve)
    loader = ArrayLoader(images, labels, 5, shuffle=False, device="cuda:1")
    assert asked == ["cuda:1"] and loader.device == torch.device("meta")
    assert loader.features.device == loader.labels.device == torch.device("meta")
    assert ArrayLoader(images, labels, 5, shuffle=False).device == images.device and asked == [
        "cuda:1"
    ]


def _triangle_weights(n_in: int, n_out: int) -> torch.Tensor:
    """Antialiased bilinear resampling as Pillow defines it: (n_out, n_in) float64 weights.

    Each output pixel averages the input pixels under a triangle filter centred on it, widened by the
    scale when shrinking (so every input pixel counts), normalised to sum to 1.
    """
    scale = n_in / n_out
    support = max(scale, 1.0)
    centres = (torch.arange(n_out, dtype=torch.float64) + 0.5) * scale  # (n_out,)
    inputs = torch.arange(n_in, dtype=torch.float64) + 0.5  # (n_in,)
    weights = (1 - (inputs[None, :] - centres[:, None]).abs() / support).clamp(min=0)
    return weights / weights.sum(dim=1, keepdim=True)


@pytest.mark.parametrize(("shape", "resize"), [((12, 10), 4), ((6, 5), 9)], ids=["down", "up"])
def test_resize_is_antialiased_bilinear(
    gen: torch.Generator, shape: tuple[int, int], resize: int
) -> None:
    """Shrinking must average every input pixel (antialias), not sample two of them."""
    images = torch.randint(0, 256, (3, *shape), dtype=torch.uint8, generator=gen)
    X, _ = next(iter(ArrayLoader(images, torch.arange(3), 3, shuffle=False, resize=resize)))
    rows, cols = _triangle_weights(shape[0], resize), _triangle_weights(shape[1], resize)
    expected = rows @ (images.double() / 255) @ cols.T  # (3, resize, resize)
    assert X.dtype == torch.float32 and tuple(X.shape) == (3, 1, resize, resize)
    # Pillow's pixels: each of its two passes rounds to a grey level, half a level at most
    torch.testing.assert_close(X[:, 0].double(), expected, rtol=0, atol=1 / 255)
    assert torch.equal(X * 255, (X * 255).round())


def test_repr_names_the_batches_the_batch_size_shuffle_and_device() -> None:
    images = torch.zeros(10, 4, 4, dtype=torch.uint8)
    labels = torch.arange(10) % 3
    # 10 examples in batches of 4: 4, 4, 2 (a hand count)
    assert repr(ArrayLoader(images, labels, 4, shuffle=True)) == (
        "ArrayLoader(3 batches of 10 examples, batch_size=4, shuffle=True, device=cpu)"
    )
    assert repr(ArrayLoader(images, labels, 10, shuffle=False, resize=8, rank=1, world_size=2)) == (
        "ArrayLoader(1 batch of 10 examples, batch_size=10, shuffle=False, device=cpu, resize=8, "
        "rank=1 of world_size=2)"
    )
    # the device as given, its index too
    assert repr(ArrayLoader(images, labels, 5, shuffle=False, device="cpu:0")) == (
        "ArrayLoader(2 batches of 10 examples, batch_size=5, shuffle=False, device=cpu:0)"
    )
    # one example: not "1 examples"
    assert repr(ArrayLoader(images[:1], labels[:1], 4, shuffle=False)) == (
        "ArrayLoader(1 batch of 1 example, batch_size=4, shuffle=False, device=cpu)"
    )


@pytest.mark.parametrize(
    "shape", [(10, 1, 28, 28), (10, 28, 28, 3), (10, 784)], ids=["channel", "colour", "flat"]
)
def test_uint8_features_must_be_grayscale_images(shape: tuple[int, ...]) -> None:
    """Only (N, H, W) gains the channel axis that makes (B, 1, H, W); others would be 5-d or 3-d."""
    X = torch.randint(0, 256, shape, dtype=torch.uint8)
    y = torch.arange(10) % 10
    with pytest.raises(UsageError) as info:
        ArrayLoader(X, y, 4, shuffle=False)
    assert str(info.value) == (
        "features of dtype uint8 must be grayscale images (N, H, W), yielded as float32 "
        f"(B, 1, H, W), got shape {shape}; pass (N, H, W) images, e.g. features[:, 0] for "
        "(N, 1, H, W), or convert to float yourself (features.float() / 255), which is yielded in "
        "its own shape"
    )


def test_the_suggested_fixes_for_uint8_with_a_channel_axis_give_totensor_batches() -> None:
    """torchvision's ToTensor turns each uint8 (H, W) image into float32 (1, H, W) = pixels / 255."""
    X = torch.randint(
        0, 256, (10, 1, 5, 6), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    )
    y = torch.arange(10)
    expected = torch.stack([img.to(torch.float32) / 255 for img in X[:4]])  # (4, 1, 5, 6)
    for loader in (
        ArrayLoader(X[:, 0], y, 4, shuffle=False),
        ArrayLoader(X.float() / 255, y, 4, shuffle=False),
    ):
        batch = next(iter(loader))[0]
        assert batch.shape == (4, 1, 5, 6) and batch.dtype == torch.float32
        torch.testing.assert_close(batch, expected, rtol=0, atol=1e-7)


@pytest.mark.parametrize(
    ("bad", "name"),
    [("features", "features"), ("inf features", "features"), ("targets", "labels")],
)
def test_non_finite_floats_are_refused_at_construction(bad: str, name: str) -> None:
    """One NaN cell was found only after a whole epoch, as NaN scores blamed on the lr; the loader
    refuses it up front, in load_array's words (the same check, the same message)."""
    from linearnets.data.synthetic import load_array

    X, y = torch.randn(100, 4), torch.randint(0, 3, (100,))
    if bad == "features":
        X[3, 1] = float("nan")
    elif bad == "inf features":
        X[3, 1], X[50, 0] = float("inf"), -float("inf")
    else:
        y = torch.randn(100, 1)
        y[7] = float("nan")
    tensor = X if name == "features" else y
    count = int((~tensor.isfinite()).sum())  # the oracle: torch's own count
    with pytest.raises(UsageError) as info:
        ArrayLoader(X, y, 16, shuffle=True, generator=torch.Generator().manual_seed(0))
    said = str(info.value)
    assert said.startswith(
        f"{name} must hold only finite values, got {count} NaN/inf entries in a tensor of shape "
        f"{tuple(tensor.shape)}"
    )
    with pytest.raises(UsageError) as info:
        load_array((X, y), 16)
    index = "0" if name == "features" else "1"
    assert str(info.value) == said.replace(name, f"data_arrays[{index}]", 1)  # the same words


@pytest.mark.parametrize("on_meta", ["features", "labels"])
def test_meta_tensors_are_refused_as_load_array_refuses_them(on_meta: str) -> None:
    """int(labels.min()) raised torch's "Tensor.item() cannot be called on meta tensors"."""
    features = torch.randn(10, 4, device="meta" if on_meta == "features" else "cpu")
    labels = torch.zeros(10, dtype=torch.long, device="meta" if on_meta == "labels" else "cpu")
    with pytest.raises(UsageError, match=rf"^{on_meta} must hold values, got a tensor of shape "):
        ArrayLoader(features, labels, 2, shuffle=False)


def test_without_a_generator_the_batches_and_the_global_stream_are_torch_dataloaders() -> None:
    """The book's DataLoader, after torch.manual_seed, draws a base seed per pass and the seed of
    RandomSampler's own generator: the shuffle drew randperm from the global generator instead, so
    the book's code got other batches than the book's, and the user's later numbers differed."""
    from torch.utils import data

    n, batch = 103, 10
    images = torch.arange(n * 4, dtype=torch.uint8).reshape(n, 2, 2)
    labels = torch.arange(n)
    torch.manual_seed(0)
    train = ArrayLoader(images, labels, batch, shuffle=True)
    test = ArrayLoader(images, labels, batch, shuffle=False)
    ours = [[y.tolist() for _, y in loader] for loader in (train, test, train)]
    after = torch.rand(3)
    torch.manual_seed(0)  # the oracle: torch's DataLoader over the same rows
    dataset = data.TensorDataset(labels)
    book_train = data.DataLoader(dataset, batch, shuffle=True)
    book_test = data.DataLoader(dataset, batch)
    book = [[y.tolist() for (y,) in loader] for loader in (book_train, book_test, book_train)]
    assert ours == book
    assert ours[0] != ours[2]  # a new order each epoch
    assert torch.equal(after, torch.rand(3))


def test_a_shuffle_is_drawn_on_the_generators_device_not_torchs_default() -> None:
    """Under torch.set_default_device the permutation of a CPU generator was made on that device
    (meta here; a GPU refuses a CPU generator), and taking it to the data's failed ("Cannot copy
    out of meta tensor"): drawn where the generator lives, the batches are the default's."""
    X, y = torch.rand(10, 3), torch.arange(10)

    def order() -> list[int]:
        loader = ArrayLoader(X, y, 4, shuffle=True, generator=torch.Generator().manual_seed(0))
        return [int(i) for _, labels in loader for i in labels]

    expected = order()
    with torch.device("meta"):  # torch's default device, as set_default_device sets it
        assert order() == expected
    assert expected == torch.randperm(10, generator=torch.Generator().manual_seed(0)).tolist()


@pytest.mark.parametrize(("batch_size", "resize"), [(256, 2000), (60000, 400)])
def test_every_value_the_error_suggests_for_float64_images_is_accepted(
    batch_size: int, resize: int
) -> None:
    """The suggested sizes count float64's 8 bytes a pixel, not float32's 4: each is accepted,
    one more is refused again."""
    y = torch.zeros(60000, dtype=torch.long)

    def loader(batch_size: int, resize: int) -> ArrayLoader:
        return ArrayLoader(
            _fashion_sized(60000),
            y,
            batch_size,
            shuffle=False,
            resize=resize,
            image_dtype=torch.float64,
        )

    with pytest.raises(UsageError) as info:
        loader(batch_size, resize)
    suggested = re.findall(r"lower (batch_size|resize) to (\d+) or less", str(info.value))
    assert {name for name, _ in suggested} == {"batch_size", "resize"}
    for name, value in suggested:
        options = {"batch_size": batch_size, "resize": resize, name: int(value)}
        loader(options["batch_size"], options["resize"])
        options[name] += 1
        with pytest.raises(UsageError):
            loader(options["batch_size"], options["resize"])


@pytest.mark.parametrize(
    ("resize", "rule", "shown"),
    [
        ((28, 28, 28), "a positive integer or a pair (h, w) of them", "(28, 28, 28)"),
        ([], "a positive integer or a pair (h, w) of them", "[]"),
        # a string is no sequence of sides, even one of digits
        ("28", "a positive integer", "'28'"),
        ("7", "a positive integer", "'7'"),
        (b"28", "a positive integer", "b'28'"),
    ],
)
def test_a_resize_that_is_no_size_or_pair_is_refused_as_a_type(
    resize: object, rule: str, shown: str
) -> None:
    with pytest.raises(UsageTypeError) as info:
        ArrayLoader(torch.zeros(4, 28, 28, dtype=torch.uint8), torch.arange(4), 2, shuffle=False, resize=resize)  # type: ignore[arg-type]  # fmt: skip
    assert str(info.value) == (
        f"resize must be {rule}, got {shown}; pass resize=None to keep the images' own size "
        "(28×28 for Fashion-MNIST), or a size such as resize=64 or resize=(64, 32)"
    )


def test_meta_labels_are_refused_for_holding_no_values_before_their_shape() -> None:
    """A meta tensor's shape says nothing of data: told as holding no values, not as a length
    that does not match."""
    labels = torch.zeros(3, dtype=torch.long, device="meta")
    with pytest.raises(UsageError) as info:
        ArrayLoader(torch.zeros(4, 3), labels, 2, shuffle=False)
    assert str(info.value) == (
        "labels must hold values, got a tensor of shape (3,) on the meta device (a shape without "
        "data); pass one that holds its values, on the CPU or a GPU"
    )
