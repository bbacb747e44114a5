"""What ``d2l.<name>`` says for a name :mod:`linearnets.d2l` lacks: the chapter 3 scope, and the fix.

``from linearnets import d2l`` holds chapter 3 (linear neural networks); code from a later chapter
(``d2l.try_gpu()``, ``d2l.train_ch6``) needs the book's own d2l package. The AttributeError says so,
naming the section a well-known later name comes from (a chapter 3 function or variable of the
book's own code, never saved to d2l, gets how the book defines it; a name neither package has gets
the close match among every name this module or this message knows, told as that name is, for a
misspelling), and stays an AttributeError, so that
``hasattr``, ``getattr(d2l, name, default)`` and ``from linearnets.d2l import *`` behave as for any
module. Names with a leading underscore (``__path__``, ``_repr_html_``: probes by importlib,
pickle, IPython) get Python's plain message at once.

See D2L chapter 3.
"""

from __future__ import annotations

from linearnets._pip_words import pip_install

__all__ = ["LATER_SECTIONS", "missing_name"]

MODULE = "linearnets.d2l"
_SCOPE = f"{MODULE} covers chapter 3 (linear neural networks) only"

# the book's (d2l 0.17, the chapter numbers of the Chinese 2nd edition and the English releases
# before 1.0) names a learner meets soonest after chapter 3: name -> the section defining it
LATER_SECTIONS = {
    "evaluate_loss": "§4.4 (model selection, underfitting and overfitting)",
    "DATA_HUB": "§4.10 (Kaggle house prices)",
    "DATA_URL": "§4.10 (Kaggle house prices)",
    "download": "§4.10 (Kaggle house prices)",
    "download_extract": "§4.10 (Kaggle house prices)",
    "download_all": "§4.10 (Kaggle house prices)",
    "try_gpu": "§5.6 (GPUs)",
    "try_all_gpus": "§5.6 (GPUs)",
    "corr2d": "§6.2 (convolutions for images)",
    "evaluate_accuracy_gpu": "§6.6 (LeNet)",
    "train_ch6": "§6.6 (LeNet)",
    "Residual": "§7.6 (ResNet)",
    "read_time_machine": "§8.2 (text preprocessing)",
    "tokenize": "§8.2 (text preprocessing)",
    "Vocab": "§8.2 (text preprocessing)",
    "load_data_time_machine": "§8.3 (language models)",
    "RNNModelScratch": "§8.5 (RNNs from scratch)",
    "grad_clipping": "§8.5 (RNNs from scratch)",
    "predict_ch8": "§8.5 (RNNs from scratch)",
    "train_ch8": "§8.5 (RNNs from scratch)",
    "RNNModel": "§8.6 (concise RNNs)",
}

# later chapters' functions the book defines in its own code, never saved to its d2l package, that a
# learner may ask d2l for (d2l.relu, no misspelling of d2l.re): name -> the section
_LATER_UNSAVED = {"relu": "§4.2 (MLPs from scratch)", "rnn": "§8.5 (RNNs from scratch)"}

# chapter 3's functions the book defines in its own code, never saved (#@save) to its d2l package:
# name -> the section. linearnets has some at its top level; the others are told as the book has them
_UNSAVED = {
    "data_iter": "§3.2",
    "softmax": "§3.6",
    "cross_entropy": "§3.6",
    "net": "§3.6",
    "updater": "§3.6",
    "init_weights": "§3.7",
}
_AS_THE_BOOK = {  # those linearnets lacks: the book's definition
    "net": "def net(X): return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)",
    "updater": "def updater(batch_size): return d2l.sgd([W, b], lr, batch_size)",
}

