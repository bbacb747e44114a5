"""Datasets and iterators: synthetic regression data and Fashion-MNIST."""
