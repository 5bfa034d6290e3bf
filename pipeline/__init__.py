"""scs-abstract: chart abstraction for permanent spinal cord stimulator reviews.

    import pipeline
    result = pipeline.review(notes_df, cases=None, policy=None)
    result.review, result.evidence, result.rejected, result.run
"""
__version__ = "0.1.0"

from .review import ReviewResult, review  # noqa: E402

__all__ = ["review", "ReviewResult", "__version__"]
