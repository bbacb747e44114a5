"""torchvision's ``FashionMNIST`` dataset, read offline and verified (D2L §3.5.1).

The book's §3.5 reads Fashion-MNIST through ``torchvision.datasets.FashionMNIST``; this class has its
signature, attributes and summary, on the arrays :func:`~linearnets.data.fashion_mnist.read_fashion_mnist`
reads (``linearnets.torchvision.datasets`` exports it under torchvision's name).
"""

from __future__ import annotations

import numbers
import operator
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch.utils.data import Dataset

from linearnets._text import shown_path
from linearnets._warn import warn
from linearnets.data.dataset_root import read_root
from linearnets.data.labels import CLASSES
from linearnets.data.mirrors import DEFAULT_MIRRORS

# torchvision's pair of transforms, importable from here as before
from linearnets.data.standard_transform import StandardTransform as StandardTransform
from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import check_bool, check_transform, describe

__all__ = ["FashionMNIST", "StandardTransform"]


def _name_target_transform(err: Exception, target: Any, i: int) -> None:
    """Say in ``err``, raised by ``target_transform(target)`` for item ``i``, that it came from
    there: "pic must be a PIL image ..., got int 9" read as the image's failure. Its type is
    kept; linearnets' own refusal is prefixed (shown as one line in Jupyter), another's noted
    (Python 3.11+ shows notes under the traceback)."""
    said = f"target_transform failed on the label of item {i}, {target!r:.40}"
    if isinstance(err, UsageError) and len(err.args) == 1 and isinstance(err.args[0], str):
        err.args = (f"{said}: {err.args[0]}",)
    elif hasattr(err, "add_note"):
        err.add_note(f"linearnets: {said} (ds.target_transform gets each item's int label)")


