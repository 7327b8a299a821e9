"""Preprocessing of ragged snippet features for use in a scikit-learn ``Pipeline``.

scikit-learn transformers expect one ``(n_samples, n_features)`` array; a localizer's
``X`` is a list of ``(T_i, D)`` videos of different lengths.
:class:`SnippetTransformer` bridges the two: it fits any transformer on the snippets of
all training videos and applies it to each video.  Pure NumPy and scikit-learn.
"""
from ._snippet import SnippetTransformer

__all__ = ["SnippetTransformer"]