# chapter 3's variables, in the book's code (the Chinese 2nd edition and the English releases before
# 1.0 set them alike) and in neither d2l: name -> each line that sets it, with its section (§3.2/§3.3
# linear regression, §3.6/§3.7 softmax regression, whose values differ), if any; the lines of §3.6
# that set one inside the book's evaluate_accuracy, train_epoch_ch3, train_ch3 and predict_ch3 too
_BATCH_SIZE_256 = (
    ("§3.5", "batch_size = 256"),
    ("§3.6", "batch_size = 256"),
    ("§3.7", "batch_size = 256"),
)
_FASHION_MNIST_ITERS = (
    ("§3.5", "train_iter, test_iter = load_data_fashion_mnist(32, resize=64)"),
    ("§3.6", "train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)"),
    ("§3.7", "train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)"),
)
_SYNTHETIC = (
    ("§3.2", "features, labels = synthetic_data(true_w, true_b, 1000)"),
    ("§3.3", "features, labels = d2l.synthetic_data(true_w, true_b, 1000)"),
)
_VARIABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "X": (),
    "y": (),
    "n": (("§3.1", "n = 10000"),),
    "a": (("§3.1", "a = torch.ones([n])"),),
    "c": (("§3.1", "c = torch.zeros(n)"),),
    "d": (("§3.1", "d = a + b"),),
    "timer": (("§3.1", "timer = Timer()"), ("§3.5", "timer = d2l.Timer()")),
    "x": (("§3.1", "x = np.arange(-7, 7, 0.01)"),),
    "params": (("§3.1", "params = [(0, 1), (0, 2), (3, 1)]"),),
    "w": (
        ("§3.2", "w = torch.normal(0, 0.01, size=(2,1), requires_grad=True)"),
        ("§3.3", "w = net[0].weight.data"),
    ),
    "W": (
        ("§3.6", "W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)"),
    ),
    "b": (
        ("§3.1", "b = torch.ones([n])"),
        ("§3.2", "b = torch.zeros(1, requires_grad=True)"),
        ("§3.3", "b = net[0].bias.data"),
        ("§3.6", "b = torch.zeros(num_outputs, requires_grad=True)"),
    ),
    "lr": (("§3.2", "lr = 0.03"), ("§3.6", "lr = 0.1")),
    "num_epochs": (
        ("§3.2", "num_epochs = 3"),
        ("§3.3", "num_epochs = 3"),
        ("§3.6", "num_epochs = 10"),
        ("§3.7", "num_epochs = 10"),
    ),
    "epoch": (
        ("§3.2", "for epoch in range(num_epochs):"),
        ("§3.3", "for epoch in range(num_epochs):"),
        ("§3.6", "for epoch in range(num_epochs):"),
    ),
    "batch_size": (("§3.2", "batch_size = 10"), ("§3.3", "batch_size = 10"), *_BATCH_SIZE_256),
    "true_w": (
        ("§3.2", "true_w = torch.tensor([2, -3.4])"),
        ("§3.3", "true_w = torch.tensor([2, -3.4])"),
    ),
    "true_b": (("§3.2", "true_b = 4.2"), ("§3.3", "true_b = 4.2")),
    "features": _SYNTHETIC,
    "labels": _SYNTHETIC,
    "l": (
        ("§3.2", "l = loss(net(X, w, b), y)"),
        ("§3.3", "l = loss(net(X), y)"),
        ("§3.3", "l = loss(net(features), labels)"),
        ("§3.6", "l = loss(y_hat, y)"),
    ),
    "train_l": (("§3.2", "train_l = loss(net(features, w, b), labels)"),),
    "loss": (
        ("§3.2", "loss = squared_loss"),
        ("§3.3", "loss = nn.MSELoss()"),
        ("§3.7", "loss = nn.CrossEntropyLoss(reduction='none')"),
    ),
    "trainer": (
        ("§3.3", "trainer = torch.optim.SGD(net.parameters(), lr=0.03)"),
        ("§3.7", "trainer = torch.optim.SGD(net.parameters(), lr=0.1)"),
    ),
    "trans": (("§3.5", "trans = transforms.ToTensor()"),),
    "mnist_train": (
        (
            "§3.5",
            'mnist_train = torchvision.datasets.FashionMNIST(root="../data", train=True, '
            "transform=trans, download=True)",
        ),
    ),
    "mnist_test": (
        (
            "§3.5",
            'mnist_test = torchvision.datasets.FashionMNIST(root="../data", train=False, '
            "transform=trans, download=True)",
        ),
    ),
    "train_iter": (
        (
            "§3.5",
            "train_iter = data.DataLoader(mnist_train, batch_size, shuffle=True, "
            "num_workers=get_dataloader_workers())",
        ),
        *_FASHION_MNIST_ITERS,
    ),
    "test_iter": _FASHION_MNIST_ITERS,
    "num_inputs": (("§3.6", "num_inputs = 784"),),
    "num_outputs": (("§3.6", "num_outputs = 10"),),
    "X_prob": (("§3.6", "X_prob = softmax(X)"),),
    "y_hat": (
        ("§3.6", "y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])"),
        ("§3.6", "y_hat = net(X)"),
    ),
    "metric": (("§3.6", "metric = Accumulator(2)"), ("§3.6", "metric = Accumulator(3)")),
    "animator": (
        (
            "§3.6",
            "animator = Animator(xlabel='epoch', xlim=[1, num_epochs], ylim=[0.3, 0.9], "
            "legend=['train loss', 'train acc', 'test acc'])",
        ),
    ),
    "train_metrics": (("§3.6", "train_metrics = train_epoch_ch3(net, train_iter, loss, updater)"),),
    "test_acc": (("§3.6", "test_acc = evaluate_accuracy(net, test_iter)"),),
    "train_loss": (("§3.6", "train_loss, train_acc = train_metrics"),),
    "train_acc": (("§3.6", "train_loss, train_acc = train_metrics"),),
    "trues": (("§3.6", "trues = d2l.get_fashion_mnist_labels(y)"),),
    "preds": (("§3.6", "preds = d2l.get_fashion_mnist_labels(d2l.argmax(net(X), axis=1))"),),
    "titles": (("§3.6", "titles = [true + '\\n' + pred for true, pred in zip(trues, preds)]"),),
}

