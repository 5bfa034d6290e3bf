"""scs-abstract: chart abstraction for permanent spinal cord stimulator reviews.

    import pipeline
    result = pipeline.review(notes_df, cases=None, policy=None)
    result.review, result.evidence, result.rejected, result.run

`review` and `ReviewResult` are loaded on first use, so that importing a light part of the package
(the command line's help, the report, the audit) does not load spaCy.
"""
from pipeline.about import __version__

__all__ = ["review", "ReviewResult", "__version__"]


def __getattr__(name: str):
    if name in ("review", "ReviewResult"):
        from pipeline.engines import memory

        return getattr(memory, name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
