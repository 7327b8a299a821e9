"""Deprecated: folded into ``run_methods.py --refinement`` (two-stage rows and the fully
supervised ceiling). Kept as a forwarder because tests and scripts outside the
benchmarks call it: it runs ``run_methods.py --refinement --ablations none ARGS``."""
import os
import runpy
import sys

sys.argv[1:1] = ["--refinement", "--ablations", "none"]
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "run_methods.py"),
               run_name="__main__")
