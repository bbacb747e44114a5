"""End-to-end runs (build data, model and optimizer from a config, train, report): used by the CLI."""
