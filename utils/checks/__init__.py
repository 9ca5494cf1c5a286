"""Check functions, one module per notebook; every name is re-exported here.

    from utils.checks import check_rnn_step
    check_rnn_step(rnn_step)

The framework they all use (message style, comparisons) is in ``core``.
"""

from .core import Check, CheckFailure  # noqa: F401
from .feedforward import *  # noqa: F401,F403  01_feedforward
from .training_ffn import *  # noqa: F401,F403  02_training_ffn
from .sequences import *  # noqa: F401,F403  03_sequences
from .rnn_cell import *  # noqa: F401,F403  04_rnn_cell
from .bptt import *  # noqa: F401,F403  05_bptt
from .pos_tagging import *  # noqa: F401,F403  07_pos_tagging
from .lstm_cell import *  # noqa: F401,F403  09_lstm_cell
from .char_lm import *  # noqa: F401,F403  08_char_lm
from .long_range import *  # noqa: F401,F403  10_long_range
from .sentiment import *  # noqa: F401,F403  06_sentiment
from .seq2seq import *  # noqa: F401,F403  11_seq2seq
from .captioning import *  # noqa: F401,F403  12_captioning
