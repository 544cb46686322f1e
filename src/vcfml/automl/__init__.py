"""AutoML for genotype data: search, the fitted pipeline, and its settings.

>>> from vcfml.automl import AutoMLSettings, run_automl
>>> result = run_automl(dataset, AutoMLSettings(metric="roc_auc", budget=60))
>>> result.test_metrics["roc_auc"]  # on held-out samples: the number to quote
>>> result.leaderboard, result.cv_metrics  # the search's scores: optimistic
>>> result.model.predict_proba(dataset)[:, 1]  # a scikit-learn classifier: P(case)
>>> result.model.pipeline_  # its fitted scikit-learn Pipeline (align, screen, model)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from vcfml.automl.settings import AutoMLSettings, course_settings

if TYPE_CHECKING:
    from vcfml.automl.model import FittedModel
    from vcfml.automl.search import AutoMLResult, run_automl

__all__ = ["AutoMLResult", "AutoMLSettings", "FittedModel", "course_settings", "run_automl"]

# The search engine (FLAML, LightGBM, and MLflow where installed) takes seconds to
# import; code that only needs the settings or the splits (the chapter 6 screen)
# should not pay for it, so these names load on first use (PEP 562).
_LAZY = {"AutoMLResult": "search", "run_automl": "search", "FittedModel": "model"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"vcfml.automl.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'vcfml.automl' has no attribute {name!r}")
