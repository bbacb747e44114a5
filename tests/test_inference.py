"""Predicted labels, the confusion matrix and prediction samples (D2L §3.6.7), against hand counts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from linearnets.data.loader import ArrayLoader
from linearnets.errors import UsageError
from linearnets.inference import confusion_counts, predict_labels, prediction_samples
from linearnets.models.scratch import SoftmaxRegressionScratch
from linearnets.plotting._fonts import cjk_family


@pytest.fixture
def data(gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    images = torch.randint(0, 256, (57, 28, 28), dtype=torch.uint8, generator=gen)
    return images, torch.randint(0, 10, (57,), generator=gen)


@pytest.mark.parametrize("start_in_train", [True, False])
def test_predict_labels_is_the_eval_mode_argmax_and_keeps_the_mode(
    start_in_train: bool, gen: torch.Generator
) -> None:
    torch.manual_seed(7)  # nn.Linear's own initialisation (not seed 0: the same stream as X)
    net = nn.Sequential(nn.Flatten(), nn.Dropout(0.9), nn.Linear(784, 10))
    net.train(start_in_train)
    X = torch.rand(9, 1, 28, 28, generator=gen)
    expected = [row.index(max(row)) for row in net[2](X.reshape(9, 784)).tolist()]  # no dropout
    assert predict_labels(net, X).tolist() == expected
    assert net.training is start_in_train  # evaluated in eval mode, then put back


def test_confusion_counts_match_a_hand_count(
    data: tuple[torch.Tensor, torch.Tensor], gen: torch.Generator
) -> None:
    images, labels = data
    net = SoftmaxRegressionScratch(sigma=0.1, generator=gen)
    pred = net(images.float().div(255)).detach().argmax(dim=1).tolist()
    by_hand = torch.zeros(10, 10, dtype=torch.int64)
    for true, guess in zip(labels.tolist(), pred, strict=True):
        by_hand[true, guess] += 1
    loader = ArrayLoader(images, labels, 8, shuffle=False)  # 8 batches, the last one short
    assert torch.equal(confusion_counts(net, loader, 10), by_hand)
    assert int(by_hand.sum()) == 57


def test_prediction_samples_are_the_first_images_with_their_names(
    data: tuple[torch.Tensor, torch.Tensor], gen: torch.Generator
) -> None:
    images, labels = data
    net = SoftmaxRegressionScratch(sigma=0.1, generator=gen)
    X, true_names, pred_names = prediction_samples(
        net, ArrayLoader(images, labels, 4, shuffle=False), 6
    )
    assert torch.equal(X, images[:6].float().div(255))  # across two batches of 4
    names = [
        "t-shirt",
        "trouser",
        "pullover",
        "dress",
        "coat",
        "sandal",
        "shirt",
        "sneaker",
        "bag",
        "ankle boot",
    ]
    assert true_names == [names[i] for i in labels[:6].tolist()]
    pred = net(images[:6].float().div(255)).detach().argmax(dim=1).tolist()
    assert pred_names == [names[i] for i in pred]


def test_prediction_samples_keep_no_graph_of_the_whole_batch_the_model_runs_on(
    data: tuple[torch.Tensor, torch.Tensor],
) -> None:
    """The model runs on each whole batch, its first n predicted: under no_grad, as
    predict_labels, so a large first batch builds no autograd graph (memory) for n images."""
    images, labels = data
    seen: list[tuple[int, bool]] = []

    class Recording(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(784, 10)

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            seen.append((len(X), torch.is_grad_enabled()))
            return self.linear(X.reshape(len(X), -1))

    prediction_samples(Recording(), ArrayLoader(images, labels, 8, shuffle=False), 3)
    assert seen == [(8, False)]  # once, on the whole batch of 8, with no graph
    assert torch.is_grad_enabled()  # and grad mode is the caller's again


def test_prediction_samples_need_a_batch(gen: torch.Generator) -> None:
    net = SoftmaxRegressionScratch(generator=gen)
    with pytest.raises(UsageError, match="test_iter must yield at least one batch, got none"):
        prediction_samples(net, [], 3)


@pytest.mark.parametrize("data_iter", ["list", "used-up generator"])
def test_confusion_counts_need_a_batch_as_prediction_samples_do(data_iter: str) -> None:
    """No batch gave an all-zero matrix, counts of nothing, where prediction_samples refused it."""
    batches = [(torch.eye(3), torch.tensor([0, 1, 2]))]
    gen = (batch for batch in batches)
    list(gen)  # used up by an earlier pass
    empty: Any = [] if data_iter == "list" else gen
    fix = (
        r"got none; check the dataset is not empty, and that it is no generator or iterator used "
        r"up by an earlier pass \(pass a list or a DataLoader\)$"
    )
    with pytest.raises(UsageError, match=rf"^data_iter must yield at least one batch, {fix}"):
        confusion_counts(lambda X: X, empty, 3)
    with pytest.raises(UsageError, match=rf"^test_iter must yield at least one batch, {fix}"):
        prediction_samples(_first10, [], 3)


@pytest.mark.parametrize("batches", [1, 2])
def test_confusion_counts_of_empty_batches_only_are_refused_as_prediction_samples_does(
    gen: torch.Generator, batches: int
) -> None:
    """Batches of no example gave an all-zero matrix, the "all zeros" its docstring refuses."""
    X, y = torch.rand(4, 784, generator=gen), torch.tensor([0, 1, 2, 3])
    net = SoftmaxRegressionScratch(generator=gen)
    empty = [(X[:0], y[:0])] * batches
    said = "es" if batches > 1 else ""
    with pytest.raises(UsageError) as info:
        confusion_counts(net, empty, 10)
    assert str(info.value) == (
        f"data_iter must yield at least one example, got {batches} empty batch{said}; check the "
        "test set is not empty"
    )
    with pytest.raises(
        UsageError, match=f"^test_iter must yield at least one example, got {batches} "
    ):
        prediction_samples(net, empty, 3)
    counts = confusion_counts(net, [*empty, (X, y)], 10)  # an empty batch among others: counted
    assert int(counts.sum()) == 4 and torch.equal(
        counts.sum(dim=1)[:4], torch.ones(4, dtype=torch.int64)
    )


@pytest.mark.parametrize("call", ["predict", "prediction_samples", "predict_ch3"])
def test_a_test_set_of_fewer_than_n_examples_gives_them_all_as_documented(
    call: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3 examples for n=6: 3 images (axes), as the book's X[0:n]; the docstrings said n."""
    import inspect

    from linearnets import d2l
    from linearnets.inference import predict

    monkeypatch.chdir(tmp_path)
    X = torch.arange(3 * 16, dtype=torch.float32).reshape(3, 1, 4, 4)
    batches = [(X[:2], torch.tensor([3, 1])), (X[2:], torch.tensor([0]))]
    net = lambda X: X.reshape(len(X), -1)[:, :10]  # noqa: E731  (the last score is the largest)
    if call == "predict":
        axes = predict(net, batches, 6, out="p.png")
        assert len(axes) == 3
        assert [ax.get_title() for ax in axes] == ["dress\nankle boot", "trouser\nankle boot",
                                                     "t-shirt\nankle boot"]  # fmt: skip
    elif call == "prediction_samples":
        images, true_names, pred_names = prediction_samples(net, batches, 6)
        assert torch.equal(images, X[:, 0])
        assert (true_names, pred_names) == (["dress", "trouser", "t-shirt"], ["ankle boot"] * 3)
    else:
        d2l.predict_ch3(net, batches, 6)
        import matplotlib.pyplot as plt

        assert len(plt.gcf().axes) == 3
        plt.close("all")
    function = {"predict": predict, "prediction_samples": prediction_samples,
                "predict_ch3": d2l.predict_ch3}[call]  # fmt: skip
    doc = " ".join(inspect.getdoc(function).split())  # type: ignore[union-attr]
    assert "fewer than ``n`` examples" in doc


