"""The temporal action localizers: one estimator per paper."""
from ._basnet import BaSNet

__all__ = ["BaSNet"]
