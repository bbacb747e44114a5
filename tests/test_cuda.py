"""The CUDA path: data moved to the GPU once, every implementation trains there like on the CPU.

Skipped on machines without a CUDA GPU (this project's CI has none); run wherever one is present
(the first test also needs the real Fashion-MNIST).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from linearnets.config import SoftmaxConfig
from linearnets.errors import UsageError
from linearnets.tasks.softmax import prepare
from linearnets.training.loop import evaluate, train_epoch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.skipif(
    not Path("/usr/share/datasets/fashion-mnist").is_dir(), reason="needs the real Fashion-MNIST"
)
@pytest.mark.parametrize("impl", ["scratch", "analytic", "concise"])
def test_trains_on_the_gpu_like_on_the_cpu(impl: str) -> None:
    results = {}
    for device in ("cpu", "cuda"):
        exp = prepare(SoftmaxConfig(impl=impl, device=device, num_threads=1))
        if device == "cuda":  # the whole set lives on the GPU: batches are sliced there
            assert exp.train_iter.features.is_cuda and exp.test_iter.features.is_cuda
            assert all(p.is_cuda for p in exp.model.parameters())
        train_epoch(exp.setup.net, exp.train_iter, exp.setup.loss, exp.setup.updater)
        _, acc = evaluate(exp.setup.net, exp.test_iter)
        results[device] = (acc, [p.detach().cpu() for p in exp.model.parameters()])
    assert results["cuda"][0] == pytest.approx(results["cpu"][0], abs=0.005)
    for gpu, cpu in zip(results["cuda"][1], results["cpu"][1], strict=True):
        torch.testing.assert_close(gpu, cpu, rtol=1e-3, atol=1e-4)


def test_labels_out_of_range_are_caught_before_any_gpu_kernel() -> None:
    """On a GPU an out-of-range gather index is a device-side assert that ruins the context."""
    from linearnets.models.scratch.softmax import SoftmaxRegressionScratch, cross_entropy_logits

    net = SoftmaxRegressionScratch(analytic=True).to("cuda")
    X, y = torch.rand(2, 784, device="cuda"), torch.tensor([0, 10], device="cuda")
    with pytest.raises(UsageError, match=r"y must hold class indices in \[0, 10\), got 10"):
        net.analytic_step(X, y, scale=0.5)
    with pytest.raises(UsageError, match=r"got 10"):
        cross_entropy_logits(net(X), y)
    torch.cuda.synchronize()  # the device is still usable


def test_a_cpu_batch_for_a_concise_model_on_the_gpu_is_named_in_fit_and_evaluate() -> None:
    """nn.Linear on cuda fed CPU batches: torch says "Expected all tensors to be on the same device"."""
    import linearnets as ln
    from linearnets import d2l
    from linearnets.inference import predict_labels

    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3)).to("cuda")
    batches = [(torch.zeros(2, 4), torch.tensor([0, 1]))]
    loss = torch.nn.CrossEntropyLoss(reduction="none")
    message = (
        r"^X must be on the device of the model's parameters, cuda:0, got a batch on cpu; move the "
        r"batch with X\.to\('cuda:0'\), or the model with net\.to\('cpu'\)$"
    )
    with pytest.raises(UsageError, match=message):
        ln.fit(net, batches, loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    with pytest.raises(UsageError, match=message):
        ln.evaluate(net, batches)
    with pytest.raises(UsageError, match=message):  # the book's loop with a function updater
        d2l.train_epoch_ch3(net, batches, loss, lambda batch_size: None)
    with pytest.raises(UsageError, match=message):
        predict_labels(net, batches[0][0])


def test_the_closed_form_of_data_on_the_gpu_is_the_cpus() -> None:
    """The bias's column of ones is made on X's device (it was made on the CPU: torch's device
    error from cat); targets on another device are named, as lstsq would not."""
    from linearnets.data.synthetic import synthetic_data
    from linearnets.models.closed_form import closed_form

    X, y = synthetic_data(
        torch.tensor([2.0, -3.4]), 4.2, 1000, generator=torch.Generator().manual_seed(0)
    )
    w_cpu, b_cpu = closed_form(X, y)
    w_gpu, b_gpu = closed_form(X.cuda(), y.cuda())
    assert w_gpu.is_cuda
    torch.testing.assert_close(w_gpu.cpu(), w_cpu)
    assert b_gpu == pytest.approx(b_cpu, abs=1e-6)
    with pytest.raises(UsageError, match=r"^y must be on X's device cuda:0, got y on cpu; move it"):
        closed_form(X.cuda(), y)


@pytest.mark.parametrize(
    "device", [None, 0, torch.device("cuda", 0)], ids=["current", "0", "cuda:0"]
)
def test_a_scratch_model_moves_to_the_gpu_and_back_as_nn_modules_do(device: object) -> None:
    from linearnets.models.scratch import SoftmaxRegressionScratch

    net, twin = SoftmaxRegressionScratch(6, 3), torch.nn.Linear(6, 3)
    before = list(net.parameters())
    assert net.cuda(device) is net and twin.cuda(device) is twin
    assert {p.device for p in net.parameters()} == {p.device for p in twin.parameters()}
    assert net.cpu() is net and {p.device.type for p in net.parameters()} == {"cpu"}
    assert all(a is b for a, b in zip(before, net.parameters(), strict=True))


def test_synthetic_data_for_weights_on_the_gpu_is_there_and_the_cpus_data() -> None:
    """X and y are drawn on the generator's device (the CPU here) and taken to w's: they were
    drawn on the CPU and met a CUDA w in torch's device error."""
    from linearnets.data.synthetic import synthetic_data

    w = torch.tensor([2.0, -3.4])
    X, y = synthetic_data(w, 4.2, 100, generator=torch.Generator().manual_seed(0))
    X_gpu, y_gpu = synthetic_data(w.cuda(), 4.2, 100, generator=torch.Generator().manual_seed(0))
    assert X_gpu.is_cuda and y_gpu.is_cuda
    torch.testing.assert_close(X_gpu.cpu(), X, rtol=0, atol=0)
    torch.testing.assert_close(y_gpu.cpu(), y)
    # a CUDA generator draws on the GPU; w on the CPU gets its data there
    X_cuda_gen, _ = synthetic_data(w, 4.2, 100, generator=torch.Generator("cuda").manual_seed(0))
    assert X_cuda_gen.device.type == "cpu" and X_cuda_gen.shape == (100, 2)


