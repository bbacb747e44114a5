"""Training: the shared loop, callbacks, checkpoints and run folders."""
