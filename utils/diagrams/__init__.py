"""Diagrams drawn by code, so they stay consistent across notebooks and easy to edit.

One module per topic; every public name is re-exported here:

    from utils.diagrams import draw_ffn
    draw_ffn([4, 5, 3]); plt.show()

The shared drawing primitives (boxes, arrows, the course's colours) are in ``core``.
"""

from .core import *  # noqa: F401,F403
from .ffn import *  # noqa: F401,F403
from .sequences import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .bptt import *  # noqa: F401,F403
from .tagging import *  # noqa: F401,F403
from .lstm import *  # noqa: F401,F403
from .char_lm import *  # noqa: F401,F403
from .text import *  # noqa: F401,F403
from .seq2seq import *  # noqa: F401,F403
