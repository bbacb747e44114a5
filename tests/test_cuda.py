"""The CUDA path: data moved to the GPU once, every implementation trains there like on the CPU.

Skipped on machines without a CUDA GPU (this project's CI has none); run wherever one is present.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from linearnets.config import SoftmaxConfig
from linearnets.errors import UsageError
from linearnets.tasks.softmax import prepare
from linearnets.training.loop import evaluate, train_epoch

pytestmark = [
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
    pytest.mark.skipif(
        not Path("/usr/share/datasets/fashion-mnist").is_dir(),
        reason="needs the real Fashion-MNIST",
    ),
]


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
