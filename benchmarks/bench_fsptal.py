"""Deprecated: folded into ``run_methods.py`` (FS-PTAL's Table 2 and, with
``--fidelity``, the ``fsptal-fidelity`` table; every row's mAP after each evaluated
epoch). Kept as a forwarder because the FSPTAL docstring cites it: it runs
``run_methods.py --ablations fsptal2[,fsptal-fidelity] ARGS``."""
import os
import runpy
import sys

tables = "fsptal2,fsptal-fidelity" if "--fidelity" in sys.argv else "fsptal2"
sys.argv[1:] = ["--ablations", tables] + [a for a in sys.argv[1:] if a != "--fidelity"]
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "run_methods.py"),
               run_name="__main__")