def test_load_array_refuses_a_cuda_generator_by_name() -> None:
    from linearnets.data.synthetic import load_array

    X = torch.randn(10, 2)
    with pytest.raises(
        UsageError, match=r"^generator must be a CPU generator for load_array, got one on cuda"
    ):
        load_array((X, X[:, :1]), 5, generator=torch.Generator("cuda"))


@pytest.mark.parametrize("build", ["softmax", "linreg"])
def test_a_scratch_model_takes_a_cuda_generator_and_a_cuda_default_device(build: str) -> None:
    """The weights are drawn on the generator's device and made on torch's default one: a CUDA
    generator failed in torch.randn ("Expected a 'cpu' device type for generator"), and so did a
    CPU one under torch.set_default_device("cuda")."""
    from linearnets.models.scratch import LinearRegressionScratch, SoftmaxRegressionScratch

    def make(generator: torch.Generator) -> LinearRegressionScratch | SoftmaxRegressionScratch:
        if build == "softmax":
            return SoftmaxRegressionScratch(6, 3, sigma=0.5, generator=generator)
        return LinearRegressionScratch(6, sigma=0.5, generator=generator)

    shape = (3, 6) if build == "softmax" else (6, 1)
    drawn = torch.randn(shape, generator=torch.Generator("cuda").manual_seed(0), device="cuda")
    net = make(torch.Generator("cuda").manual_seed(0))
    weight = next(iter(net.parameters()))
    assert {p.device.type for p in net.parameters()} == {"cpu"}
    expected = drawn.cpu() * 0.5  # softmax's W (d, q) is the transpose of its (q, d) draw
    torch.testing.assert_close(
        weight, expected.T if build == "softmax" else expected, rtol=0, atol=0
    )
    on_cpu = make(torch.Generator().manual_seed(0))
    with torch.device("cuda"):  # torch's default device, as set_default_device sets it
        on_gpu = make(torch.Generator().manual_seed(0))
    assert all(p.is_cuda for p in on_gpu.parameters())
    for gpu, cpu in zip(on_gpu.parameters(), on_cpu.parameters(), strict=True):
        torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=0)


