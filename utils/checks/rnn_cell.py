"""Checks for the exercises of the notebook (filled in with the notebook)."""

__all__ = []