class FashionMNIST(Dataset[tuple[Any, Any]]):
    """Fashion-MNIST with torchvision's signature and attributes, read offline and verified.

    Items are ``(image, label)``: without a transform the image is a float32 tensor (1, 28, 28) in
    [0, 1] (``torch.get_default_dtype()``), exactly what torchvision's ``ToTensor()`` gives; with a
    transform, the transform receives a PIL image (when Pillow is installed, as in torchvision) or
    else the uint8 tensor (28, 28).

    Its attributes are torchvision's: ``root`` (the one passed: a str with ``~`` expanded, or the
    Path), ``raw_folder`` (the folder holding the files read), ``processed_folder``, ``train``, ``transform``, ``target_transform``,
    ``transforms``, ``data``, ``targets``, ``classes``, ``class_to_idx``, ``resources``, ``mirrors``,
    ``training_file``, ``test_file`` and ``extra_repr()``.

    Args:
        root: folder holding the files, directly or in ``FashionMNIST/raw`` (``None``: search the
            usual places); with ``download=True`` it need not exist yet, but a file, an empty path
            or a link to nowhere is refused either way. A root lacking the files with
            ``download=False`` raises a ``DatasetNotFoundError``, a ``RuntimeError`` as
            torchvision's.
        train: True (or 1) for the 60000-image training split, False (or 0) for the 10000-image
            test split.
        transform: applied to each image.
        target_transform: applied to each label.
        download: True or False (1 or 0 too, as torchvision takes them); True makes sure the files
            can be read: those in ``root`` are verified (and fetched again if corrupt); if ``root`` lacks them, a verified copy
            elsewhere on this machine (the Debian package, ``$LINEARNETS_DATA``, ...) is read
            instead, offline; only without one are they downloaded into ``root/FashionMNIST/raw``,
            from the class's ``mirrors`` (set ``FashionMNIST.mirrors = [...]`` for others, as in
            torchvision). So the book's
            ``FashionMNIST(root="../data", train=True, transform=trans, download=True)`` works offline.

    See D2L §3.5.1.
    """

    classes: ClassVar[list[str]] = list(CLASSES)
    # torchvision's class attributes, for code that reads them: its upstream .gz files with their MD5s
    # (linearnets verifies the decompressed files against FASHION_MNIST_FILES instead: Debian's .gz
    # differ), the mirrors download=True tries (in order; set them as in torchvision), and the
    # legacy cache files it never writes
    resources: ClassVar[list[tuple[str, str]]] = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    mirrors: ClassVar[list[str]] = list(DEFAULT_MIRRORS)
    training_file: ClassVar[str] = "training.pt"
    test_file: ClassVar[str] = "test.pt"

    def __init__(
        self,
        root: str | Path | None = None,
        train: bool | int = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        download: bool | int = False,
    ) -> None:
        # every argument checked before anything is downloaded
        train = _flag("train", train)
        download = _flag("download", download)  # download="False" is truthy
        _check_transforms(transform, target_transform)
        # the mirrors set on the class, as torchvision's download() reads them (named so in errors)
        arrays = read_root(
            root,
            download=download,
            mirrors=self.mirrors,
            setting=f"{type(self).__name__}.mirrors",
        )
        self.root: str | Path
        if root is None:  # searched: the place the files were found in
            self.root = str(arrays.found.directory)
        else:  # torchvision's: the root passed (a str ~-expanded, a Path as it is), wherever the
            # files were
            self.root = os.path.expanduser(root) if isinstance(root, str) else root
        self._raw_folder = str(arrays.found.folder)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.transforms: StandardTransform | None = None
        if transform is not None or target_transform is not None:
            self.transforms = StandardTransform(transform, target_transform)
        # its own copies, as torchvision's datasets have: the arrays read are shared by every later
        # read in this process, so editing ds.data in place must not change the next dataset's
        split = "train" if train else "test"
        self.data = getattr(arrays, f"{split}_images").clone()  # uint8 (N, 28, 28)
        self.targets = getattr(arrays, f"{split}_labels").clone()  # int64 (N,)
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def __len__(self) -> int:
        """Return N, the images in ``ds.data``: also where it is not as read (a float tensor, a list
        of images), which ``ds[i]`` refuses with the fix; refused only where it has no length."""
        data = self.data
        shape = getattr(data, "shape", None)
        if isinstance(shape, tuple) and len(shape) >= 1:  # torch.Size is a tuple
            return int(shape[0])
        if isinstance(data, list | tuple) and data:
            return len(data)
        _check_data(data)  # raises: no length to give (None, a 0-d tensor, []), told what to set
        return int(data.shape[0])

    @property
    def raw_folder(self) -> str:
        """The folder holding the four IDX files read, as torchvision's: ``root/FashionMNIST/raw``
        in its layout (where ``download=True`` puts them), ``root`` itself in the flat one, or this
        machine's copy that ``download=True`` read when ``root`` lacked them."""
        return self._raw_folder

    @property
    def processed_folder(self) -> str:
        """torchvision's ``root/FashionMNIST/processed``, where it looks for legacy ``.pt`` caches
        (linearnets neither reads nor writes it)."""
        return os.path.join(self.root, type(self).__name__, "processed")

    def extra_repr(self) -> str:
        """Return the split line of the summary, as torchvision's ``extra_repr``."""
        return f"Split: {'Train' if self.train else 'Test'}"

    # torchvision's old names, which it still answers with a warning
    @property
    def train_labels(self) -> torch.Tensor:
        return self._renamed("train_labels", "targets")

    @property
    def test_labels(self) -> torch.Tensor:
        return self._renamed("test_labels", "targets")

    @property
    def train_data(self) -> torch.Tensor:
        return self._renamed("train_data", "data")

    @property
    def test_data(self) -> torch.Tensor:
        return self._renamed("test_data", "data")

    def _renamed(self, old: str, new: str) -> torch.Tensor:
        warn(f"{old} has been renamed {new}")
        return getattr(self, new)

    def __repr__(self) -> str:
        """torchvision's summary, byte for byte: datapoints, root, split, then the transforms as
        its ``StandardTransform`` prints them (only that block's first line indented, as there).

        One deliberate difference: the transforms shown are those ``ds[i]`` applies now, so a
        ``ds.transform`` assigned after construction shows; torchvision keeps printing the ones
        passed to the constructor (its ``ds.transforms``, which is not updated either).
        """
        lines = [
            f"Dataset {type(self).__name__}",
            f"    Number of datapoints: {self._datapoints()}",
            f"    Root location: {shown_path(self.root)}",
            *(f"    {line}" for line in self.extra_repr().splitlines()),
        ]
        if self.transform is not None or self.target_transform is not None:
            lines.append(f"    {StandardTransform(self.transform, self.target_transform)!r}")
        return "\n".join(lines)

    def _datapoints(self) -> str:
        """Return ``len(self)`` for the summary; where ``ds.data`` has no length, "?" and what it is
        (a summary never raises: it is what a notebook shows to see what went wrong)."""
        try:
            return str(len(self))
        except UsageError:
            return f"? (ds.data is not as read: {_data_got(self.data)})"

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Return item ``index`` (an int in [-len, len), negative from the end) as (image, label).

        Raises:
            UsageTypeError: ``index`` is not one integer (an int, a NumPy integer, a 0-d
                integer tensor or array): a slice, a float, a list, or a one-element tensor or
                array (1,) (which torchvision fails on too).
                Or ``ds.data`` was replaced by other than a uint8 tensor (N, H, W), or
                ``ds.targets`` by other than one label per image of it.
            IndexError: ``index`` is out of range (what ends ``for item in ds``).
        """
        i = self._position(index)
        data = self.data
        _check_data(data)
        targets = self.targets
        if not _one_label_per_image(targets, len(data)):
            # e.g. ds.data = ds.data[:100] alone: the items would take the first 100 labels of
            # the whole split, or of another subset
            raise UsageTypeError(
                f"ds.targets must hold one label per image of ds.data ({len(data)}), got "
                f"{describe(targets)}; take a subset of both with the same indices: "
                "ds.data[indices] and ds.targets[indices]"
            )
        image: Any = data[i]
        target: Any = _label(targets, i)
        if self.transform is None:
            # (1, 28, 28) in the default float dtype (float32 unless changed), as ToTensor() gives
            image = (image.to(torch.get_default_dtype()) / 255).unsqueeze(0)
        else:
            image = self.transform(_to_pil(image))
        if self.target_transform is not None:
            try:
                target = self.target_transform(target)
            except Exception as err:
                _name_target_transform(err, target, i)
                raise
        return image, target

    def _position(self, index: Any) -> int:
        """Return ``index`` as a position in [0, len), or raise naming it and the valid range."""
        i = _as_int(index)
        if i is None:
            raise UsageTypeError(
                f"index must be an int, got {type(index).__name__} {index!r:.40}; "
                f"{_index_fix(index)}"
            )
        n = len(self)
        if not -n <= i < n:
            # an IndexError, not a UsageError: Python's old iteration protocol stops on it
            raise IndexError(
                f"index must be in [-{n}, {n}) (the {'training' if self.train else 'test'} split "
                f"holds {n} images), got {i}; pass e.g. index {n - 1} for the last image"
            )
        return i % n


def _as_int(index: Any) -> int | None:
    """Return ``index`` as an int when it names one item as torchvision takes it: an int, a NumPy
    integer, or a 0-d integer array or tensor; None for anything else.

    torchvision indexes ``self.data[index]``: a one-element tensor or array (1,) gives an image
    (1, 28, 28) that ``Image.fromarray`` then fails on, so both are refused here, alike. A bool
    (True would be item 1) is no position either.
    """
    if _is_bool(index):
        return None
    if getattr(index, "ndim", 0) != 0:  # tensor([5]) would pass operator.index, array([5]) not
        return None
    try:
        return operator.index(index)
    except TypeError:
        return None


def _is_bool(index: Any) -> bool:
    """Return whether ``index`` is a bool, a NumPy bool, or a bool tensor or array."""
    dtype = getattr(index, "dtype", None)
    return isinstance(index, bool | np.bool_) or dtype is torch.bool or dtype == np.bool_


def _index_fix(index: Any) -> str:
    """Return the fix for an ``index`` that :func:`_as_int` refuses: one that works when followed
    (``ds[int(index)]`` only for a whole number or an integer string, never one it would truncate)."""
    several = (
        "for several items pass a list comprehension [ds[i] for i in range(2)] or "
        "torch.utils.data.Subset(ds, indices)"
    )
    array = isinstance(index, torch.Tensor | np.ndarray | np.generic)
    if _is_bool(index):  # True would be item 1, a mask in torch
        return "pass the item's position, e.g. ds[0]"
    if isinstance(index, numbers.Real | str) or (array and index.ndim == 0):
        # 1.0, "3", tensor(1.0): one item's position
        return _one_fix(index.item() if array else index, "index", _shown(index))
    if isinstance(index, list | tuple | range):
        if len(index) != 1 or _count(index[0]) != 1:  # [tensor([3, 4])], [[3, 4]], [tensor([])]
            return several
        value, expr = index[0], "index[0]"
        while isinstance(value, list | tuple | range) and len(value) == 1:  # [[3]]: index[0][0]
            value, expr = value[0], f"{expr}[0]"
        if _count(value) != 1:  # [[[3, 4]]]
            return several
        if isinstance(value, torch.Tensor | np.ndarray) and value.ndim:  # [array([3])]: int() of
            value, expr = value.item(), f"{expr}.item()"  # a 1-d array raises in NumPy 2
        return _one_fix(value, expr, _shown(value), one_of="for its one item ")
    if array:
        if _count(index) != 1:
            return several
        return _one_fix(index.item(), "index.item()", _shown(index), one_of="for its one item ")
    return several if isinstance(index, slice) else "pass the item's position, e.g. ds[0]"


def _one_fix(value: Any, expr: str, shown: str, *, one_of: str = "") -> str:
    """Return the fix for one index ``value``, reached from the index given as ``expr``: ``expr``
    itself for an int, ``int(expr)`` for a whole number or integer string, else the rule."""
    if _as_int(value) is not None and expr != "index":
        return f"{one_of}pass ds[{expr}]"
    if _is_bool(value):
        return "pass the item's position, e.g. ds[0]"
    if isinstance(value, str):  # "3" or "3.0", not "abc" or "3.5"
        try:
            value = int(value)
        except ValueError:  # int("3.0") raises: float("3.0") is a whole number
            expr, value = f"float({expr})", _float(value)
    try:
        whole = int(value) == value  # int(NaN) raises
    except (TypeError, ValueError, OverflowError):  # NaN, infinity, a complex tensor's item
        whole = False
    if whole:
        return f"{one_of}pass ds[int({expr})]"
    return f"an index must be a whole number, got {shown}; pass the item's position, e.g. ds[0]"


def _count(value: Any) -> int:
    """Return how many values ``value`` holds: its size for a tensor, array or list, else 1."""
    if isinstance(value, torch.Tensor):
        return value.numel()
    if isinstance(value, np.ndarray):
        return value.size
    return len(value) if isinstance(value, list | tuple | range) else 1


def _float(text: str) -> float | None:
    """Return ``text`` read as a float, or None where it is no number ("abc")."""
    try:
        return float(text)
    except ValueError:
        return None


def _shown(index: Any) -> str:
    """Return ``index``'s one value as its user would read it: 3.7 for tensor(3.7) (float32), not
    the 3.700000047683716 that ``.item()`` gives, and a string quoted."""
    if isinstance(index, torch.Tensor):
        index = index.detach().reshape(-1)[0].cpu()
        if index.dtype == torch.bfloat16:  # NumPy has no bfloat16
            index = index.float()
        index = index.numpy()
    if isinstance(index, np.ndarray | np.generic):
        return str(np.asarray(index).reshape(-1)[0])
    return repr(index)


def _check_data(data: Any) -> None:
    """Raise unless ``data``, a dataset's ``ds.data``, is a uint8 tensor (N, H, W), naming the fix."""
    if not isinstance(data, torch.Tensor) or data.dtype != torch.uint8 or data.ndim != 3:
        raise UsageTypeError(
            f"ds.data must hold the images as read, a uint8 tensor (N, H, W), got "
            f"{_data_got(data)}; {_data_fix(data)}"
        )


