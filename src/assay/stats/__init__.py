"""Statistics for evaluation results: pure numpy/scipy, no imports from the rest of assay."""

from assay.stats.estimate import Estimate, mean_estimate

__all__ = ["Estimate", "mean_estimate"]