def test_prediction_samples_keep_the_images_shape() -> None:
    first10 = lambda X: X.reshape(len(X), -1)[:, :10]  # noqa: E731  (a net of 10 scores)
    y = torch.arange(4)
    images, _, _ = prediction_samples(first10, [(torch.rand(4, 1, 28, 20), y)], 4)
    assert images.shape == (4, 28, 20)  # not squared: 560 values are no square
    images, _, _ = prediction_samples(first10, [(torch.rand(4, 3, 8, 8), y)], 4)
    assert images.shape == (4, 3, 8, 8)
    flat = torch.rand(4, 784)
    images, _, _ = prediction_samples(first10, [(flat, y)], 4)
    assert images.shape == (4, 28, 28)  # flattened Fashion-MNIST rows
    # row-major, as the images were flattened: pixel (i, j) is value 28 * i + j of its row
    assert torch.equal(images[2, 3, 5], flat[2, 28 * 3 + 5])
    assert torch.equal(images, flat.reshape(4, 28, 28))
    with pytest.raises(
        UsageError, match=r"test_iter must yield images .*got a batch of shape \(4, 10\)"
    ):
        prediction_samples(first10, [(torch.rand(4, 10), y)], 4)


class _Fixed(nn.Module):
    """A model whose scores put row i's maximum on ``classes[i]``."""

    def __init__(self, classes: list[int], num_outputs: int) -> None:
        super().__init__()
        self.classes, self.num_outputs = classes, num_outputs

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        scores = torch.zeros(X.shape[0], self.num_outputs)
        scores[torch.arange(X.shape[0]), torch.tensor(self.classes[: X.shape[0]])] = 1.0
        return scores


def test_confusion_counts_of_uint8_labels_with_many_classes_do_not_overflow() -> None:
    y = torch.arange(30, dtype=torch.uint8)  # y · 30 overflows uint8 from class 9 on
    counts = confusion_counts(_Fixed(list(range(30)), 30), [(torch.zeros(30, 2), y)], 30)
    assert torch.equal(counts, torch.eye(30, dtype=torch.int64))  # a perfect classifier


@pytest.mark.parametrize("outputs", [5, 11, 12])
@pytest.mark.parametrize("predicted", [0, 4], ids=["class-0", "class-4"])
def test_confusion_counts_refuse_a_model_of_other_than_num_classes_outputs(
    outputs: int, predicted: int
) -> None:
    """A model of 11 outputs was refused only where it predicted class 10 on the data: predicting
    classes below 10, it was counted as a 10-class model, and one of 5 outputs always was."""
    batch = [(torch.zeros(1, 2), torch.tensor([1]))]
    with pytest.raises(UsageError) as info:
        confusion_counts(_Fixed([predicted], outputs), batch, 10)
    assert str(info.value) == (
        f"the model (net) must give 10 class scores per example, one per class, got scores of "
        f"shape (1, {outputs}): its predicted labels would be other classes'; pass "
        f"num_classes={outputs}, the model's number, or a model of 10 outputs"
    )
    # the fix the message gives: counted as the model's classes
    counts = confusion_counts(_Fixed([predicted], outputs), batch, outputs)
    assert counts.shape == (outputs, outputs) and counts[1, predicted] == 1 and counts.sum() == 1


@pytest.mark.parametrize("outputs", [5, 12])
def test_predictions_are_named_only_for_a_model_of_ten_outputs(outputs: int) -> None:
    """A 5-output model's predictions were named as Fashion-MNIST classes without a word, and a
    12-output one's refused only where the data made it predict class 10 or 11."""
    from linearnets import d2l

    batch = [(torch.zeros(3, 1, 28, 28), torch.tensor([0, 1, 2]))]
    said = (
        rf"the model \(net\) must give 10 class scores per example, one per class, got scores of "
        rf"shape \(3, {outputs}\): its predicted labels would be other classes'; pass a "
        r"Fashion-MNIST model, of 10 outputs$"
    )
    with pytest.raises(UsageError, match=said):
        prediction_samples(_Fixed([0, 1, 2], outputs), batch, 3)
    with pytest.raises(UsageError, match=said):
        d2l.predict_ch3(_Fixed([0, 1, 2], outputs), batch, 3)
    _, _, names = prediction_samples(_Fixed([0, 1, 2], 10), batch, 3)
    assert names == ["t-shirt", "trouser", "pullover"]


def test_predict_labels_checks_num_classes_when_given() -> None:
    X = torch.zeros(2, 4)
    assert predict_labels(_Fixed([3, 1], 5), X).tolist() == [3, 1]  # any C >= 2
    assert predict_labels(_Fixed([1, 0], 2), X).tolist() == [1, 0]  # C = 2: a binary classifier
    assert predict_labels(_Fixed([3, 1], 5), X, num_classes=5).tolist() == [3, 1]
    with pytest.raises(UsageError, match=r"must give 4 class scores per example, one per class, got scores of shape \(2, 5\): .*; pass a model with 4 outputs$"):  # fmt: skip
        predict_labels(_Fixed([3, 1], 5), X, num_classes=4)
    with pytest.raises(UsageError, match=r"num_classes must be a positive integer \(>= 1\), got 0"):
        predict_labels(_Fixed([3, 1], 5), X, num_classes=0)


def test_counts_below_one_are_refused_by_name(gen: torch.Generator) -> None:
    net = SoftmaxRegressionScratch(generator=gen)
    batch = [(torch.zeros(2, 28, 28), torch.tensor([0, 1]))]
    with pytest.raises(UsageError, match=r"num_classes must be a positive integer \(>= 1\), got 0"):
        confusion_counts(net, batch, 0)
    with pytest.raises(UsageError, match=r"n must be a positive integer \(>= 1\), got 0"):
        prediction_samples(net, batch, 0)


class _NeverRead:
    """A test_iter that fails if a batch is read: the bound on n is checked first."""

    def __iter__(self) -> Any:
        raise AssertionError("test_iter was read")


