"""Documentation written once: the common parameters of the localizers, and their
ablation tables as data.

:func:`fill_doc` writes the entries of the common parameters into a localizer's
docstring, each with the default of *that* class's signature, and only for the
parameters the class has. :func:`paper_tables_rst` renders a class's
``_paper_tables`` (the ablations of its paper, as data) for the documentation; the
benchmarks read the same rows with :func:`paper_table_rows`.

This module imports neither torch nor Sphinx.
"""
import inspect
import textwrap

#: common parameter -> (type, description); the default is read from each signature
COMMON_PARAMETERS = {
    "n_segments": ("int or None", """\
        Number of snippets every video is resampled to for training and prediction
        (THUMOS14: 750, ActivityNet: 100). ``None`` uses each video as it is; its
        training batches then hold videos of similar length (ranked by length with a
        random jitter of up to ``batch_size`` ranks, batches in random order, every
        video once per epoch) and a batch's forward pass runs as up to three
        sub-batches of similar length, so that little of the computation is
        padding."""),
    "resampling": ("{'interpolate', 'perturb'} or None", """\
        How a video becomes ``n_segments`` snippets: linear interpolation of the
        features (BackTAL) or one random snippet per stratum in training and the first
        one at prediction (BaS-Net's "random perturbation"). Clicks follow the same
        map; outputs are mapped back to the input's timesteps."""),
    "hidden_size": ("int", """\
        Width of the temporal convolutions (2048 in the papers)."""),
    "dropout": ("float", """\
        Dropout before the classifier."""),
    "topk_ratio": ("int", """\
        ``r`` of the top-k pooling: a video's class score is the mean of its
        ``max(1, T // r)`` highest snippet scores."""),
    "lr": ("float", """\
        Adam learning rate."""),
    "weight_decay": ("float", """\
        Adam weight decay."""),
    "batch_size": ("int", """\
        Videos per batch."""),
    "max_epochs": ("int", """\
        Passes over the training videos."""),
    "class_threshold": ("float", """\
        Classes whose video-level probability reaches it are localized."""),
    "class_fallback": ("{'argmax', None}", """\
        When no class reaches ``class_threshold``: ``'argmax'`` localizes the most
        probable class anyway (LACP's code), ``None`` detects nothing in that video
        (BaS-Net's and BackTAL's code)."""),
    "nms_threshold": ("float", """\
        tIoU above which a lower-scored detection of the same class is suppressed."""),
    "max_detections": ("int or None", """\
        Keep at most this many detections per video (the highest scores); ``None``
        keeps all."""),
    "tiou_thresholds": ("array-like of float or None", """\
        Thresholds averaged by :meth:`score`; ``None`` means 0.1, 0.2, ..., 0.7."""),
    "n_classes": ("int or None", """\
        Number of action classes. ``None`` infers it from ``y`` (the width of weak
        labels, or ``max class + 1`` of annotated segments); set it when a training
        fold may miss the last classes."""),
    "device": ("str", """\
        Torch device; ``'auto'`` is CUDA when available, else CPU."""),
    "random_state": ("int, RandomState instance or None", """\
        Seeds weight initialisation, batch order, dropout and random resampling.
        Torch's global random state is restored after ``fit``."""),
    "verbose": ("int", """\
        0: silent. 1: one line per epoch with every loss term, and a progress bar
        when an epoch has many batches. 2: progress bar always."""),
    "callbacks": ("list of skorch callbacks or None", """\
        Extra skorch callbacks (copied at each ``fit``)."""),
    "warm_start": ("bool", """\
        When ``True``, a second ``fit`` continues training the current network for
        ``max_epochs`` more epochs instead of starting anew."""),
    "on_interrupt": ("{'auto', 'warn', 'raise'}", """\
        What ``fit`` does after a ``KeyboardInterrupt`` (Ctrl-C) stopped training.
        The model is kept usable either way (``n_epochs_completed_`` says how far it
        got). ``'warn'``: ``fit`` returns with a ``UserWarning``. ``'raise'``: the
        interrupt propagates. ``'auto'``: ``'raise'`` when ``fit`` runs inside a
        scikit-learn model-selection routine such as ``GridSearchCV`` or
        ``cross_validate`` (a truncated fit must not be scored as a complete one),
        else ``'warn'``."""),
    "validation_fraction": ("float or None", """\
        Hold out this fraction of the training videos (a split seeded by
        ``random_state``; at least one video) and record their detection mAP after
        every epoch as ``valid_mAP`` in ``history_`` (the localization and metric of
        :meth:`score`), with ``valid_mAP_best``. Needs annotated ``y``. skorch's
        ``EarlyStopping(monitor='valid_mAP', lower_is_better=False)`` and
        ``Checkpoint(monitor='valid_mAP_best')`` then select on it. ``fit``'s
        ``validation_data`` gives an explicit validation set instead."""),
    "precision": ("{'32', 'bf16', '16-mixed'}", """\
        Arithmetic of the network's forward pass (training and prediction), through
        ``torch.autocast``: ``'32'`` float32; ``'bf16'`` bfloat16 autocast (CPU and
        recent GPUs); ``'16-mixed'`` float16 autocast with a gradient scaler (CUDA
        only). The losses are always computed in float32 from float32 copies of the
        outputs, so ``'32'`` is exactly the float32 computation."""),
    "progress": ("{'auto', 'bar', 'lines'} or None", """\
        Epoch-level progress while ``verbose=0`` (``verbose >= 1`` prints skorch's
        per-epoch table instead). ``'auto'``: nothing for fits expected to take
        under 5 seconds; otherwise one tqdm line with the ETA when standard error is
        a terminal or a notebook, and one plain line per epoch (no ANSI codes, no
        carriage returns) when it is not (log files, CI). ``'bar'`` and ``'lines'``
        force one style from the first epoch; ``None`` shows nothing. ``predict``
        shows its progress over chunks of 64 videos the same way (at any
        ``verbose``); the detections are the same with or without it."""),
}

