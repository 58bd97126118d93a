"""The fairness suite: BBQ with the paper's bias scores, WinoBias's paired pro/anti gap, and counterfactual
fairness on any task.

Importing `assay.suites.fairness.tasks` registers the `bbq` and `winobias` tasks. Counterfactual swaps are
perturbations (`--perturb gender:female,gender:male`, see `assay.perturb`); their flip rates and per-group
accuracy are computed by `assay.perturb.fairness_metrics.counterfactual_results`. `assay run fairness`
runs bbq, and winobias with the gender swaps (every item carries a gendered pronoun).
"""
