"""Statistics for evaluation results: pure numpy/scipy, no imports from the rest of assay.

Every statistic takes arrays and returns an `Estimate` (value, se, ci_low, ci_high, n, n_clusters, method)
or a small result object with named fields that prints as a table.
"""

from assay.stats.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha
from assay.stats.bootstrap import bootstrap, bootstrap_distribution
from assay.stats.calibration import CalibrationTest, brier_score, calibration_error, calibration_test
from assay.stats.clustered import ClusteredSE, clustered_se, design_effect
from assay.stats.epochs import EpochsResult, epochs_estimate
from assay.stats.estimate import Estimate, mean_estimate
from assay.stats.fairness import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
)
from assay.stats.gaps import paired_extreme
from assay.stats.intervals import binomial_interval, exact_coverage
from assay.stats.multiplicity import adjust_pvalues
from assay.stats.paired import McNemarResult, PairedResult, drop_difference, mcnemar, paired_difference
from assay.stats.power import minimum_detectable_effect, sample_size
from assay.stats.unpaired import UnpairedResult, unpaired_difference

__all__ = [
    "CalibrationTest",
    "ClusteredSE",
    "EpochsResult",
    "Estimate",
    "McNemarResult",
    "PairedResult",
    "UnpairedResult",
    "adjust_pvalues",
    "binomial_interval",
    "bootstrap",
    "bootstrap_distribution",
    "brier_score",
    "calibration_error",
    "calibration_test",
    "clustered_se",
    "cohen_kappa",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "design_effect",
    "drop_difference",
    "epochs_estimate",
    "equal_opportunity_difference",
    "equalized_odds_difference",
    "exact_coverage",
    "fleiss_kappa",
    "krippendorff_alpha",
    "mcnemar",
    "mean_estimate",
    "minimum_detectable_effect",
    "paired_difference",
    "paired_extreme",
    "sample_size",
    "unpaired_difference",
]
