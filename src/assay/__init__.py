"""assay: the empirical science of language models, with honest uncertainty."""

__version__ = "0.1.0"
