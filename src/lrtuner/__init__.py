"""LRTuner: tune the learning rate of any PyTorch optimizer while it trains."""

from .config import TunerConfig
from .records import DecisionRecord, TunerStats
from .tuner import LRTuner

__all__ = ["DecisionRecord", "LRTuner", "TunerConfig", "TunerStats"]
__version__ = "0.17.0"
