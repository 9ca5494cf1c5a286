"""The shared package of the workbook *From feed-forward networks to LSTMs*.

Every notebook starts with

    from utils import set_seed, get_device
    rng = set_seed(0)

and then imports what it needs from the submodules:

- ``utils.data``      loaders for the shipped datasets in ``data/``
- ``utils.checks``    the check functions that grade each exercise
- ``utils.gradcheck`` finite-difference gradients and relative errors
- ``utils.train``     a small training loop that returns a history
- ``utils.plots``     plotting helpers; ``utils.diagrams`` draws the course's diagrams
"""

from .seed import set_seed
from .device import get_device

__all__ = ["set_seed", "get_device"]
__version__ = "0.1.0"
