"""Training: fitting the fusion model on the live registers and reviewers' decisions.

Only the CLI imports this package; serving (the API, pages and the services they call)
never does. It reads the store and the review tables and writes versioned model files.
"""

from search_api.training.em import EMResult, monotone, run_em
from search_api.training.fit import FitError, FitResult, fit_from_store

__all__ = ["EMResult", "FitError", "FitResult", "fit_from_store", "monotone", "run_em"]