def _data_got(data: Any) -> str:
    """Return what ``data`` is: a list or tuple of images by its length and its items' kind (its
    repr would be a screen of pixels), anything else as :func:`describe` says it."""
    if not isinstance(data, list | tuple):
        return describe(data)
    if not data:
        return f"an empty {type(data).__name__}"
    kinds = {_item_kind(item) for item in data}
    items = kinds.pop() if len(kinds) == 1 else "items of several kinds"
    return f"a {type(data).__name__} of {len(data)} {items}"


def _item_kind(item: Any) -> str:
    """Return the plural name of the kind of ``item``, an image of a list set as ``ds.data``."""
    if isinstance(item, torch.Tensor):
        return "tensors"
    return "NumPy arrays" if isinstance(item, np.ndarray) else f"{type(item).__name__}s"


def _data_fix(data: Any) -> str:
    """Return the fix for a ``ds.data`` that is no uint8 tensor (N, H, W), by what is wrong: its
    container, its dtype or its shape (each fix the expression that mends it)."""
    subset = "take a subset with ds.data[indices] (and ds.targets[indices])"
    if isinstance(data, list | tuple) and data:  # images listed: one tensor (N, H, W) of them
        if all(isinstance(item, torch.Tensor) for item in data):
            return "set ds.data = torch.stack(ds.data)"
        if all(isinstance(item, np.ndarray) for item in data):
            return "set ds.data = torch.from_numpy(np.stack(ds.data))"
        if any(isinstance(item, torch.Tensor | np.ndarray) for item in data):
            # torch.tensor of a list holding tensors or arrays among others raises a TypeError
            return "set ds.data = torch.stack([torch.as_tensor(x) for x in ds.data])"
        return "set ds.data = torch.tensor(ds.data, dtype=torch.uint8)"
    if not isinstance(data, torch.Tensor | np.ndarray):
        return f"keep ds.data the uint8 tensor read: {subset}"
    if data.dtype.is_floating_point if isinstance(data, torch.Tensor) else data.dtype.kind == "f":
        # e.g. ds.data = ds.data.float() / 255, which items would divide by 255 again
        return (
            "items are scaled to [0, 1] already (as ToTensor does), so keep ds.data uint8: "
            f"{subset}"
        )
    fixed = "torch.from_numpy(ds.data)" if isinstance(data, np.ndarray) else "ds.data"
    shape = tuple(data.shape)
    if len(shape) == 4 and 1 in (shape[1], shape[3]):  # (N, 1, H, W) or (N, H, W, 1)
        fixed += "[:, 0]" if shape[1] == 1 else "[..., 0]"
    elif len(shape) == 2 and shape[1] == 28 * 28:  # flattened rows (N, 784)
        fixed += ".reshape(-1, 28, 28)"
    elif len(shape) != 3:
        return f"give it one (H, W) image per row: {subset}"
    if data.dtype not in (torch.uint8, np.uint8):  # other integers: pixels 0..255 kept
        fixed += ".to(torch.uint8)"
    return f"set ds.data = {fixed}"


