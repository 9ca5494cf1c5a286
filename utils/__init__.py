"""The shared package of the workbook *From feed-forward networks to LSTMs*.

Every notebook starts with

    from utils import set_seed
    rng = set_seed(0)

and then imports what it needs. What is where (everything a notebook calls):

- ``utils.seed``, ``utils.device``   ``set_seed`` (the one seeding helper) and ``get_device``
- ``utils.data``       loaders for the shipped datasets in ``data/``
- ``utils.synthetic``  seeded generators of the synthetic data (watch histories, ...)
- ``utils.checks``     the check functions that grade each exercise, one module per notebook
- ``utils.gradcheck``  finite-difference gradients and relative errors
- ``utils.train``      a small training loop (``fit``) that returns a history
- ``utils.plots``      plotting helpers; ``utils.diagrams`` draws the course's diagrams

``utils.workbook`` is the instructors' ``workbook`` command (build, execute, grade); a
learner never needs to open it, and nothing above imports it.
"""

from .seed import set_seed
from .device import get_device

__all__ = ["set_seed", "get_device"]
__version__ = "0.2.0"
