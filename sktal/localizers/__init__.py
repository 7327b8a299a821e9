"""The temporal action localizers: one estimator per paper."""
from ._backtal import BackTAL
from ._basnet import BaSNet

__all__ = ["BaSNet", "BackTAL"]
