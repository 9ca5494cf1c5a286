"""Diagrams for this topic (filled in with its notebook)."""

__all__ = []
