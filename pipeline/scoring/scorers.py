"""Every registered scorer: importing this module registers the contract's five and the payer policies'."""
from pipeline.scoring import contract, payer  # noqa: F401  (registration)
from pipeline.scoring.registry import SCORERS

__all__ = ["SCORERS"]