@pytest.mark.parametrize("call", ["predict", "predict_ch3"])
def test_predicting_more_images_than_a_figure_shows_is_refused_before_any_work(
    call: str, gen: torch.Generator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """n=20000 drew all 10,000 test images in minutes, into a PNG too large for PIL to open."""
    from linearnets import d2l
    from linearnets.inference import predict

    monkeypatch.chdir(tmp_path)
    net = SoftmaxRegressionScratch(generator=gen)
    draw = (
        (lambda n: predict(net, _NeverRead(), n, out="p.png"))
        if call == "predict"
        else (lambda n: d2l.predict_ch3(net, _NeverRead(), n))
    )
    with pytest.raises(
        UsageError,
        match=r"n must be an integer in \[1, 100\], got 20000; a figure of more images is "
        r"unreadable and slow to draw: pass at most 100 \(linearnets\.plotting\.images\.MAX_SHOW\), "
        r"e\.g\. n=6, and draw",  # the book's 6 predictions: 18 is data show's count
    ):
        draw(20000)
    assert list(tmp_path.iterdir()) == []


def test_predict_draws_up_to_the_bound(gen: torch.Generator, tmp_path: Path) -> None:
    from linearnets.inference import predict

    images = torch.randint(0, 256, (100, 28, 28), dtype=torch.uint8, generator=gen)
    loader = ArrayLoader(images, torch.zeros(100, dtype=torch.long), 64, shuffle=False)
    axes = predict(SoftmaxRegressionScratch(generator=gen), loader, 100, out=tmp_path / "p.png")
    assert len(axes) == 100 and (tmp_path / "p.png").is_file()


def test_predict_wraps_num_cols_a_row_and_refuses_a_bad_one_before_reading(
    gen: torch.Generator, tmp_path: Path
) -> None:
    """num_cols=10 draws 20 images as 2 rows of 10, titled with the labels torch's argmax of the
    model's scores names; num_cols=0 is refused before a batch is read, as n is."""
    from linearnets.data.fashion_mnist import get_fashion_mnist_labels
    from linearnets.inference import predict

    images = torch.randint(0, 256, (20, 28, 28), dtype=torch.uint8, generator=gen)
    labels = torch.randint(0, 10, (20,), generator=gen)
    net = SoftmaxRegressionScratch(generator=gen)
    loader = ArrayLoader(images, labels, 8, shuffle=False)
    axes = predict(net, loader, 20, out=tmp_path / "p.png", num_cols=10)
    rows = [ax.get_subplotspec().rowspan.start for ax in axes]
    assert rows == [0] * 10 + [1] * 10
    with torch.no_grad():
        pred = net(images.float() / 255).argmax(dim=1)
    expected = [
        f"{t}\n{p}"
        for t, p in zip(
            get_fashion_mnist_labels(labels), get_fashion_mnist_labels(pred), strict=True
        )
    ]
    assert [ax.get_title() for ax in axes] == expected
    with pytest.raises(UsageError, match=r"^num_cols must be a positive integer \(>= 1\), got 0"):
        predict(net, _NeverRead(), 20, num_cols=0)


def test_confusion_counts_skip_an_empty_batch() -> None:
    """A batch of no rows (e.g. an empty shard) adds nothing; it has no largest prediction."""
    net = lambda X: X  # noqa: E731  (the inputs are the scores)
    batches = [
        (torch.zeros(0, 3), torch.zeros(0, dtype=torch.int64)),
        (
            torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
            torch.tensor([2, 1, 0]),
        ),
    ]
    expected = torch.zeros(3, 3, dtype=torch.int64)
    for true, guess in ((2, 2), (1, 0), (0, 2)):  # (true, predicted) per row, by hand
        expected[true, guess] += 1
    assert torch.equal(confusion_counts(net, batches, 3), expected)


@pytest.mark.parametrize("label", [3, -1])
def test_confusion_counts_refuse_a_label_outside_the_classes(label: int) -> None:
    """Row y · C + pred of a label ≥ C lands in no row (or in another one): refused by name."""
    batch = [(torch.zeros(2, 2), torch.tensor([0, label]))]
    with pytest.raises(UsageError, match=rf"y must hold class indices in \[0, 3\), got {label}"):
        confusion_counts(_Fixed([0, 1], 3), batch, 3)


def test_prediction_samples_read_no_batch_past_the_first_n_images() -> None:
    """A test set of 10,000 images must not be read to the end for 4 of them."""
    first10 = lambda X: X.reshape(len(X), -1)[:, :10]  # noqa: E731  (a net of 10 scores)

    def two_batches() -> Any:
        yield torch.rand(4, 1, 28, 28), torch.arange(4)
        raise AssertionError("a second batch was read")

    images, true_names, _ = prediction_samples(first10, two_batches(), 4)
    assert images.shape == (4, 28, 28)
    assert true_names == ["t-shirt", "trouser", "pullover", "dress"]


def test_prediction_samples_keep_unflattened_single_channel_images() -> None:
    first10 = lambda X: X.reshape(len(X), -1)[:, :10]  # noqa: E731
    X = torch.rand(3, 5, 7)  # (B, H, W), not square
    images, _, _ = prediction_samples(first10, [(X, torch.arange(3))], 3)
    assert torch.equal(images, X)


@pytest.mark.parametrize(("batches", "said"), [(1, "1 empty batch;"), (2, "2 empty batches;")])
def test_prediction_samples_refuse_a_test_set_without_examples(batches: int, said: str) -> None:
    """Empty batches are no images to draw: the message says so, not that their shape is wrong."""
    first10 = lambda X: X[:, :10]  # noqa: E731
    empty = [(torch.zeros(0, 784), torch.zeros(0, dtype=torch.int64))] * batches
    with pytest.raises(
        UsageError, match=rf"test_iter must yield at least one example, got {said} "
    ):
        prediction_samples(first10, empty, 2)


# Chinese label names (as the Chinese edition's text, D2L zh §3.5.1, names the classes), written
# out here as the oracle
_ZH = ["T恤", "裤子", "套衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴"]


def test_prediction_samples_and_predict_name_classes_in_the_language_asked(
    tmp_path: Path,
) -> None:
    from linearnets.inference import predict

    if cjk_family() is None:
        pytest.skip("no font with Chinese glyphs installed (scripts/setup.sh installs one)")
    net = _Fixed([9, 1, 0], 10)
    batch = [(torch.rand(3, 1, 4, 4), torch.tensor([9, 3, 0]))]
    _, true_names, pred_names = prediction_samples(net, batch, 3, lang="zh")
    assert true_names == [_ZH[9], _ZH[3], _ZH[0]] and pred_names == [_ZH[9], _ZH[1], _ZH[0]]
    axes = predict(net, batch, 3, out=tmp_path / "p.png", lang="zh")
    assert [ax.get_title() for ax in axes] == [
        f"{_ZH[t]}\n{_ZH[p]}" for t, p in ((9, 9), (3, 1), (0, 0))
    ]


@pytest.mark.parametrize("wrong_only", [False, True])
def test_predict_in_chinese_without_a_font_for_it_names_lang_before_reading_a_batch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, wrong_only: bool
) -> None:
    """Without a CJK font, predict(lang='zh') was refused as "true_labels hold Chinese ...
    (true_labels[0] = '短靴')", after reading the batches: its caller passed no true_labels."""
    import linearnets.plotting._fonts as fonts
    from linearnets.inference import predict

    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    net = _Fixed([9, 1, 0], 10)

    def batches() -> Any:
        raise AssertionError("a batch was read")
        yield

    out = tmp_path / "p.png"
    with pytest.raises(UsageError) as refused:
        predict(net, batches(), 3, out=out, lang="zh", wrong_only=wrong_only)
    assert str(refused.value) == (
        f"lang='zh' gives Chinese label names ({_ZH[0]!r}), but no installed font has their "
        "characters (the figure would show empty boxes); pass lang='en' for the book's English "
        "labels, or install a font that has them, e.g. 'sudo apt-get install fonts-wqy-microhei'"
    )
    assert not out.exists()
    batch = [(torch.rand(3, 1, 4, 4), torch.tensor([9, 3, 0]))]
    axes = predict(net, batch, 3, out=out, lang="en", wrong_only=wrong_only)  # the fix followed
    titles = ["ankle boot\nankle boot", "dress\ntrouser", "t-shirt\nt-shirt"]
    assert [ax.get_title() for ax in axes if ax.get_title()] == (
        titles[1:2] if wrong_only else titles
    )
    assert out.is_file()


