"""Plots of class activation sequences, detections and evaluation results.

matplotlib is an optional dependency (``pip install sktal[plot]``); it is imported
when a plot is drawn, so ``import sktal.plotting`` works without it. Every function
draws on ``ax`` when given (a new figure otherwise) and returns the axes.
"""
from ._evaluation import plot_error_analysis, plot_precision_recall
from ._timelines import plot_cas, plot_detections

__all__ = ["plot_cas", "plot_detections", "plot_error_analysis", "plot_precision_recall"]