# the book's d2l package (0.17.6, read from its torch.py) has these later chapters' names too, with
# no section named here; linearnets.d2l has none of them
_BOOKS_OTHERS = frozenset(
    """
    AddNorm AdditiveAttention AttentionDecoder BERTEncoder BERTModel BananasDataset Benchmark
    Decoder DotProductAttention Encoder EncoderBlock EncoderDecoder MaskLM MaskedSoftmaxCELoss
    MultiHeadAttention NextSentencePred PositionWiseFFN PositionalEncoding RandomGenerator
    SNLIDataset Seq2SeqEncoder SeqDataLoader TokenEmbedding TransformerEncoder VOCSegDataset
    VOC_CLASSES VOC_COLORMAP annotate assign_anchor_to_bbox batchify bbox_to_rect bleu
    box_center_to_corner box_corner_to_center box_iou build_array_nmt copyfile count_corpus
    get_centers_and_contexts get_data_ch11 get_negatives get_tokens_and_segments
    load_corpus_time_machine load_data_bananas load_data_imdb load_data_nmt load_data_ptb
    load_data_snli load_data_voc load_data_wiki masked_softmax multibox_detection multibox_prior
    multibox_target nms offset_boxes offset_inverse predict_sentiment predict_seq2seq
    predict_snli preprocess_nmt read_csv_labels read_data_bananas read_data_nmt read_imdb
    read_ptb read_snli read_voc_images reorg_test reorg_train_valid resnet18
    seq_data_iter_random seq_data_iter_sequential sequence_mask show_bboxes show_heatmaps
    show_list_len_pair_hist show_trace_2d split_batch subsample tokenize_nmt train_2d
    train_batch_ch13 train_ch11 train_ch13 train_concise_ch11 train_epoch_ch8 train_seq2seq
    transpose_output transpose_qkv truncate_pad update_D update_G voc_colormap2label
    voc_label_indices voc_rand_crop
    """.split()  # noqa: SIM905 (a list literal would take a line a name)
)

# English 1.0's reworked API, whose chapter 3 is another one than this module's
_ENGLISH_1_0 = frozenset(
    {
        "Classifier",
        "DataModule",
        "FashionMNIST",
        "HyperParameters",
        "LinearRegression",
        "LinearRegressionScratch",
        "Module",
        "ProgressBoard",
        "SGD",
        "SoftmaxRegression",
        "SyntheticRegressionData",
        "Trainer",
        "add_to_class",
    }
)


_D2L_1_0 = "'d2l>=1.0'"  # the English edition 1.0's d2l package, quoted for the shell


def _books_d2l() -> str:
    """Return how to install and import the book's d2l package (its chapter 3 edition)."""
    return f"{pip_install('d2l==0.17.6')}, then from d2l import torch as d2l"