@pytest.mark.parametrize(
    ("call", "said"),
    [
        ({"wrong_only": "yes"}, "wrong_only must be True or False, got 'yes'"),
        ({"net": object()}, "net must be a model to call"),
    ],
)
def test_predict_in_chinese_without_a_font_names_a_bad_argument_first(
    monkeypatch: pytest.MonkeyPatch, call: dict[str, Any], said: str
) -> None:
    """The arguments' own values are refused before the machine's fonts are asked."""
    import linearnets.plotting._fonts as fonts
    from linearnets.inference import predict

    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    batch = [(torch.rand(3, 1, 4, 4), torch.tensor([9, 3, 0]))]
    given = {"net": _Fixed([9, 1, 0], 10), "wrong_only": False, **call}
    with pytest.raises(UsageError, match=re.escape(said)):
        predict(given["net"], batch, 3, lang="zh", wrong_only=given["wrong_only"])


def test_predict_labels_leaves_a_models_own_train_and_eval_methods_alone() -> None:
    calls: list[str] = []

    class Learner:  # a learner's class: train() runs epochs, eval() evaluates
        def __call__(self, X: torch.Tensor) -> torch.Tensor:
            return X

        def train(self, num_epochs: int = 1) -> None:
            calls.append("train")

        def eval(self) -> None:
            calls.append("eval")

    X = torch.tensor([[0.1, 0.9, 0.0], [2.0, 1.0, 3.0]])
    assert predict_labels(Learner(), X).tolist() == [1, 2]
    assert calls == []


def _nan_linear() -> nn.Module:
    """A classifier whose weights diverged to NaN, as a too-large lr leaves them."""
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 10))
    with torch.no_grad():
        net[1].weight.fill_(float("nan"))
    return net


_NAN_SCORES = r"the model's scores hold NaN, so no accuracy can be computed: its weights"
_NAN_PREDICTED = r"^the model's scores hold NaN, so no class can be predicted: its weights"


@pytest.mark.parametrize("call", ["predict_labels", "confusion_counts", "prediction_samples"])
def test_predictions_of_a_nan_model_raise_what_evaluate_accuracy_raises(call: str) -> None:
    """torch's argmax of a row of NaN scores is 0, so each image was labelled class 0, t-shirt."""
    from linearnets.errors import DivergenceError
    from linearnets.training.evaluation import evaluate_accuracy

    net, X, y = _nan_linear(), torch.rand(3, 4, 4), torch.tensor([1, 2, 3])
    assert torch.equal(net(X).argmax(dim=1), torch.zeros(3, dtype=torch.int64))  # the old labels
    with pytest.raises(DivergenceError, match=_NAN_SCORES):
        evaluate_accuracy(net, [(X, y)])  # the oracle: what evaluation says of this model
    with pytest.raises(DivergenceError, match=_NAN_PREDICTED):  # its cause, in inference's words
        if call == "predict_labels":
            predict_labels(net, X)
        elif call == "confusion_counts":
            confusion_counts(net, [(X, y)], 10)
        else:
            prediction_samples(net, [(X, y)], 3)


def test_predictions_on_nan_inputs_name_the_inputs_and_no_accuracy() -> None:
    """A finite model given NaN features predicts nothing: no accuracy is computed there."""
    from linearnets.errors import DivergenceError

    torch.manual_seed(0)
    net = nn.Linear(8, 3)
    X = torch.randn(2, 8)
    X[1, 3] = float("nan")
    assert torch.isnan(net(X)[1]).all()  # the oracle: the NaN example's scores are NaN
    with pytest.raises(DivergenceError) as info:
        predict_labels(net, X)
    assert str(info.value) == (
        "the model's scores hold NaN, so no class can be predicted: its inputs hold NaN or inf (1 "
        "value of the features X of a batch, in its example at position 1, counting from 0), "
        "while its weights are finite; find them in the data, checking each batch with "
        "torch.isfinite(X).all() (torch.isnan(X).any() for NaN alone), and clean or drop the "
        "examples that hold them"
    )