#: fitted attribute -> (type, description), shared by every localizer
COMMON_ATTRIBUTES = {
    "classes_": ("ndarray of shape (n_classes,)", """\
        Class indices ``0 .. n_classes - 1``."""),
    "n_features_in_": ("int", """\
        Width ``D`` of the snippet features seen in ``fit``."""),
    "net_": ("skorch.NeuralNet", """\
        The skorch wrapper that trained the module."""),
    "module_": ("torch.nn.Module", """\
        The trained network."""),
    "history_": ("skorch.History", """\
        Per-epoch losses: ``train_loss`` and every named loss term."""),
    "n_epochs_completed_": ("int", """\
        Epochs of training the network has completed, over every ``fit`` of a warm
        start (fewer than asked when training was interrupted)."""),
    "interrupted_": ("bool", """\
        Whether the last ``fit`` was stopped by a ``KeyboardInterrupt``."""),
}

_INDENT = "    "


def _entry(name, type_, description, indent=_INDENT):
    """One numpydoc entry, ``name : type`` then the description indented below it."""
    body = textwrap.indent(textwrap.dedent(description).strip("\n"), indent * 2)
    return f"{indent}{name} : {type_}\n{body}\n"


def _documented_names(doc):
    """Parameter names a docstring documents itself: the entry lines of its Parameters
    section (``name : type``, ``a, b : type`` or a bare ``name``)."""
    lines = doc.expandtabs().splitlines()
    names = set()
    for i, line in enumerate(lines[:-1]):
        if line.strip() != "Parameters" or not set(lines[i + 1].strip()) == {"-"}:
            continue
        indent = len(line) - len(line.lstrip())
        for entry in lines[i + 2:]:
            if not entry.strip():
                continue
            depth = len(entry) - len(entry.lstrip())
            if depth < indent:
                break
            if depth > indent:
                continue  # a description line
            if entry.strip() and set(entry.strip()) == {"-"}:
                names.discard(last)  # the previous line was the next section's title
                break
            last = entry.strip()
            names.update(n.strip() for n in last.split(" :")[0].split(","))
        break
    return names


