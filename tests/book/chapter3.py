"""The book's chapter-3 code as printed, shared by the tests that run it: §3.2's data_iter, and
§3.6's code as text for the script and notebook tests (D2L §3.2, §3.6)."""

from __future__ import annotations

import random
from collections.abc import Iterator

import torch


def data_iter(
    batch_size: int, features: torch.Tensor, labels: torch.Tensor
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """D2L §3.2.2's ``data_iter``, as printed: a Python list of every index, shuffled by ``random``."""
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i : min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


# §3.6.2–3.6.4: softmax, the model and the cross-entropy loss, functions of the globals W and b
SOFTMAX_SCRATCH_FUNCTIONS = """
def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition

def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

def cross_entropy(y_hat, y):
    return - torch.log(y_hat[range(len(y_hat)), y])
"""

# §3.6.1–3.6.4: the data, the parameters, softmax, the model and the cross-entropy loss
SOFTMAX_SCRATCH_MODEL = (
    """
batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)

num_inputs = 784
num_outputs = 10
W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)
"""
    + SOFTMAX_SCRATCH_FUNCTIONS
)

# §3.6.6: the minibatch SGD updater
SOFTMAX_SCRATCH_UPDATER = """
lr = 0.1

def updater(batch_size):
    return d2l.sgd([W, b], lr, batch_size)
"""