def _one_label_per_image(targets: Any, n: int) -> bool:
    """Return whether ``targets`` holds ``n`` labels: a 1-d tensor or array (N,), or a list or
    tuple of N labels, as torchvision reads any of them (``int(targets[i])``), e.g. the relabelled
    ``ds.targets = [int(y) % 2 for y in ds.targets]``."""
    if isinstance(targets, torch.Tensor | np.ndarray):
        return tuple(targets.shape) == (n,)
    return isinstance(targets, list | tuple) and len(targets) == n


def _label(targets: Any, i: int) -> int:
    """Return label ``i`` of ``ds.targets`` as a Python int, as torchvision's ``int(targets[i])``."""
    label = targets[i]
    try:
        return int(label)
    except (TypeError, ValueError, RuntimeError):  # None, a one-hot (10,) tensor, a class name
        raise UsageTypeError(
            f"ds.targets[{i}] must be a class index (an integer), got {describe(label)}; "
            "relabel with integers, e.g. ds.targets = [int(y) for y in labels]"
        ) from None


def _flag(name: str, value: Any) -> bool:
    """Return ``value`` as a bool: True, False, or the ints 1 and 0 that torchvision code passes.

    torchvision takes any truthy value; others are refused here, as ``download="False"`` or
    ``train=None`` (truthy, falsy) mean what they do not say.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    return check_bool(name, value)


def _check_transforms(
    transform: Callable[[Any], Any] | None, target_transform: Callable[[Any], Any] | None
) -> None:
    """Refuse a ``transform`` or ``target_transform`` that is neither callable nor ``None``, or a
    transform's class passed for a transform."""
    # a transform gets the image; a target_transform gets the int class label, which ToTensor refuses
    examples = {
        "transform": "transform=ToTensor() or Compose([...])",
        "target_transform": "target_transform=lambda y: torch.tensor(y) (it gets the int label)",
    }
    for name, fn in (("transform", transform), ("target_transform", target_transform)):
        if fn is not None and not callable(fn):  # else the first ds[i] fails far from here
            raise UsageTypeError(
                f"{name} must be callable (a function or a transform) or None, got "
                f"{fn!r:.40}; pass e.g. {examples[name]}"
            )
        check_transform(name, fn)
    image_transform = _image_transform(target_transform)
    if image_transform is not None:  # else the first ds[i] fails on the label in its own words
        which = "an image transform"
        if not isinstance(target_transform, type(image_transform)):  # a Compose, Lambda holding it
            which = f"which holds the image transform {_transform_shown(image_transform)}"
        raise UsageTypeError(
            f"target_transform must be a function of the label, got "
            f"{_transform_shown(target_transform)}, "
            f"{which}: target_transform receives the int class label (e.g. 9), not the image; "
            "pass image transforms as transform=..., e.g. transform=ToTensor(), and for the "
            "label e.g. target_transform=lambda y: torch.tensor(y)"
        )