def test_predictions_of_an_overflowing_softmax_say_the_model_made_the_nan() -> None:
    """The book's exp(o) / Σ exp(o) on a score of 100: exp(100) is inf in float32, inf / inf NaN."""
    from linearnets.errors import DivergenceError

    class BookSoftmax(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(4, 10)
            nn.init.zeros_(self.linear.weight)
            nn.init.constant_(self.linear.bias, 100.0)

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            o = self.linear(X)
            return torch.exp(o) / torch.exp(o).sum(1, keepdim=True)

    net = BookSoftmax()
    with pytest.raises(DivergenceError, match=r"though its parameters and its inputs are finite"):
        predict_labels(net, torch.zeros(2, 4))


def _first10(X: torch.Tensor) -> torch.Tensor:
    """A net of 10 scores: the first 10 values of each example."""
    return X.reshape(len(X), -1)[:, :10]


@pytest.mark.parametrize("call", ["prediction_samples", "predict", "confusion_counts"])
@pytest.mark.parametrize(
    ("arg", "said"),
    [
        # one batch (X, y) iterates as X, then y: named as the whole data, with the fix
        (
            "one batch",
            r"must be an iterable of \(X, y\) batches, got the whole data as a pair of tensors "
            r"\(X of shape \(4, 1, 28, 28\), y of shape \(4,\)\), which would yield X, then y; "
            r"pass ln\.load_array\(\(X, y\), batch_size, is_train=False\)",
        ),
        # a Dataset as torchvision's FashionMNIST gives it: each item (image (1, 28, 28), int label)
        ("dataset", r"got \(Tensor, int\);"),
    ],
)
def test_predictions_check_each_batch_naming_the_argument(call: str, arg: str, said: str) -> None:
    """Unpacked by hand, these gave "too many values to unpack" and "'int' has no len()"."""
    from linearnets.inference import predict

    batch = (torch.rand(4, 1, 28, 28), torch.arange(4))
    data = batch if arg == "one batch" else [(torch.rand(1, 28, 28), 3), (torch.rand(1, 28, 28), 1)]
    name = "data_iter" if call == "confusion_counts" else "test_iter"
    match = (
        rf"^{name} {said}"
        if arg == "one batch"
        else rf"{name} must yield \(X, y\) batches: each batch must be a pair .*{said}"
    )
    with pytest.raises(UsageError, match=match):
        if call == "confusion_counts":
            confusion_counts(_first10, data, 10)  # type: ignore[arg-type]
        elif call == "predict":
            predict(_first10, data, 3)  # type: ignore[arg-type]
        else:
            prediction_samples(_first10, data, 3)  # type: ignore[arg-type]


def test_the_docs_say_predict_takes_a_fashion_mnist_model_and_confusion_counts_any() -> None:
    """docs/python.md said ln.predict works "for any model and test set": it refuses a model of
    3 outputs (the oracle below), while confusion_counts takes it."""
    import linearnets as ln

    docs = (Path(__file__).resolve().parents[1] / "docs" / "python.md").read_text("utf-8")
    text = " ".join(docs.split())
    batch = [(torch.zeros(2, 1, 4, 4), torch.tensor([0, 1]))]
    with pytest.raises(UsageError, match=r"pass a Fashion-MNIST model, of 10 outputs$"):
        ln.predict(_Fixed([0, 2], 3), batch, 2)
    assert confusion_counts(_Fixed([0, 2], 3), batch, 3).sum() == 2
    assert "for any model and test set, the same three" not in text
    assert (
        "`ln.predict` for a Fashion-MNIST model (of 10 outputs; it titles each image with "
        "Fashion-MNIST's class names, and refuses a model of another number of outputs)" in text
    )
    assert "`format_per_class_table` for any classifier and test set" in text


def test_a_dataset_of_int_labels_is_a_type_error_and_a_non_iterable_is_named() -> None:
    from linearnets.errors import UsageTypeError

    dataset = [(torch.rand(1, 28, 28), 3)]
    with pytest.raises(UsageTypeError, match=r"test_iter must yield .*DataLoader\(dataset"):
        prediction_samples(_first10, dataset, 1)  # type: ignore[arg-type]
    with pytest.raises(UsageTypeError, match=r"test_iter must be an iterable of \(X, y\) batches, got int"):  # fmt: skip
        prediction_samples(_first10, 5, 1)  # type: ignore[arg-type]


def test_prediction_samples_blame_a_model_of_twelve_outputs_after_the_labels() -> None:
    """Labels [0, 1] are Fashion-MNIST classes; a model of 12 outputs gives no such classes."""
    batch = [(torch.zeros(2, 1, 4, 4), torch.tensor([0, 1]))]
    with pytest.raises(
        UsageError,
        match=r"the model \(net\) must give 10 class scores per example, one per class, got "
        r"scores of shape \(2, 12\): .*; pass a Fashion-MNIST model, of 10 outputs",
    ):
        prediction_samples(_Fixed([0, 11], 12), batch, 2)
    # a label out of range is still the labels' fault, named before the model's predictions
    bad_label = [(torch.zeros(2, 1, 4, 4), torch.tensor([0, 10]))]
    with pytest.raises(UsageError, match=r"^y of test_iter's first batch must be class indices in \[0, 10\), got 10"):  # fmt: skip
        prediction_samples(_Fixed([0, 11], 12), bad_label, 2)


def test_bool_labels_of_test_iter_are_told_to_convert_y_by_its_name() -> None:
    """The fix named "labels", no name of predict_ch3's: torch.as_tensor(labels).long()."""
    y = torch.tensor([True, False, True, True])
    message = (
        "y of test_iter's first batch must be class indices, whole numbers and not bools, got "
        "True; pass the class indices themselves, such as y from a batch, not the bools of a "
        "comparison (y == 3); to read False as class 0 and True as class 1, convert them first: "
        "torch.as_tensor(y).long()"
    )
    X = torch.rand(4, 1, 28, 28)
    with pytest.raises(UsageError, match=f"^{re.escape(message)}$"):
        prediction_samples(_first10, [(X, y)], 3)
    # the fix, as written: False is class 0, True class 1
    _, true_names, _ = prediction_samples(_first10, [(X, torch.as_tensor(y).long())], 3)
    assert true_names == ["trouser", "t-shirt", "trouser"]


def test_bad_labels_of_test_iter_are_named_as_its_batch_y_of_the_shape_it_yielded() -> None:
    """They were named "labels", no parameter of prediction_samples or predict_ch3, and one-hot y
    (8, 10) was shown cut to n, "(3, 10)", told to pass labels.argmax(dim=1)."""
    y = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7])
    X = torch.rand(8, 1, 4, 4)
    out_of_range = (
        "y of test_iter's first batch must be class indices in [0, 10), got 10; make test_iter "
        "yield Fashion-MNIST's labels, class indices 0..9, as load_data_fashion_mnist's batches do"
    )
    with pytest.raises(UsageError, match=f"^{re.escape(out_of_range)}$"):
        prediction_samples(_first10, [(X, y + 10)], 3)
    one_hot = (
        "y of test_iter's first batch must be class indices (N,) or (N, 1), one per row, got a "
        "tensor of shape (8, 10), whose rows hold 10 values; pass y.argmax(dim=1) for one-hot "
        "labels or class scores (each row's class), or y.reshape(-1) if every value is a label"
    )
    with pytest.raises(UsageError, match=f"^{re.escape(one_hot)}$"):
        prediction_samples(_first10, [(X, nn.functional.one_hot(y, 10))], 3)
    # a later batch, read for the images the first lacks, is named by its place
    with pytest.raises(UsageError, match=r"^y of test_iter's batch 2 must be class indices in \[0, 10\), got -1;"):  # fmt: skip
        prediction_samples(_first10, [(X[:2], y[:2]), (X, y - 1)], 3)
    # only the examples drawn are read: a bad label past them is none of the figure's
    _, true_names, _ = prediction_samples(_first10, [(X, torch.cat([y[:3], y[3:] + 10]))], 3)
    assert true_names == ["t-shirt", "trouser", "pullover"]


@pytest.mark.parametrize("call", ["predict", "confusion_counts"])
def test_a_model_on_meta_is_refused_naming_its_parameters(call: str) -> None:
    from linearnets import inference
    from linearnets.models.concise import softmax_concise

    net = softmax_concise().to("meta")
    batches = [(torch.randn(3, 784), torch.zeros(3, dtype=torch.long))]
    args: tuple[object, ...] = (3,) if call == "predict" else (10,)
    with pytest.raises(UsageError, match=r"^net's parameters must hold values, got a parameter "):
        getattr(inference, call)(net, batches, *args)