def signature_defaults(cls):
    """``{parameter: default}`` of ``cls.__init__`` (``inspect.Parameter.empty`` if none)."""
    init = cls.__init__
    if init is object.__init__:
        return {}
    params = inspect.signature(init).parameters.values()
    return {p.name: p.default for p in params
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def common_parameters_doc(cls, *, skip=()):
    """The entries of the common parameters ``cls`` has, in its signature's order.

    Each type ends with ``default=<repr of the signature's default>``. Parameters in
    ``skip`` (those the class documents itself) and parameters that are not common
    are left out; :func:`undocumented_parameters` finds what nobody documents.
    """
    lines = []
    for name, default in signature_defaults(cls).items():
        if name in skip or name not in COMMON_PARAMETERS:
            continue
        type_, description = COMMON_PARAMETERS[name]
        if default is not inspect.Parameter.empty:
            type_ = f"{type_}, default={default!r}"
        lines.append(_entry(name, type_, description))
    return "".join(lines)


def common_attributes_doc():
    """The entries of the fitted attributes every localizer has."""
    return "".join(_entry(name, *spec) for name, spec in COMMON_ATTRIBUTES.items())


def fill_doc(cls):
    """Write the common parameter and attribute entries into a localizer's docstring.

    The placeholder ``%(common_parameters)s`` becomes the entries of the common
    parameters in ``cls``'s signature, with ``cls``'s defaults; a parameter the
    docstring documents itself keeps its own entry. ``%(common_attributes)s`` becomes
    the entries of the fitted attributes. Use as a class decorator.

    Parameters
    ----------
    cls : type
        A class whose docstring holds the placeholders.

    Returns
    -------
    cls : type
        The same class, its ``__doc__`` filled in.

    Examples
    --------
    >>> from sktal._docs import fill_doc
    >>> @fill_doc
    ... class Tiny:
    ...     '''A tiny estimator.
    ...
    ...     Parameters
    ...     ----------
    ... %(common_parameters)s
    ...     '''
    ...     def __init__(self, lr=0.01, hidden_size=None):
    ...         self.lr = lr
    ...         self.hidden_size = hidden_size
    >>> print(Tiny.__doc__)  # doctest: +NORMALIZE_WHITESPACE
    A tiny estimator.
    <BLANKLINE>
        Parameters
        ----------
        lr : float, default=0.01
            Adam learning rate.
        hidden_size : int, default=None
            Width of the temporal convolutions (2048 in the papers).
    <BLANKLINE>
    """
    doc = cls.__doc__ or ""
    own = _documented_names(doc.replace("%(common_parameters)s", ""))
    cls.__doc__ = doc.replace(
        "%(common_parameters)s", common_parameters_doc(cls, skip=own)
    ).replace("%(common_attributes)s", common_attributes_doc())
    return cls


# ------------------------------------------------------------- paper tables
def paper_table_rows(cls, table):
    """The rows of one of ``cls._paper_tables``, checked against ``cls``'s parameters.

    Parameters
    ----------
    cls : type
        A localizer class with a ``_paper_tables`` attribute::

            {"Table 7": {"caption": str, "metric": str,
                         "rows": [(label, {parameter: value}, published_or_None)]}}

    table : str
        A key of ``cls._paper_tables``, e.g. ``'Table 7'``.

    Returns
    -------
    list of (str, dict, published)
        ``published`` is a number, a sequence of numbers (one per tIoU threshold) or
        ``None`` when the paper reports nothing for the row.

    Raises
    ------
    KeyError
        When ``cls`` has no such table.
    ValueError
        When a row is malformed or sets a parameter ``cls`` does not have.
    """
    tables = getattr(cls, "_paper_tables", None) or {}
    if table not in tables:
        raise KeyError(f"{cls.__name__} has no paper table {table!r}; it has "
                       f"{sorted(tables) or 'none'}")
    known = set(signature_defaults(cls))
    rows = []
    for i, row in enumerate(tables[table].get("rows", ())):
        if not (isinstance(row, (tuple, list)) and len(row) == 3
                and isinstance(row[0], str) and isinstance(row[1], dict)):
            raise ValueError(f"{cls.__name__}._paper_tables[{table!r}] row {i}: expected "
                             f"(label, {{parameter: value}}, published), got {row!r}")
        label, params, published = row
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"{cls.__name__}._paper_tables[{table!r}] row {i} ({label!r}): "
                             f"{cls.__name__} has no parameter {', '.join(unknown)}")
        rows.append((label, dict(params), published))
    return rows


def _published_text(published):
    if published is None:
        return "—"
    if isinstance(published, (list, tuple)):
        return " ".join(_published_text(v) for v in published)
    return f"{published:g}" if isinstance(published, float) else str(published)


def _params_text(params):
    if not params:
        return "defaults"
    return "``" + ", ".join(f"{k}={v!r}" for k, v in params.items()) + "``"


def paper_tables_rst(cls):
    """reStructuredText of every table in ``cls._paper_tables`` ('' when it has none).

    Each table is a rubric ``Paper <table>: <caption>`` and a list table of the rows:
    label, the parameters that reproduce it, and the published value.

    Examples
    --------
    >>> from sktal._docs import paper_tables_rst
    >>> class Method:
    ...     def __init__(self, lambda_sep=1.0):
    ...         self.lambda_sep = lambda_sep
    ...     _paper_tables = {"Table 7": {"caption": "modules", "metric": "mAP@0.5",
    ...                      "rows": [("no separation", {"lambda_sep": 0.0}, 35.8),
    ...                               ("full", {}, 36.3)]}}
    >>> print(paper_tables_rst(Method))
    .. rubric:: Paper Table 7: modules
    <BLANKLINE>
    .. list-table::
       :header-rows: 1
       :widths: 30 45 25
    <BLANKLINE>
       * - row
         - parameters
         - mAP\\@0.5 (paper)
       * - no separation
         - ``lambda_sep=0.0``
         - 35.8
       * - full
         - defaults
         - 36.3
    <BLANKLINE>
    """
    parts = []
    for table, spec in (getattr(cls, "_paper_tables", None) or {}).items():
        metric = str(spec.get("metric", "published")).replace("@", "\\@")
        lines = [f".. rubric:: Paper {table}: {spec.get('caption', '')}".rstrip(": "), "",
                 ".. list-table::", "   :header-rows: 1", "   :widths: 30 45 25", "",
                 "   * - row", "     - parameters", f"     - {metric} (paper)"]
        for label, params, published in paper_table_rows(cls, table):
            lines += [f"   * - {label}", f"     - {_params_text(params)}",
                      f"     - {_published_text(published)}"]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)