def test_init_weights_seeds_a_layer_on_the_gpu_as_on_the_cpu() -> None:
    """The weights are drawn on the generator's device and copied into the layer: a CPU generator
    for a CUDA layer (or a CUDA one for a CPU layer, softmax_concise(generator=...)) failed in
    normal_ ("Expected a 'cuda' device type for generator but found 'cpu'")."""
    from functools import partial

    import linearnets as ln

    cpu = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    gpu = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3)).cuda()
    for net in (cpu, gpu):
        net.apply(partial(ln.init_weights, generator=torch.Generator().manual_seed(0)))
    assert gpu[1].weight.is_cuda
    torch.testing.assert_close(gpu[1].weight.cpu(), cpu[1].weight, rtol=0, atol=0)
    assert torch.equal(gpu[1].bias.cpu(), torch.zeros(3))
    net = ln.softmax_concise(4, 3, generator=torch.Generator("cuda").manual_seed(0))
    drawn = torch.empty(3, 4, device="cuda").normal_(
        0.0, 0.01, generator=torch.Generator("cuda").manual_seed(0)
    )
    assert net[1].weight.device.type == "cpu"
    torch.testing.assert_close(net[1].weight, drawn.cpu(), rtol=0, atol=0)


def test_an_array_loader_shuffles_with_a_cuda_generator() -> None:
    """The permutation is drawn on the generator's device: a CUDA one failed at the first batch
    (torch.randperm on the CPU, "Expected a 'cpu' device type for generator")."""
    from linearnets.data.loader import ArrayLoader

    X, y = torch.rand(10, 3), torch.arange(10)
    loader = ArrayLoader(
        X, y, 4, shuffle=True, generator=torch.Generator("cuda").manual_seed(0), device="cuda"
    )
    batches = list(loader)
    order = torch.randperm(10, generator=torch.Generator("cuda").manual_seed(0), device="cuda")
    assert all(X.is_cuda and y.is_cuda for X, y in batches)
    assert torch.cat([y for _, y in batches]).tolist() == order.tolist()


def test_cpu_totals_are_summed_over_an_nccl_group() -> None:
    """NCCL reduces CUDA tensors only: an epoch's totals (and, for batches that do not say their
    global size, each batch's size) were summed as CPU tensors, and every data-parallel run on
    NCCL failed at its first step ("No backend type associated with device type cpu")."""
    import socket

    import torch.distributed as dist

    from linearnets.training.distributed import DistContext

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    torch.cuda.set_device(0)
    dist.init_process_group("nccl", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)
    try:
        # a context of two over a group of one: each sum is this process's value alone
        context = DistContext(rank=0, world_size=2)
        t = torch.tensor([1.0, 2.0])
        assert context.all_reduce_sum(t) is t and t.tolist() == [1.0, 2.0]
        net = torch.nn.Linear(3, 2).cuda()
        batches = [(torch.rand(4, 3, device="cuda"), torch.tensor([0, 1, 0, 1], device="cuda"))]
        loss = torch.nn.CrossEntropyLoss(reduction="none")
        sgd = torch.optim.SGD(net.parameters(), lr=0.1)
        # the step counts are summed over NCCL too: 1 here, and so none on the missing rank
        with pytest.raises(UsageError, match=r"got 1 on rank 0, 0 on rank 1;"):
            train_epoch(net, batches, loss, sgd, dist=context)
        # batches without len() are not counted: the totals and each batch's size are summed
        train_loss, acc = train_epoch(net, iter(batches), loss, sgd, dist=context)
        assert train_loss > 0 and acc is not None
        _, acc = evaluate(net, iter(batches), dist=context)
        assert 0 <= acc <= 1
    finally:
        dist.destroy_process_group()


