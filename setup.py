"""Installation script for sktal."""
import os

from setuptools import find_packages, setup

HERE = os.path.abspath(os.path.dirname(__file__))


def _read_version():
    namespace = {}
    with open(os.path.join(HERE, "sktal", "_version.py")) as fh:
        exec(fh.read(), namespace)
    return namespace["__version__"]


def _read_readme():
    with open(os.path.join(HERE, "README.md"), encoding="utf-8") as fh:
        return fh.read()


EXTRAS = {
    "plot": ["matplotlib>=3.7"],
    "distributed": ["dask>=2024.1", "distributed>=2024.1"],
    "docs": ["sphinx>=7", "numpydoc>=1.6", "matplotlib>=3.7"],
}
EXTRAS["test"] = sorted(
    {"pytest>=7", "hypothesis>=6"}
    | set(EXTRAS["plot"])
    | set(EXTRAS["distributed"])
    | set(EXTRAS["docs"])
)

setup(
    name="sktal",
    version=_read_version(),
    description=(
        "scikit-learn-style weakly- and click-supervised temporal action "
        "localization (BaS-Net, BackTAL, TEN+BGES, FS-PTAL)"
    ),
    long_description=_read_readme(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["sktal", "sktal.*"]),
    python_requires=">=3.10",
    install_requires=[
        "torch",
        "scikit-learn>=1.4",
        "numpy",
        "scipy",
        "skorch",
        "joblib",
    ],
    extras_require=EXTRAS,
    entry_points={"console_scripts": ["sktal=sktal.__main__:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: BSD License",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
