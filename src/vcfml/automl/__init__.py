"""AutoML for genotype data: search, the fitted pipeline, and its settings.

>>> from vcfml.automl import AutoMLSettings, run_automl
>>> result = run_automl(dataset, AutoMLSettings(metric="roc_auc", budget=60))
>>> result.test_metrics["roc_auc"]  # on held-out samples: the number to quote
>>> result.leaderboard, result.cv_metrics  # the search's scores: optimistic
>>> result.model.pipeline  # a scikit-learn Pipeline (align, screen, model)
"""

from vcfml.automl.model import FittedModel
from vcfml.automl.search import AutoMLResult, run_automl
from vcfml.automl.settings import AutoMLSettings, course_settings

__all__ = ["AutoMLResult", "AutoMLSettings", "FittedModel", "course_settings", "run_automl"]