def test_cpu_labels_for_a_gpu_model_are_named() -> None:
    """Labels left on the CPU for a model on the GPU: torch's "Expected all tensors to be on the
    same device" from the metrics, the fused losses and torch's own losses, or, where the scratch
    cross_entropy's indexing took them, at the epoch's count."""
    import linearnets as ln
    from linearnets import d2l
    from linearnets.models.scratch import SoftmaxRegressionScratch

    y_hat, y = torch.rand(2, 3, device="cuda"), torch.tensor([0, 2])
    message = r"^y must be on the device of y_hat, cuda:0, got labels on cpu; move them with y\.to\('cuda:0'\)"
    with pytest.raises(UsageError, match=message):
        ln.accuracy(y_hat, y)
    with pytest.raises(UsageError, match=message):
        d2l.accuracy(y_hat, y)
    with pytest.raises(
        UsageError, match=r"^y must be on the device of the logits, cuda:0, got labels on cpu"
    ):
        ln.cross_entropy_logits(y_hat, y)
    net = SoftmaxRegressionScratch(4, 3, analytic=True).cuda()
    X = torch.rand(2, 4, device="cuda")
    with pytest.raises(UsageError, match=r"^y must be on the device of the logits, cuda:0"):
        net.analytic_step(X, y, scale=0.5)
    output = r"^y must be on the device of the model's output, cuda:0, got labels on cpu"
    scratch = SoftmaxRegressionScratch(4, 3).cuda()
    for model, loss in [
        (torch.nn.Linear(4, 3).cuda(), torch.nn.CrossEntropyLoss(reduction="none")),
        (scratch, lambda O, y: ln.cross_entropy(ln.softmax(O), y)),
    ]:
        before = [p.detach().clone() for p in model.parameters()]
        with pytest.raises(UsageError, match=output):
            ln.fit(model, [(X, y)], loss, torch.optim.SGD(model.parameters(), lr=0.1), 1)
        assert all(torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))
    with pytest.raises(UsageError, match=output):
        ln.evaluate_accuracy(scratch, [(X, y)])
    targets = r"^y must be on the device of the model's output, cuda:0, got targets on cpu"
    regression = torch.nn.Linear(4, 1).cuda()
    with pytest.raises(UsageError, match=targets):
        ln.fit(
            regression, [(X, torch.rand(2, 1))], torch.nn.MSELoss(),
            torch.optim.SGD(regression.parameters(), lr=0.1), 1,
        )  # fmt: skip


def test_to_tensor_keeps_a_gpu_image_on_the_gpu() -> None:
    """It was converted on the CPU and returned there, silently."""
    from linearnets.torchvision import transforms

    pixels = torch.arange(12, dtype=torch.uint8).reshape(3, 4)
    x = transforms.ToTensor()(pixels.cuda())
    assert x.is_cuda
    torch.testing.assert_close(x.cpu(), transforms.ToTensor()(pixels), rtol=0, atol=0)


def test_a_gpu_loader_gives_the_cpu_loader_pixels_exactly() -> None:
    """CUDA divided the uint8 pixels by 255 as a product with 1/255, one ulp off the CPU's
    quotients in a quarter of them: the same images trained from other inputs on a GPU."""
    from linearnets.data.loader import ArrayLoader

    X, y = torch.arange(256, dtype=torch.uint8).reshape(16, 16), torch.arange(16)
    on_cpu = ArrayLoader(X.reshape(16, 4, 4), y, 16, shuffle=False)
    on_gpu = ArrayLoader(X.reshape(16, 4, 4), y, 16, shuffle=False, device="cuda")
    (cpu_X, _), (gpu_X, _) = next(iter(on_cpu)), next(iter(on_gpu))
    assert gpu_X.is_cuda
    expected = (X.double() / 255).float().reshape(16, 1, 4, 4)
    assert torch.equal(cpu_X, expected) and torch.equal(gpu_X.cpu(), expected)


def test_the_animator_keeps_gpu_tensors_and_draws_their_numbers() -> None:
    """The book's add keeps what it is given (matplotlib alone cannot draw a CUDA tensor): the
    values stay on the GPU, the lines draw their numbers."""
    import numpy as np

    from linearnets.d2l import Animator

    animator = Animator(mode="none")
    loss = torch.tensor(0.5, device="cuda", requires_grad=True) * 1
    animator.add(1, (loss, torch.tensor(0.25, device="cuda")))
    animator.add(torch.tensor(2, device="cuda"), torch.tensor([0.125, 0.75], device="cuda"))
    assert animator.Y[0][0] is loss and all(v.is_cuda for line in animator.Y for v in line)
    assert animator.X[0][1].is_cuda
    np.testing.assert_array_equal(animator.lines[0].get_data(), [[1, 2], [0.5, 0.125]])
    np.testing.assert_array_equal(animator.lines[1].get_data(), [[1, 2], [0.25, 0.75]])