def missing_name(name: str) -> AttributeError:
    """Return the AttributeError for ``d2l.<name>``, a name the module lacks (to raise).

    Python's own message starts it; Python sets its ``name`` and ``obj`` as it raises through the
    module, so a traceback still offers "Did you mean: 'train_ch3'?" for a misspelt name.
    """
    plain = f"module {MODULE!r} has no attribute {name!r}"
    if name.startswith("_"):  # dunders and IPython's _repr_*_ probes: Python's message alone
        return AttributeError(plain)
    return AttributeError(f"{plain}: {_told(name) or _unknown(name)}")


def _told(name: str) -> str | None:
    """Return what to say of a name this module knows it lacks (a later chapter's, a variable of the
    book's code, ...), else None."""
    if name in LATER_SECTIONS:
        return (
            f"d2l.{name} comes from {LATER_SECTIONS[name]}, and {_SCOPE}; for later chapters use "
            f"the book's d2l package ({_books_d2l()})"
        )
    if name in _UNSAVED:
        return (
            f"the book defines {name} in {_UNSAVED[name]}'s own code and does not save it to its "
            f"d2l package, so neither does {MODULE}; {_define(name)}"
        )
    if name in _LATER_UNSAVED:
        return (
            f"{name} is of the book's own code in {_LATER_UNSAVED[name]}, a chapter after 3, "
            f"saved to neither d2l package, and {_SCOPE}; define it in your code as that section "
            "does"
        )
    if name in _VARIABLES:
        example = "; ".join(f"{section}: {code}" for section, code in _VARIABLES[name])
        return (
            f"{name} is a variable of the book's own code, not a name of its d2l package (nor of "
            f"{MODULE}); set it in your code as the book does"
            + (f" ({example})" if example else "")
        )
    if name in _ENGLISH_1_0:
        return (
            f"d2l.{name} is of the English edition 1.0's API (d2l.Module, d2l.Trainer), and "
            f"{_SCOPE}, as the Chinese 2nd edition and the English releases before 1.0 print it; "
            f"for that edition use its d2l package ({pip_install(_D2L_1_0)}, then "
            "from d2l import torch as d2l)"
        )
    if name in _BOOKS_OTHERS:
        return (
            f"d2l.{name} is of the book's d2l package, from a chapter after 3, and {_SCOPE}; for "
            f"later chapters use the book's d2l package ({_books_d2l()})"
        )
    return None


def _unknown(name: str) -> str:
    """Return what to say of a name neither d2l has: the close match among every name this module
    knows (a misspelling), told as that name is, else that the book's d2l package lacks it too."""
    import difflib

    from linearnets import d2l

    # this module's own functions, classes and tensor names, and the names _told knows; the
    # modules d2l.torch imports (d2l.torch, d2l.plt) last: a misspelling of one (d2l.torh) means
    # it, but of those as close, another name (relu is no d2l.re)
    known = [*d2l.__all__, *LATER_SECTIONS, *_LATER_UNSAVED, *_UNSAVED, *_VARIABLES]
    known += [*_ENGLISH_1_0, *_BOOKS_OTHERS]
    modules = set(dir(d2l)) - set(known)
    neither = f"the book's d2l package (0.17.6) has no {name!r} either"
    close = difflib.get_close_matches(name, [*known, *modules], n=len(known) + len(modules))
    if not close:
        return f"{_SCOPE}, and {neither}; check the spelling against dir(d2l)"
    # the closest; of those as close, no module, then this module's own (train_ch4: train_ch3,
    # not train_ch8)
    meant = max(
        close,
        key=lambda k: (
            difflib.SequenceMatcher(None, k, name).ratio(),
            k not in modules,
            k in d2l.__all__,
        ),
    )
    told = _told(meant)
    if told is None:  # one of this module's own names
        return f"did you mean d2l.{meant}? ({_SCOPE}, and {neither})"
    # a variable or a function of the book's own code is no d2l.<name>
    own_code = meant in _VARIABLES or meant in _UNSAVED or meant in _LATER_UNSAVED
    shown = meant if own_code else f"d2l.{meant}"
    return f"did you mean {shown}? ({neither}) {told}"


def _define(name: str) -> str:
    """Return the fix for a chapter 3 function the book never saves: linearnets' own, where it has
    one at its top level, else the book's definition."""
    import linearnets

    if hasattr(linearnets, name):
        return (
            f"define it as the book does, or use linearnets.{name} (from linearnets import {name})"
        )
    return f"define it in your code as the book's {_UNSAVED[name]} does ({_AS_THE_BOOK[name]})"
