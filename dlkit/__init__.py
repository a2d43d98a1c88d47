"""dlkit: the small helper package shared by the curriculum's notebooks.

Importing dlkit has no side effects: nothing is seeded, printed or downloaded.
Call :func:`dlkit.runtime.setup` at the top of a notebook to do that.
"""

from dlkit import data, exercises, plotting, runtime, training
from dlkit.runtime import scale, setup
from dlkit.training import fit

__all__ = ["data", "exercises", "fit", "plotting", "runtime", "scale", "setup", "training"]
__version__ = "0.1.0"
