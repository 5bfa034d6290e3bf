"""The package's version: a leaf module, so anything may import it without loading the pipeline."""

__version__ = "0.1.0"
