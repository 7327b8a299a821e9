"""The temporal action localizers: one estimator per paper."""
from ._backtal import BackTAL
from ._basnet import BaSNet
from ._detector import SegmentDetector
from ._fsptal import FSPTAL
from ._ten import TEN

__all__ = ["BaSNet", "BackTAL", "FSPTAL", "TEN", "SegmentDetector"]