class _TwoOutputs(nn.Module):
    """A model returning (logits, probabilities), as some tutorials write."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        o = self.linear(x)
        return o, o.softmax(dim=1)


@pytest.mark.parametrize(
    ("net", "error", "match"),
    [
        (_TwoOutputs(), UsageError, r"must return a torch\.Tensor of outputs \(B, q\), got tuple"),
        (lambda x: x.reshape(len(x), -1)[:, :10].numpy(), UsageError, r"got ndarray"),
        # one output per example: every label was class 0, without a word
        (nn.Sequential(nn.Flatten(), nn.Linear(784, 1)), UsageError, r"got shape \(\d, 1\) for \d examples"),
        (nn.Sequential(nn.Flatten(), nn.Linear(784, 1), nn.Flatten(0)), UsageError, r"got shape \(\d,\) for \d examples"),
    ],
    ids=["tuple", "numpy", "(B, 1)", "(B,)"],
)  # fmt: skip
def test_predicting_refuses_what_is_no_classifiers_scores(
    net: Any, error: type[Exception], match: str, data: tuple[torch.Tensor, torch.Tensor]
) -> None:
    """It gave Python's AttributeError / IndexError / TypeError from inside, or class 0 labels."""
    X = data[0][:4, None].float() / 255
    with pytest.raises(error, match=match):
        predict_labels(net, X)
    loader = ArrayLoader(data[0][:4], data[1][:4], 4, shuffle=False)
    with pytest.raises(error, match=match):
        prediction_samples(net, loader, 3)


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_raw_pixels_given_to_a_model_trained_on_pixels_warn_once_per_model(impl: str) -> None:
    """A model trained on pixels / 255 (load_trained marks it) predicts 0..255 floats silently
    wrong: warned at 1.5 and past, once per model; [0, 1] inputs, integers (refused on their own)
    and any other model's large inputs are not."""
    import warnings

    from linearnets.errors import DataWarning
    from linearnets.inference import PIXEL_INPUTS_PAST, expect_pixels
    from linearnets.models.factory import build_softmax

    def quiet(net: Any, X: torch.Tensor) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            predict_labels(net, X)

    nets = [build_softmax(impl, num_inputs=4, num_outputs=3).net for _ in range(3)]
    quiet(nets[0], torch.full((2, 4), 200.0))  # not marked: a --data model's features may be so
    for net in nets[1:]:
        expect_pixels(net)
    edge = torch.full((2, 4), PIXEL_INPUTS_PAST)
    quiet(nets[1], edge)  # [0, 1] and a little past: the rule is "past 1.5"
    past = torch.tensor([[0.0, 0.5, 1.0, 1.5000001], [0.0, 0.0, 0.0, 0.0]])
    with pytest.warns(DataWarning, match=r"got values up to 1\.5: raw pixels give wrong"):
        predict_labels(nets[1], past)
    quiet(nets[1], torch.full((2, 4), 255.0))  # once per model
    with pytest.warns(DataWarning, match=r"^X must be scaled .* got values up to 255: raw") as seen:
        predict_labels(nets[2], torch.full((2, 4), 255.0))  # another model: warned of its own
    # the line that called predict_labels, not torch's @no_grad wrapper around it
    assert [w.filename for w in seen] == [__file__]


_NOT_2D = (
    "the model (net) must return a classifier's scores (B, C), a 2-d tensor of one row of class "
    "scores per example, to predict labels, got shape "
)
_NO_CLASSES = (
    "; give the model one output per class, e.g. nn.Linear(d, 10) for Fashion-MNIST's 10 classes "
    "(a binary classifier of one logit per example predicts its labels as "
    "(net(X) > 0).long().reshape(-1))"
)


@pytest.mark.parametrize(
    ("net", "message"),
    [
        # a sum over the batch: one label for four examples
        (lambda X: X[:, :10].sum(0, keepdim=True),
         "the model (net) must return one row of class scores per example to predict labels, got "
         "shape (1, 10) for 4 examples; make the model return one row of scores per example"),
        (lambda X: X.reshape(-1, 196)[:, :10],
         "the model (net) must return one row of class scores per example to predict labels, got "
         "shape (16, 10) for 4 examples; the model made 4 rows of each example, as "
         "X.reshape(-1, d) does with 4·d values per example: check the image size (resize) "
         "and channels (3 for RGB) match the model's input"),
        (lambda X: X[:, :10].T,
         "the model (net) must return one row of class scores per example to predict labels, got "
         "shape (10, 4) for 4 examples; the output is transposed, (C, B) with one column per "
         "example: return it as (B, C) = (4, 10), e.g. o.T for the output o, or check the matmul "
         "order (X @ W, with X of shape (B, d) and W (d, C))"),
        (lambda X: X[:, :1],
         "the model (net) must return C >= 2 class scores per example to predict labels, got "
         "shape (4, 1) for 4 examples: one output per example, a regression, whose outputs are "
         "no classes" + _NO_CLASSES),
        (lambda X: X[:, 0],
         "the model (net) must return C >= 2 class scores per example to predict labels, got "
         "shape (4,) for 4 examples: one output per example, a regression, whose outputs are no "
         "classes" + _NO_CLASSES),
        (lambda X: X[:, :0],
         "the model (net) must return C >= 2 class scores per example to predict labels, got "
         "shape (4, 0) for 4 examples: no output per example" + _NO_CLASSES),
        (lambda X: X[:, :10].argmax(1),
         "the model (net) must return class scores (B, C) to predict labels, got shape (4,) for 4 "
         "examples, of torch.int64: labels, not scores; return the scores themselves, without "
         "their argmax (the labels are taken from them here)"),
        (lambda X: X[:, :10].sum(),
         _NOT_2D + "() for 4 examples; return the batch's scores (B, C) before any loss, sum or "
         "mean over them"),
        (lambda X: X[:, :10].reshape(-1),
         _NOT_2D + "(40,) for 4 examples; return the scores (B, C), one row per example, not one "
         "row for the batch"),
        (lambda X: X.reshape(4, 1, 28, 28) @ torch.zeros(28, 10),  # nn.Linear(28, 10) unflattened
         _NOT_2D + "(4, 1, 28, 10) for 4 examples; flatten each example to one row before the "
         "linear layer: nn.Sequential(nn.Flatten(), nn.Linear(d, C)), or X.reshape((-1, d)) in a "
         "scratch model"),
    ],
    ids=["fewer rows", "rows of each example", "(C, B)", "(B, 1)", "(B,)", "(B, 0)", "labels", "0-d", "flat", "4-d"],
)  # fmt: skip
def test_what_is_no_classifiers_scores_is_refused_by_the_rule_it_breaks_with_its_fix(
    net: Any, message: str
) -> None:
    """One message for all said "a model of one output per example is a regression", and no fix."""
    with pytest.raises(UsageError, match=f"^{re.escape(message)}$"):
        predict_labels(net, torch.rand(4, 784))


def test_a_batch_of_one_example_is_named_in_the_singular() -> None:
    with pytest.raises(
        UsageError, match=r"got shape \(2, 10\) for 1 example; the model made 2 rows"
    ):
        predict_labels(lambda X: X.reshape(-1, 392)[:, :10], torch.rand(1, 784))


