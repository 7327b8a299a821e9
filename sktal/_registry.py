"""The localizer registry: the one table of sktal's estimators (importing it is torch-free).

Everything that lists the localizers derives from :data:`LOCALIZERS`: the names of
:mod:`sktal` and :mod:`sktal.localizers`, :func:`sktal.save`/:func:`sktal.load`, the
command line's ``--method``, the common tests and the benchmark scripts. Adding a
method is one file, one line here and a docs page; a class registered at run time
with :func:`register_localizer` (a test's toy localizer, a plug-in) is seen by all of
them too.
"""
import contextlib
import importlib

#: class name -> module defining it, in the order the documentation and the benchmarks
#: list the methods (video labels only first, then the click-supervised ones)
LOCALIZERS = {
    "BaSNet": "sktal.localizers._basnet",
    "TEN": "sktal.localizers._ten",
    "BackTAL": "sktal.localizers._backtal",
    "FSPTAL": "sktal.localizers._fsptal",
    "SegmentDetector": "sktal.localizers._detector",
}

#: the values a localizer's ``supervision`` class attribute may take
SUPERVISIONS = (None, "background", "action", "segments")

#: ``supervision`` -> the ``kind`` of :func:`sktal.datasets.simulate_clicks` giving the
#: clicks it learns from (methods learning from video labels or segments need none)
_CLICK_KINDS = {"background": "background", "action": "action"}

_registered = {}  # name -> class, added at run time by register_localizer


def localizer_names():
    """Names of every localizer: the table's, then those registered at run time.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from sktal._registry import localizer_names
    >>> localizer_names()[:4]
    ['BaSNet', 'TEN', 'BackTAL', 'FSPTAL']
    """
    return [*LOCALIZERS, *_registered]


def get_localizer(name):
    """The localizer class called ``name`` (this imports torch).

    Parameters
    ----------
    name : str
        A class name of :func:`localizer_names`, e.g. ``'BackTAL'``.

    Returns
    -------
    type

    Raises
    ------
    KeyError
        When no localizer has that name; the message lists the known ones.
    """
    if name in _registered:
        return _registered[name]
    if name not in LOCALIZERS:
        raise KeyError(f"no localizer called {name!r}; known: {', '.join(localizer_names())}")
    return getattr(importlib.import_module(LOCALIZERS[name]), name)


def all_localizers(supervision="all"):
    """Every localizer class, as scikit-learn's ``all_estimators`` lists estimators.

    Parameters
    ----------
    supervision : 'all', None, str or list, default='all'
        Keep only the localizers whose ``supervision`` attribute is this value (or one
        of these values): ``None`` (video labels only), ``'background'``,
        ``'action'`` or ``'segments'``. ``'all'`` keeps every localizer.

    Returns
    -------
    list of (str, type)
        ``(name, class)`` pairs sorted by name.

    Examples
    --------
    >>> from sktal._registry import all_localizers
    >>> [name for name, _ in all_localizers(supervision=["background", "action"])]
    ['BackTAL', 'FSPTAL']
    """
    if isinstance(supervision, (list, tuple, set)):
        wanted = set(supervision)
    elif supervision == "all":
        wanted = set(SUPERVISIONS)
    else:
        wanted = {supervision}
    unknown = wanted - set(SUPERVISIONS)
    if unknown:
        raise ValueError(f"supervision must be 'all' or among {SUPERVISIONS}, got "
                         f"{sorted(map(repr, unknown))}")
    pairs = [(name, get_localizer(name)) for name in localizer_names()]
    return sorted((p for p in pairs if p[1].supervision in wanted), key=lambda p: p[0])


def click_kind(estimator):
    """The clicks a localizer learns from, as ``simulate_clicks``'s ``kind``, or None.

    Parameters
    ----------
    estimator : localizer class or instance

    Returns
    -------
    {'background', 'action'} or None
        ``None`` for methods that learn from video labels or annotated segments.
    """
    return _CLICK_KINDS.get(estimator.supervision)


def register_localizer(cls):
    """Add a localizer class to the registry (usable as a class decorator).

    The class is then listed by :func:`all_localizers`, run through the common tests,
    offered by the command line and accepted by :func:`sktal.save`/:func:`sktal.load`
    in this process. Use :func:`registered` to add it for a block only.

    Parameters
    ----------
    cls : type
        A subclass of :class:`sktal.BaseLocalizer` whose ``supervision`` is one of
        :data:`SUPERVISIONS`; its name must not be taken.

    Returns
    -------
    cls : type
        The class, unchanged.
    """
    from .base import BaseLocalizer

    if not (isinstance(cls, type) and issubclass(cls, BaseLocalizer)):
        raise TypeError(f"register_localizer: {cls!r} is not a BaseLocalizer subclass")
    if cls.supervision not in SUPERVISIONS:
        raise ValueError(f"register_localizer: {cls.__name__}.supervision must be one of "
                         f"{SUPERVISIONS}, got {cls.supervision!r}")
    name = cls.__name__
    if name in LOCALIZERS or _registered.get(name, cls) is not cls:
        raise ValueError(f"register_localizer: a localizer called {name!r} exists already")
    _registered[name] = cls
    return cls


def unregister_localizer(cls):
    """Remove a class added by :func:`register_localizer`."""
    if _registered.get(cls.__name__) is not cls:
        raise ValueError(f"unregister_localizer: {cls.__name__} was not registered")
    del _registered[cls.__name__]


@contextlib.contextmanager
def registered(cls):
    """Register ``cls`` for the duration of a ``with`` block.

    Examples
    --------
    >>> from sktal._registry import localizer_names, registered
    >>> from sktal.localizers import BaSNet
    >>> class MyBaSNet(BaSNet):
    ...     pass
    >>> with registered(MyBaSNet):
    ...     "MyBaSNet" in localizer_names()
    True
    >>> "MyBaSNet" in localizer_names()
    False
    """
    register_localizer(cls)
    try:
        yield cls
    finally:
        unregister_localizer(cls)
