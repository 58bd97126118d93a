"""The fairness suite: BBQ with the paper's bias scores, and counterfactual fairness on any task.

Importing `assay.suites.fairness.tasks` registers the `bbq` task. Counterfactual swaps are perturbations
(`--perturb gender:female,gender:male`, see `assay.perturb`); their flip rates and per-group accuracy
are computed by `assay.perturb.fairness_metrics.counterfactual_results`.
"""