def test_the_books_scratch_model_on_56_pixel_images_is_refused_telling_to_check_resize() -> None:
    """The book's net, X.reshape((-1, 784)) @ W + b, given load_data_fashion_mnist(resize=56)
    batches: 3136 = 4 x 784 values, so 4 rows of each image; the message train_ch3 gives."""
    from linearnets import d2l

    W = torch.zeros(784, 10, requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    net = lambda X: torch.softmax(X.reshape((-1, 784)) @ W + b, dim=1)  # noqa: E731
    batches = [(torch.rand(6, 1, 56, 56), torch.randint(0, 10, (6,)))]
    fix = (
        "the model made 4 rows of each example, as X.reshape(-1, d) does with 4·d values per "
        "example: check the image size (resize) and channels (3 for RGB) match the model's input"
    )
    with pytest.raises(
        UsageError,
        match="^"
        + re.escape(
            "the model (net) must return one row of class scores per example to predict labels, "
            f"got shape (24, 10) for 6 examples; {fix}"
        )
        + "$",
    ):
        d2l.predict_ch3(net, batches)
    # what training says of the same model (loss_diagnosis): the fix worded once for both
    updater = torch.optim.SGD([W, b], lr=0.1)
    with pytest.raises(UsageError, match=re.escape(f"y has 6 rows; {fix}") + "$"):
        d2l.train_epoch_ch3(net, batches, nn.CrossEntropyLoss(reduction="none"), updater)


def test_an_empty_batch_given_to_a_model_trained_on_pixels_predicts_no_label() -> None:
    """No input to look at for raw pixels: no labels, no error (the largest of none has none)."""
    import warnings

    from linearnets.inference import expect_pixels
    from linearnets.models.factory import build_softmax

    net = build_softmax("concise", num_inputs=4, num_outputs=3).net
    expect_pixels(net)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        labels = predict_labels(net, torch.empty(0, 4))
    assert labels.shape == (0,) and labels.dtype == torch.int64


class _SlottedNet:
    """A classifier of no ``__weakref__`` slot: no weak reference to it can be made."""

    __slots__ = ()

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        return X.reshape(len(X), -1)[:, :3]


def test_a_model_no_weak_reference_can_name_is_no_model_trained_on_pixels() -> None:
    X = torch.tensor([[0.0, 2.0, 1.0, 9.0], [5.0, 1.0, 0.0, 9.0]])
    assert predict_labels(_SlottedNet(), X).tolist() == [1, 0]  # argmax of the first 3 columns


def _ten_scores(X: torch.Tensor) -> torch.Tensor:
    return torch.zeros(len(X), 10)  # (B, 10): every example predicted class 0


@pytest.mark.parametrize(
    "name", ["predictions.png", "curves.svg", "Confusion.PDF", "predict-6.png"]
)
def test_predict_refuses_out_a_figure_of_a_runs_folder_as_the_cli_does(
    tmp_path: Path, name: str
) -> None:
    """ln.predict(net, test_iter, 3, out="runs/a/predictions.png") silently wrote over the run's
    figure, which linearnets predict --out refuses."""
    from linearnets.inference import predict

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    (run / name).write_bytes(b"the run's")
    batches = [(torch.rand(4, 1, 28, 28), torch.zeros(4, dtype=torch.long))]
    with pytest.raises(UsageError, match=rf"^out {re.escape(str(run / name))} is ") as info:
        predict(_ten_scores, batches, 3, out=run / name)
    assert "--out" not in str(info.value)
    offered = tmp_path / f"run-{name}"  # beside the run folder, named as no run's file
    assert str(info.value).endswith(
        f"pass out a file outside the run folder, e.g. out={str(offered)!r}"
    )
    assert (run / name).read_bytes() == b"the run's"
    predict(_ten_scores, batches, 3, out=tmp_path / name)  # outside a run's folder: drawn
    assert (tmp_path / name).stat().st_size > 100
    predict(_ten_scores, batches, 3, out=offered)  # the file offered is taken
    assert offered.stat().st_size > 100


def test_predict_judges_out_by_the_folder_it_lands_in(tmp_path: Path) -> None:
    """ln.predict(..., out="run/nd/../curves.png") wrote over the run's curves.png: the folder
    was judged as typed (``run/nd/..``, made by the write), as no run's."""
    from linearnets.inference import predict

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    (run / "curves.png").write_bytes(b"the run's")
    batches = [(torch.rand(4, 1, 28, 28), torch.zeros(4, dtype=torch.long))]
    out = run / "nd" / ".." / "curves.png"
    with pytest.raises(UsageError, match=rf"^out {re.escape(str(out))} is curves.png, which the "):
        predict(_ten_scores, batches, 3, out=out)
    assert (run / "curves.png").read_bytes() == b"the run's"


def test_predict_in_a_run_folder_offers_no_file_it_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the run folder as the current folder, out='predictions.png' was refused with the
    fix "e.g. out='predictions.png'": the same refused file, and a name the run writes."""
    from linearnets.inference import predict

    run = tmp_path / "a"
    run.mkdir()
    (run / "config.json").write_text('{"task": "softmax", "config": {"epochs": 3}}')
    monkeypatch.chdir(run)
    batches = [(torch.rand(4, 1, 28, 28), torch.zeros(4, dtype=torch.long))]
    offered = tmp_path.resolve() / "a-predictions.png"
    with pytest.raises(UsageError, match=re.escape(f"e.g. out={str(offered)!r}") + "$"):
        predict(_ten_scores, batches, 3, out="predictions.png")
    predict(_ten_scores, batches, 3, out=str(offered))
    assert offered.stat().st_size > 100


@pytest.mark.parametrize("held", ['{"editor": "vim"}', "[1, 2]", '"settings"'])
def test_predict_draws_beside_another_tools_config_json(tmp_path: Path, held: str) -> None:
    """Any folder with a config.json counted as a run's: out=curves.png beside an editor's
    {"editor": "vim"} was refused as passing for a run's curves."""
    from linearnets.inference import predict

    (tmp_path / "config.json").write_text(held)
    batches = [(torch.rand(4, 1, 28, 28), torch.zeros(4, dtype=torch.long))]
    predict(_ten_scores, batches, 3, out=tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 100


def test_predict_of_no_mistakes_removes_an_earlier_figure_of_mistakes(tmp_path: Path) -> None:
    """wrong_only=True with no mistakes left an older out in place, showing an earlier model's
    mistakes as this one's."""
    from linearnets.inference import predict

    out = tmp_path / "wrong.png"
    batches = [(torch.rand(4, 1, 28, 28), torch.tensor([0, 1, 0, 0]))]
    assert len(predict(_ten_scores, batches, 3, out=out, wrong_only=True)) == 1
    assert out.is_file()
    right = [(torch.rand(4, 1, 28, 28), torch.zeros(4, dtype=torch.long))]
    assert len(predict(_ten_scores, right, 3, out=out, wrong_only=True)) == 0
    assert not out.exists()
    keep = tmp_path / "other.png"
    keep.write_bytes(b"kept")  # a file predict was not told to write
    assert len(predict(_ten_scores, right, 3, wrong_only=True)) == 0
    assert keep.read_bytes() == b"kept"


@pytest.mark.parametrize("wrong_only", [False, True])
def test_batches_of_two_image_sizes_are_refused_naming_test_iter(
    tmp_path: Path, wrong_only: bool
) -> None:
    """A custom test_iter whose second batch was resized ended in torch.cat's bare "Sizes of
    tensors must match"."""
    from linearnets.inference import predict

    X, y = torch.rand(4, 1, 28, 28), torch.tensor([1, 1, 1, 1])
    mixed = [(X[:2], y[:2]), (nn.functional.interpolate(X[2:], size=14), y[2:])]
    with pytest.raises(
        UsageError,
        match=r"^test_iter must yield images of one size and layout, got batches of images "
        r"\(28, 28\) and then \(14, 14\), which cannot be drawn as one grid; resize every batch "
        r"alike \(load_data_fashion_mnist\(batch_size, resize=\.\.\.\) does\), or draw each size "
        r"apart$",
    ):
        predict(_ten_scores, mixed, 4, out=tmp_path / "mix.png", wrong_only=wrong_only)


def test_a_flattened_batch_after_an_image_one_is_drawn_alike() -> None:
    """(B, 1, 28, 28) then (B, 784): both are 28×28 images, once refused by torch.cat."""
    X, y = torch.rand(4, 1, 28, 28), torch.tensor([0, 1, 2, 3])
    images, true_names, pred_names = prediction_samples(
        _ten_scores, [(X[:2], y[:2]), (X[2:].reshape(2, 784), y[2:])], 4
    )
    assert torch.equal(images, X[:, 0])
    assert len(true_names) == len(pred_names) == 4


@pytest.mark.parametrize("layout", [(4, 1, 784), (4, 784, 1), (4, 1, 1, 784)])
def test_flattened_rows_with_axes_of_one_are_drawn_as_square_images(
    layout: tuple[int, ...], tmp_path: Path
) -> None:
    """X (B, 1, 784), which the model takes as it takes (B, 784), was drawn as strips 1×784 (and
    is now refused by plot_predictions, in its own words): its images are 28×28, row-major."""
    from linearnets.inference import predict

    X, y = torch.rand(4, 784), torch.tensor([0, 1, 2, 3])
    images, _, _ = prediction_samples(_ten_scores, [(X.reshape(layout), y)], 4)
    assert torch.equal(images, X.reshape(4, 28, 28))
    axes = predict(_ten_scores, [(X.reshape(layout), y)], 2, out=tmp_path / "p.png")
    assert [ax.images[0].get_array().shape for ax in axes] == [(28, 28)] * 2


@pytest.mark.parametrize("channels", [3, 4])
def test_colour_images_of_one_pixel_are_drawn_as_they_are_not_as_flattened_ones(
    channels: int,
) -> None:
    """X (B, 4, 1, 1), RGBA images of one pixel, was drawn as (B, 2, 2) flattened images."""
    X, y = torch.rand(4, channels, 1, 1), torch.tensor([0, 1, 2, 3])
    images, _, _ = prediction_samples(_ten_scores, [(X, y)], 4)
    assert torch.equal(images, X)


def test_a_batch_of_channels_no_image_has_names_test_iter_and_colour_is_listed() -> None:
    """(B, 2, 8, 8) was refused in plot_predictions' words, "images[0] must be an image ... pass
    images[:, :1]", naming no argument of predict's; colour (B, 3, H, W) passes, and is said to."""
    from linearnets.inference import predict

    y = torch.zeros(3, dtype=torch.long)
    with pytest.raises(
        UsageError,
        match=r"^test_iter must yield images X of \(B, 1, H, W\), \(B, 3, H, W\) in colour "
        r"\(RGB; RGBA of 4 channels too\), \(B, H, W\) or square ones flattened to \(B, H\*W\), "
        r"got a batch of shape \(3, 2, 8, 8\), whose 2 channels are no image's; yield one "
        r"channel of it, X\[:, :1\], to draw it grey$",
    ):
        predict(_ten_scores, [(torch.rand(3, 2, 8, 8), y)], 3)
    images, _, _ = prediction_samples(_ten_scores, [(torch.rand(3, 3, 8, 8), y)], 3)
    assert images.shape == (3, 3, 8, 8)


def test_the_docs_quote_predicts_refusal_of_an_out_in_a_run_folder_as_it_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/python.md quoted "out runs/a/predictions.png is the run's ..., which the run in runs/a
    writes: ...", words the refusal never says ("is predictions.png, which ...")."""
    import linearnets as ln

    monkeypatch.chdir(tmp_path)
    Path("runs/a").mkdir(parents=True)
    Path("runs/a/config.json").write_text('{"config": {"epochs": 3}}')  # a run's folder
    with pytest.raises(UsageError) as info:
        ln.predict(_first10, [], 1, out="runs/a/predictions.png")  # type: ignore[arg-type]
    said = str(info.value)
    assert said == (
        "out runs/a/predictions.png is predictions.png, which the run in runs/a writes: a figure "
        "written there would pass for the run's; pass out a file outside the run folder, e.g. "
        "out='runs/a-predictions.png'"
    )
    docs = (Path(__file__).resolve().parents[1] / "docs" / "python.md").read_text("utf-8")
    assert f"(`{said}`)" in " ".join(docs.split())


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((4, 10), r"test_iter must yield images .*, got a batch of shape \(4, 10\); predictions"),
        ((4, 785), r"test_iter must yield images .*, got a batch of shape \(4, 785\); predictions"),
        ((4, 2, 28, 28), r"got a batch of shape \(4, 2, 28, 28\), whose 2 channels are no image's"),
        ((4, 3, 5, 5), r"^X must hold 784 features per example, .*got shape \(4, 3, 5, 5\); check"),
    ],
    ids=["10 features", "785 features", "2 channels", "the model's size"],
)
def test_a_bad_batch_is_refused_by_the_shape_test_iter_yielded(
    shape: tuple[int, ...], message: str, tmp_path: Path
) -> None:
    """ln.predict(net, [(X (4, 10), y)], 2) said "got a batch of shape (2, 10)": the shape of
    the first n examples cut from it, no shape test_iter yielded."""
    from linearnets import predict, softmax_concise

    batches = [(torch.rand(*shape), torch.zeros(4, dtype=torch.long))]
    with pytest.raises(UsageError, match=message):
        predict(softmax_concise(), batches, 2, out=tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_predict_of_inf_images_is_refused(tmp_path: Path) -> None:
    """ln.predict drew an image holding inf as a blank cell without a word; refused naming
    test_iter's X, the value and where."""
    from linearnets import predict

    X = torch.rand(4, 1, 28, 28)
    X[1, 0, 3, 3] = float("inf")
    with pytest.raises(
        UsageError,
        match=r"^test_iter's X must hold finite pixel values to be drawn \(NaN and inf draw blank "
        r"cells\), got 1 NaN or inf value, the first inf in drawn image 1 \(from 0\) at pixel "
        r"\(3, 3\); make test_iter yield finite images, e\.g\. X\.nan_to_num\(\), or leave those out$",
    ):
        predict(_ten_scores, [(X, torch.zeros(4, dtype=torch.long))], 4, out=tmp_path / "p.png")
    assert not (tmp_path / "p.png").exists()


@pytest.mark.parametrize(
    ("shape", "refused"),
    [
        ((4, 3, 5, 5), r"^X must hold 784 features per example .*got shape \(4, 3, 5, 5\)"),
        ((4, 784), None),
    ],
    ids=["a bad batch", "a good one"],
)
def test_a_bad_batch_is_refused_after_one_call_of_the_model(
    shape: tuple[int, ...], refused: str | None, tmp_path: Path
) -> None:
    """ln.predict ran the user's model on the first n examples and, where its refusal named
    their shape, on the whole batch again, to name the shape test_iter yielded: the model runs
    once on each batch as test_iter yielded it, its first n predicted."""
    from linearnets import predict

    # a plain module: softmax_concise checks X before its forward, where no hook sees it
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    calls: list[tuple[int, ...]] = []
    net.register_forward_pre_hook(lambda module, args: calls.append(tuple(args[0].shape)))
    batches = [(torch.rand(*shape), torch.zeros(4, dtype=torch.long))]
    if refused is None:
        assert len(predict(net, batches, 2, out=tmp_path / "x.png")) == 2
    else:
        with pytest.raises(UsageError, match=refused):
            predict(net, batches, 2, out=tmp_path / "x.png")
    assert calls == [shape]
