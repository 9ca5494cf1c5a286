"""Fixtures of tests/workbook/: ``graded``, a small toy class graded in one run and in shards
(defined in toy_class.py, shared by test_results.py and test_slurm.py)."""

from toy_class import graded  # noqa: F401  (a session fixture)
