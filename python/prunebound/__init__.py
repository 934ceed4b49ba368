"""prunebound: prune, bound, certify and simulate neural-network policies
from NumPy and PyTorch, over the C library libprunebound (docs/PYTHON.md).
Every number comes from the C library; errors raise prunebound.Error with
the library's message."""

from ._lib import LIBRARY_PATH, Error
from .analysis import bound, certify, prune
from .policy import Policy
from .study import Results, config_text, montecarlo, read_results, run

__all__ = ["Error", "Policy", "Results", "bound", "certify", "config_text", "montecarlo",
           "prune", "read_results", "run", "LIBRARY_PATH"]