def _transform_shown(fn: Any, limit: int = 80) -> str:
    """Return the repr of the transform ``fn`` on one line; a longer one (a ``Compose``, one step a
    line) cut after its last whole line within ``limit``, "..." for the steps left out, and closed:
    a repr cut at a character count ended mid-number ("std=(0...")."""
    lines = [line.strip() for line in repr(fn).splitlines()]
    if len(lines) < 3 or len(" ".join(lines)) <= limit:
        text = " ".join(lines)
        return text if len(text) <= limit else f"{type(fn).__name__}(...)"
    shown = lines[0]
    for line in lines[1:-1]:
        if len(f"{shown} {line} ... {lines[-1]}") > limit:
            shown += " ..."
            break
        shown += f" {line}"
    return f"{shown} {lines[-1]}"


def _image_transform(fn: Any) -> Any:
    """Return the image transform ``fn`` applies first, to what it is given: a ``ToTensor``,
    ``PILToTensor``, ``Resize`` or ``Normalize`` that ``fn`` is, wraps in a ``Lambda``, or holds as
    the first step of a ``Compose`` (at any depth); None for anything else.

    One after a first step of one's own (``Compose([Lambda(lambda y: np.full((2, 2), y,
    np.uint8)), ToTensor()])``) gets what that step made of the label, maybe an image: valid.
    """
    # imported here: the transforms are needed only when one is passed
    from linearnets.data.transforms import Compose, Lambda, Normalize, PILToTensor, Resize, ToTensor

    if isinstance(fn, ToTensor | PILToTensor | Resize | Normalize):
        return fn
    if isinstance(fn, Lambda):  # Lambda(ToTensor()) applies ToTensor to the label
        return _image_transform(fn.lambd)
    if isinstance(fn, Compose):
        # an empty Compose passes the label on as it is: the step after it gets the label
        steps = [t for t in fn.transforms if not (isinstance(t, Compose) and not t.transforms)]
        return _image_transform(steps[0]) if steps else None
    return None


def _to_pil(image: torch.Tensor) -> Any:
    try:
        from PIL import Image
    except ImportError:
        return image
    # mode L from the uint8 (H, W) array itself: Pillow 11.3 and 12.0 deprecate passing mode=
    return Image.fromarray(image.numpy())
