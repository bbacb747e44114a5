"""Models: from scratch (``models.scratch``) and concise (``models.concise``), one contract for both."""
