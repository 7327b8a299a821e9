"""The shared base of every sktal localizer.

:class:`BaseLocalizer` does everything that is not specific to a paper: validating
ragged inputs, resampling videos to a fixed number of snippets (and mapping clicks and
outputs through the same map), training the method's torch module with skorch,
localization (CAS -> detections) and scoring. A method subclass supplies its network,
its criterion and how its outputs become localization scores.
"""
import contextlib
import copy
import numbers
from collections.abc import Mapping
import sys
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, PassthroughScoring, ProgressBar
from skorch.dataset import unpack_data
from skorch.utils import to_tensor

from . import _resampling
from ._docs import fill_doc  # noqa: F401  (the method files import it from here)
from .metrics import DEFAULT_TIOU_THRESHOLDS, detection_map
from ._data import (DeviceVideos, PositionDataset, chunking_for, collate_positions,
                    length_chunks, training_loader)
from .postprocessing import cas_to_detections
from .utils.validation import (
    check_clicks,
    check_labels,
    check_param,
    check_segments,
    check_tiou_thresholds,
    check_videos,
    is_annotated,
    segments_to_labels,
)

_MODEL_SELECTION_MODULES = ("sklearn.model_selection", "sklearn.utils.parallel")


def _inside_model_selection():
    """Whether a scikit-learn model-selection routine is on the call stack."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith(_MODEL_SELECTION_MODULES):
            return True
        frame = frame.f_back
    return False


def _same_value(a, b):
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    try:
        return bool(np.array_equal(a, b)) if isinstance(a, np.ndarray) else bool(a == b)
    except (TypeError, ValueError):
        return False


class _LocalizerNet(NeuralNet):
    """skorch net whose criterion returns named loss terms.

    The criterion maps ``(outputs, targets)`` to a dict with the total ``"loss"`` and
    each term; the terms are recorded per batch and averaged per epoch by
    :class:`~skorch.callbacks.PassthroughScoring`, so they appear in ``history``.
    """

    #: set by ``BaseLocalizer._make_net``: '32', 'bf16' or '16-mixed'
    sktal_precision_ = "32"
    #: a ``torch.amp.GradScaler`` for '16-mixed', else None
    sktal_scaler_ = None

    def autocast(self):
        """The autocast context of the module's forward at ``sktal_precision_``."""
        if self.sktal_precision_ == "32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.sktal_precision_ == "bf16" else torch.float16
        return torch.autocast(device_type=torch.device(self.device).type, dtype=dtype)

    #: set by ``BaseLocalizer.fit`` for the duration of training: the
    #: :class:`~sktal._data.DeviceVideos` the batches' rows are gathered from
    sktal_source_ = None

    def batch_inputs(self, x):
        """The module's inputs of a batch: a batch of positions (training) becomes
        its rows, gathered and interpolated in torch (in the transposed layout of a
        contiguous (B, D, T) tensor for a module whose ``channels_first_input`` is
        True: one whose first operation on them is a convolution)."""
        if isinstance(x, Mapping) and "positions" in x:
            mask = x["mask"].to(self.device)
            channels_first = getattr(self.module_, "channels_first_input", False)
            x = {"x": self.sktal_source_.rows(x["index"], x["positions"], mask,
                                              channels_first=channels_first),
                 "mask": mask}
        return x

    #: False once a module's outputs could not be put back together from sub-batches
    #: (see ``_chunked_infer``); the whole padded batch then runs at once
    sktal_chunked_ = True

    def infer(self, x, **fit_params):
        if self.sktal_chunked_ and isinstance(x, Mapping) and "positions" in x:
            chunks = length_chunks(x["mask"].sum(1).tolist(), **chunking_for(self.module_))
            if chunks is not None:
                outputs = self._chunked_infer(x, chunks, **fit_params)
                if outputs is not None:
                    return outputs
                self.sktal_chunked_ = False
        return self._infer_batch(x, **fit_params)

    def _infer_batch(self, x, **fit_params):
        """The module's outputs of one batch as ``fit`` collates it."""
        with self.autocast():
            return super().infer(self.batch_inputs(x), **fit_params)

    def _chunked_infer(self, x, chunks, **fit_params):
        """The module's outputs of a padded training batch, run as sub-batches of
        similar length (:func:`~sktal._data.length_chunks`), each padded to its own
        longest video only; the per-step outputs are zero-padded back to the batch's
        length and everything is put back in batch order, so the criterion sees the
        batch as one. Equal to one pass over the whole batch because a video's
        outputs do not depend on the padding (``tests/test_bucketing.py``); dropout
        draws differ. ``None`` when an output is neither per step (``(b, T_c, ...)``
        in every sub-batch) nor of one shape per video."""
        parts, steps = [], []
        for chunk in chunks:
            rows = torch.from_numpy(np.ascontiguousarray(chunk))
            width = int(x["mask"][rows].sum(1).max())
            part = {"index": x["index"][rows], "positions": x["positions"][rows, :width],
                    "mask": x["mask"][rows, :width]}
            parts.append(self._infer_batch(part, **fit_params))
            steps.append(width)
        longest = x["mask"].shape[1]
        order = torch.from_numpy(np.argsort(np.concatenate(chunks), kind="stable"))
        outputs = {}
        for key in parts[0]:
            values = [p[key] for p in parts]
            if not all(torch.is_tensor(v) for v in values):
                return None
            if all(v.dim() >= 2 and v.shape[1] == t for v, t in zip(values, steps)):
                values = [torch.nn.functional.pad(v, (0, 0) * (v.dim() - 2)
                                                  + (0, longest - t))
                          for v, t in zip(values, steps)]
            elif any(v.shape[1:] != values[0].shape[1:] for v in values):
                return None
            joined = torch.cat(values)
            outputs[key] = joined.index_select(0, order.to(joined.device))
        return outputs

    def _set_training(self, training=True):
        # skorch calls this on every batch; ``Module.train`` walks and re-sets every
        # submodule (about 0.5 ms a batch at the small benchmark size), so it runs
        # only when some submodule is in the other mode (the same end state)
        for module_name in self._modules + self._criteria:
            module = getattr(self, module_name + "_")
            if isinstance(module, torch.nn.Module) and any(
                    m.training != training for m in module.modules()):
                module.train(training)

    def train_step_single(self, batch, **fit_params):
        if self.sktal_scaler_ is None:
            return super().train_step_single(batch, **fit_params)
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        self.sktal_scaler_.scale(loss).backward()
        return {"loss": loss, "y_pred": y_pred}

    def _step_optimizer(self, step_fn):
        if self.sktal_scaler_ is None:
            return super()._step_optimizer(step_fn)
        step_fn()
        self.sktal_scaler_.step(self.optimizer_)
        self.sktal_scaler_.update()

    def get_loss(self, y_pred, y_true, X=None, training=False):
        # the criterion runs outside autocast on float32 outputs (identity at '32')
        if isinstance(y_pred, Mapping):
            y_pred = {
                k: v.float() if torch.is_tensor(v) and v.is_floating_point() else v
                for k, v in y_pred.items()
            }
        targets = to_tensor(y_true, device=self.device)
        losses = self.criterion_(y_pred, targets)
        if training:
            for name, value in losses.items():
                if name != "loss":
                    self.history.record_batch(name, float(value.detach()))
        return losses["loss"]

    def fit_loop(self, X, y=None, **fit_params):
        # skorch's partial_fit swallows KeyboardInterrupt; remember that it happened
        # (EarlyStopping raises one too: that is a normal end, not an interrupt)
        self.sktal_interrupted_ = False
        try:
            return super().fit_loop(X, y, **fit_params)
        except KeyboardInterrupt:
            self.sktal_interrupted_ = not any(
                isinstance(cb, EarlyStopping)
                and getattr(cb, "misses_", 0) >= cb.patience
                for _, cb in self.callbacks_
            )
            raise


class _ValidationMAP(Callback):
    """Records ``valid_mAP`` (and ``valid_mAP_best``) of held-out videos per epoch.

    ``fit`` sets ``estimator`` and ``data = (videos, segments)`` before training and
    the callback forgets both at the end, so a fitted model does not carry them.
    """

    def __init__(self):
        self.estimator = None
        self.data = None

    def initialize(self):
        self.best_ = -np.inf
        return self

    def on_epoch_end(self, net, **kwargs):
        if self.data is None:
            return
        value = self.estimator._mean_map(*self.data)
        net.history.record("valid_mAP", value)
        is_best = value > self.best_
        self.best_ = max(self.best_, value)
        net.history.record("valid_mAP_best", bool(is_best))

    def on_train_end(self, net, **kwargs):
        self.estimator = None
        self.data = None


#: ``progress='auto'`` shows nothing for fits expected to finish sooner (seconds)
PROGRESS_AFTER_S = 5.0

#: ``predict`` works, and shows its progress, over chunks of this many videos
PREDICT_CHUNK = 64


def _interactive(stream):
    if "ipykernel" in sys.modules:
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class _Progress:
    """Progress over ``total`` steps of ``unit`` on stderr, ``style`` as the
    ``progress`` parameter: a tqdm bar or plain lines, ``'auto'`` only once the run
    looks longer than :data:`PROGRESS_AFTER_S`, ``None`` nothing."""

    def __init__(self, style, name, total, unit):
        import time

        self.style, self.name, self.total, self.unit = style, name, total, unit
        self.start, self.done, self.bar = time.perf_counter(), 0, None
        self.shown = style in ("bar", "lines")

    def update(self, n=1, **postfix):
        import time

        self.done += n
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.done * max(self.total - self.done, 0)
        if self.style is None or not self.shown and elapsed + eta < PROGRESS_AFTER_S:
            return
        self.shown = True
        style = self.style
        if style == "auto":
            style = "bar" if _interactive(sys.stderr) else "lines"
        if style == "bar":
            if self.bar is None:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=self.total, initial=self.done - n,
                                desc=self.name, unit=self.unit, file=sys.stderr)
            self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(n)
        else:
            print(
                f"{self.name}: {self.unit} {self.done}/{self.total}"
                + "".join(f", {k} {v}" for k, v in postfix.items())
                + f", {elapsed:.1f} s elapsed, ETA {eta:.1f} s",
                file=sys.stderr,
                flush=True,
            )

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class _EpochProgress(Callback):
    """Epoch-level progress of one ``fit`` (:class:`_Progress`)."""

    def __init__(self, style, name):
        self.style = style
        self.name = name

    def on_train_begin(self, net, **kwargs):
        self.display_ = _Progress(self.style, self.name, net.max_epochs, "epoch")

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1].get("train_loss", float("nan"))
        self.display_.update(train_loss=f"{loss:.4f}")

    def on_train_end(self, net, **kwargs):
        if getattr(self, "display_", None) is not None:
            self.display_.close()


class BaseLocalizer(BaseEstimator):
    """Base class of the temporal action localizers.

    Subclasses implement :meth:`_build_module`, :meth:`_build_criterion` and
    :meth:`_localization_scores`, list their loss terms in ``_loss_names``, and may
    override :meth:`_check_fit_clicks`, :meth:`_training_positions`,
    :meth:`_postprocess_params`, :meth:`_detections` and :meth:`_extra_callbacks`.
    Everything else — input
    validation, resampling, training, prediction, scoring — lives here.
    """

    #: the supervision ``fit`` uses besides video labels: ``None``, ``"background"``
    #: (background clicks), ``"action"`` (action clicks / points) or ``"segments"``
    #: (annotated instances, full supervision)
    supervision = None

    #: names of the loss terms the criterion returns besides ``"loss"``
    _loss_names = ()

    #: parameters a warm-started ``fit`` may see changed (they do not shape the
    #: network, the criterion or the optimizer); a change of any other parameter
    #: since the network was built makes a warm ``fit`` raise
    _warm_start_free_params = (
        "max_epochs", "verbose", "warm_start", "random_state", "class_threshold",
        "class_fallback", "nms_threshold", "max_detections", "tiou_thresholds",
        "on_interrupt", "validation_fraction", "precision", "progress",
    )

    #: parameter checks run at ``fit``: name -> kwargs of ``check_param`` (not scikit-learn's
    #: ``_parameter_constraints`` format, hence another name)
    _param_checks = {
        "n_segments": dict(kind=numbers.Integral, low=1, allow_none=True),
        "resampling": dict(options=("interpolate", "perturb", None)),
        "hidden_size": dict(kind=numbers.Integral, low=1),
        "dropout": dict(kind=numbers.Real, low=0, high=1, include_high=False),
        "topk_ratio": dict(kind=numbers.Integral, low=1),
        "lr": dict(kind=numbers.Real, low=0, include_low=False),
        "weight_decay": dict(kind=numbers.Real, low=0),
        "batch_size": dict(kind=numbers.Integral, low=1),
        "max_epochs": dict(kind=numbers.Integral, low=0),
        "class_threshold": dict(kind=numbers.Real, low=0, high=1),
        "nms_threshold": dict(kind=numbers.Real, low=0, high=1),
        "class_fallback": dict(options=("argmax", None)),
        "max_detections": dict(kind=numbers.Integral, low=1, allow_none=True),
        "n_classes": dict(kind=numbers.Integral, low=1, allow_none=True),
        "verbose": dict(kind=numbers.Integral, low=0),
        "warm_start": dict(kind=(bool, np.bool_)),
        "on_interrupt": dict(options=("auto", "warn", "raise")),
        "precision": dict(options=("32", "bf16", "16-mixed")),
        "progress": dict(options=("auto", "bar", "lines", None)),
        "validation_fraction": dict(
            kind=numbers.Real, low=0, high=1, include_low=False, include_high=False,
            allow_none=True,
        ),
    }

    # ------------------------------------------------------------------ hooks
    def _build_module(self, n_features, n_classes):
        """Return the method's ``torch.nn.Module``.

        Its ``forward(x, mask)`` takes features (B, T, D) and a validity mask (B, T)
        and returns a dict of tensors.
        """
        raise NotImplementedError

    def _build_criterion(self, n_classes):
        """Return a module mapping ``(outputs, targets)`` to a dict of loss terms."""
        raise NotImplementedError

    def _localization_scores(self, outputs):
        """Turn module outputs (eval mode) into localization inputs.

        Returns a dict with ``cas`` (B, T, C) snippet scores in [0, 1],
        ``video_scores`` (B, C) class probabilities and optionally ``agnostic``
        (B, T) class-agnostic actionness.
        """
        raise NotImplementedError

    def _check_fit_clicks(self, clicks, labels):
        """Method-specific requirements on the training clicks (raise ValueError)."""

    def _training_positions(self, index, length, clicks, rng):
        """Source positions of the training snippets of video ``index``."""
        return _resampling.source_positions(
            length, self.n_segments, self.resampling, training=True, rng=rng
        )

    def _postprocess_params(self):
        """Keyword arguments for :func:`sktal.postprocessing.cas_to_detections`."""
        return {}

    def _extra_callbacks(self):
        """skorch callbacks the method needs (e.g. a learning-rate schedule)."""
        return []

    def _extra_validation(self):
        """Checks of method parameters beyond ``_param_checks``."""

    # ------------------------------------------------------------- training
    def _validate_params(self):
        constraints = {}
        for klass in reversed(type(self).__mro__):
            constraints.update(getattr(klass, "_param_checks", {}))
        params = self.get_params(deep=False)
        for name, spec in constraints.items():
            if name in params:
                check_param(name, params[name], **spec)
        if self.tiou_thresholds is not None:
            check_tiou_thresholds(self.tiou_thresholds)
        if self.callbacks is not None and not isinstance(self.callbacks, (list, tuple)):
            raise TypeError(
                f"callbacks must be a list of skorch callbacks or None, got "
                f"{type(self.callbacks).__name__}"
            )
        if not isinstance(self.device, str) and not isinstance(self.device, torch.device):
            raise TypeError(f"device must be a string such as 'cpu', got {self.device!r}")
        if str(self.device) != "auto":
            try:
                device = torch.device(str(self.device))
            except (RuntimeError, ValueError):
                raise ValueError(
                    f"device={self.device!r} is not a torch device; use 'auto', 'cpu', "
                    "'cuda' or 'cuda:N'"
                ) from None
            if device.type == "cuda" and not torch.cuda.is_available():
                raise ValueError(
                    f"device={self.device!r} but CUDA is not available here "
                    f"(torch {torch.__version__}); use device='auto' or 'cpu'"
                )
            if device.type not in ("cpu", "cuda", "mps"):
                raise ValueError(
                    f"device={self.device!r}: sktal supports 'cpu' and 'cuda' devices"
                )
        if self.precision == "16-mixed" and not self._resolve_device().startswith("cuda"):
            raise ValueError(
                "precision='16-mixed' needs a CUDA device (float16 with a gradient "
                f"scaler); on {self._resolve_device()!r} use precision='bf16' or '32'"
            )
        self._extra_validation()

    def _resolve_device(self):
        if str(self.device) == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        return str(self.device)

    def _prepare_targets(self, y, videos):
        n_videos = len(videos)
        if is_annotated(y):
            segments = check_segments(
                y, n_videos, n_classes=self.n_classes, name="y"
            )
            if self.n_classes is not None:
                n_classes = self.n_classes
            else:
                found = [s[:, 2].max() for s in segments if len(s)]
                if not found:
                    raise ValueError(
                        "y: no video has a ground-truth segment, so the number of "
                        "classes cannot be inferred; pass n_classes"
                    )
                n_classes = int(max(found)) + 1
            return segments_to_labels(segments, n_classes)
        return check_labels(y, n_videos, n_classes=self.n_classes, name="y")

    def _make_net(self, n_features, n_classes, device, n_batches):
        callbacks = [
            (name, PassthroughScoring(name=name, on_train=True))
            for name in self._loss_names
        ]
        callbacks += list(self._extra_callbacks())
        callbacks.append(("valid_mAP", _ValidationMAP()))
        if self.verbose == 0 and self.progress is not None:
            callbacks.append(
                ("epoch_progress", _EpochProgress(self.progress, type(self).__name__))
            )
        if self.verbose >= 2 or (self.verbose >= 1 and n_batches >= 10):
            callbacks.append(("progress", ProgressBar()))
        for i, cb in enumerate(self.callbacks or []):
            cb = copy.deepcopy(cb)
            callbacks.append(cb if isinstance(cb, tuple) else (f"user_{i}", cb))
        net = _LocalizerNet(
            module=self._build_module(n_features, n_classes),
            criterion=self._build_criterion(n_classes),
            optimizer=torch.optim.Adam,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=None,
            iterator_train=training_loader,
            iterator_train__shuffle=True,
            iterator_train__collate_fn=collate_positions,
            iterator_valid__collate_fn=collate_positions,
            callbacks=callbacks,
            device=device,
            verbose=self.verbose,
        )
        net.sktal_precision_ = self.precision
        if self.precision == "16-mixed":
            net.sktal_scaler_ = torch.amp.GradScaler("cuda")
        return net

    def fit(self, X, y, clicks=None, *, validation_data=None):
        """Train the localizer.

        Parameters
        ----------
        X : sequence of ndarray of shape (T_i, D)
            Snippet features of each video.
        y : ndarray of shape (n_videos, n_classes) or sequence of (m_i, 3) arrays
            Video-level 0/1 labels, or annotated segments ``[start, end, class]`` of
            which only the video-level labels are used (training is identical
            whatever the boundaries are).
        clicks : sequence of ndarray of shape (k_i, 2) or None, default=None
            ``[t, label]`` clicks per video: ``label = -1`` (:data:`sktal.BACKGROUND`)
            for a background click, a class of the video for an action click. Empty
            arrays are allowed. Methods that learn from video labels only ignore them.
        validation_data : tuple ``(X_valid, segments_valid)`` or None, default=None
            Videos and their annotated segments scored after every epoch
            (``valid_mAP`` in ``history_``); exclusive with ``validation_fraction``.
            A third element (clicks) is accepted and ignored.

        Returns
        -------
        self : object
            The fitted localizer.

        Notes
        -----
        A ``KeyboardInterrupt`` (Ctrl-C) during training stops it after the current
        batch; the incomplete epoch is dropped from ``history_``, the model stays
        usable (``predict``, :func:`sktal.save`), ``n_epochs_completed_`` and
        ``interrupted_`` record it, and ``on_interrupt`` decides between a
        ``UserWarning`` and re-raising (by default: re-raise inside scikit-learn's
        model selection, so a search stops instead of scoring a truncated model).
        ``EarlyStopping`` ending training is not an interrupt.
        """
        self._validate_params()
        if validation_data is not None and self.validation_fraction is not None:
            raise ValueError("pass validation_data or set validation_fraction, not both")
        videos = check_videos(X)
        n_features = videos[0].shape[1]
        labels = self._prepare_targets(y, videos)
        n_classes = labels.shape[1]
        lengths = [len(v) for v in videos]
        clicks = check_clicks(clicks, lengths, labels=labels)
        valid = None
        if self.validation_fraction is not None:
            if not is_annotated(y):
                raise ValueError(
                    "validation_fraction needs annotated y ([start, end, class] "
                    "segments per video) to compute the validation mAP"
                )
            segments = check_segments(y, len(videos), n_classes=n_classes, name="y")
            n_valid = max(1, int(round(self.validation_fraction * len(videos))))
            if n_valid >= len(videos):
                raise ValueError(
                    f"validation_fraction={self.validation_fraction} leaves no training "
                    f"video out of {len(videos)}"
                )
            split_seed = check_random_state(self.random_state).randint(
                np.iinfo(np.int32).max
            )
            order = np.random.default_rng([split_seed, 1]).permutation(len(videos))
            held, kept = np.sort(order[:n_valid]), np.sort(order[n_valid:])
            valid = ([videos[i] for i in held], [segments[i] for i in held])
            videos = [videos[i] for i in kept]
            labels = labels[kept]
            clicks = [clicks[i] for i in kept]
            lengths = [lengths[i] for i in kept]
        elif validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise TypeError(
                    "validation_data must be a tuple (X_valid, segments_valid[, clicks])"
                )
            valid_videos = check_videos(validation_data[0], n_features=n_features)
            valid = (
                valid_videos,
                check_segments(validation_data[1], len(valid_videos),
                               n_classes=n_classes, name="validation_data[1]"),
            )
        self._check_fit_clicks(clicks, labels)
        self._warn_degenerate(labels)

        warm = self.warm_start and hasattr(self, "net_")
        if warm:
            self._check_warm_start_params()
        if warm and (n_features != self.n_features_in_ or n_classes != len(self.classes_)):
            raise ValueError(
                "warm_start: X has {} features and y {} classes, but the fitted model "
                "has {} and {}".format(
                    n_features, n_classes, self.n_features_in_, len(self.classes_)
                )
            )
        device = self._resolve_device()
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        rng = np.random.default_rng(seed)
        steps = [_resampling.n_steps(n, self.n_segments, self.resampling) for n in lengths]
        dataset = PositionDataset(
            lengths, labels, clicks, self._training_positions, n_classes, rng, steps=steps
        )
        fork_devices = [torch.cuda.current_device()] if device.startswith("cuda") else []
        with torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(seed)
            if not warm:
                n_batches = -(-len(videos) // self.batch_size)
                self._initialize(n_features, n_classes, device, n_batches)
            self.net_.sktal_precision_ = self.precision
            self.__dict__.pop("n_epochs_completed_", None)  # no warning while training
            validation = dict(self.net_.callbacks_).get("valid_mAP")
            if validation is not None:
                validation.estimator = self
                validation.data = valid
            # the videos go to the device once per fit (see sktal._data.DeviceVideos)
            self.net_.sktal_source_ = DeviceVideos(videos, self.net_.device)
            try:
                # skorch stops cleanly on KeyboardInterrupt: the model stays usable
                self.net_.partial_fit(dataset, epochs=self.max_epochs)
            finally:
                self.net_.sktal_source_ = None   # a fitted model keeps no data
        self._record_epochs()
        if self.interrupted_:
            self._handle_interrupt()
        return self

    def _initialize(self, n_features, n_classes, device, n_batches=0):
        """Build and initialise the network and the fitted attributes.

        Shared by :meth:`fit` and :func:`sktal.load`, so a loaded model is the
        same object a fit makes (before its weights are loaded).
        """
        self.net_ = self._make_net(n_features, n_classes, device, n_batches)
        self.net_.initialize()
        self.classes_ = np.arange(n_classes)
        self.n_features_in_ = n_features
        self.n_epochs_completed_ = 0
        self.interrupted_ = False
        self._built_with_ = self._structural_params()
        return self.net_

    def _structural_params(self):
        return {
            k: v for k, v in self.get_params(deep=False).items()
            if k not in self._warm_start_free_params
        }

    def _check_warm_start_params(self):
        built = getattr(self, "_built_with_", None)
        if built is None:
            return
        now = self._structural_params()
        changed = [k for k in now if not _same_value(now[k], built.get(k))]
        if changed:
            raise ValueError(
                f"warm_start=True but {', '.join(changed)} changed since the network "
                "was built; a warm start continues the same network, optimizer and "
                "criterion. Set warm_start=False to train a new one, or restore "
                f"{'it' if len(changed) == 1 else 'them'}"
            )

    def _record_epochs(self):
        """Drop a partial last epoch from the history and count the complete ones."""
        history = self.net_.history
        if len(history) and "train_loss" not in history[-1]:
            history.pop()
        self.n_epochs_completed_ = len(history)
        self.interrupted_ = bool(getattr(self.net_, "sktal_interrupted_", False))

    def _handle_interrupt(self):
        message = (
            f"{type(self).__name__}.fit was interrupted (KeyboardInterrupt) after "
            f"{self.n_epochs_completed_} completed epoch(s) of {self.max_epochs} asked"
            " for; the model is usable but not fully trained (see n_epochs_completed_)"
        )
        raise_it = self.on_interrupt == "raise" or (
            self.on_interrupt == "auto" and _inside_model_selection()
        )
        if raise_it:
            raise KeyboardInterrupt(message)
        warnings.warn(message, UserWarning, stacklevel=3)

    def _warn_degenerate(self, labels):
        """Warn about training setups that run but cannot learn what is asked."""
        never = np.flatnonzero(labels.sum(axis=0) == 0)
        if never.size:
            warnings.warn(
                f"y: class(es) {never.tolist()} of {labels.shape[1]} are never positive "
                "in the training labels; the network cannot learn to detect them (set "
                "n_classes, or check the fold)",
                UserWarning,
                stacklevel=3,
            )
        empty = np.flatnonzero(labels.sum(axis=1) == 0)
        if empty.size:
            warnings.warn(
                f"y: {empty.size} of {len(labels)} training video(s) have no positive "
                f"label (first: video {int(empty[0])}); they teach only background",
                UserWarning,
                stacklevel=3,
            )
        ratio = getattr(self, "topk_ratio", 1)
        if self.n_segments is not None and self.n_segments < max(2, ratio):
            warnings.warn(
                f"n_segments={self.n_segments} is smaller than topk_ratio={ratio} (or "
                "2): the top-k pooling reads a single snippet and a video has too few "
                "steps to separate proposals from background",
                UserWarning,
                stacklevel=3,
            )

    @property
    def module_(self):
        """The trained ``torch.nn.Module``."""
        check_is_fitted(self, "net_")
        return self.net_.module_

    @property
    def history_(self):
        """skorch ``History`` with per-epoch losses."""
        check_is_fitted(self, "net_")
        return self.net_.history

    # ------------------------------------------------------------ prediction
    def _check_predict_input(self, X):
        check_is_fitted(self, "net_")
        if getattr(self, "n_epochs_completed_", None) == 0:
            warnings.warn(
                f"{type(self).__name__} predicts with an untrained network "
                "(no epoch completed: max_epochs=0 or an immediate interrupt)",
                UserWarning,
                stacklevel=3,
            )
        return check_videos(X, n_features=self.n_features_in_)

    def _infer(self, videos):
        """Localization inputs for each video at its resampled resolution.

        Videos are batched only with others of the same resampled length, so a
        video's prediction never depends on what it is batched with.
        """
        positions = [
            _resampling.source_positions(
                len(v), self.n_segments, self.resampling, training=False
            )
            for v in videos
        ]
        by_length = {}
        for i, pos in enumerate(positions):
            by_length.setdefault(len(pos), []).append(i)
        results = [None] * len(videos)
        module = self.net_.module_
        was_training = module.training
        module.eval()
        device = self.net_.device
        try:
            with torch.inference_mode():
                for indices in by_length.values():
                    for start in range(0, len(indices), self.batch_size):
                        chunk = indices[start : start + self.batch_size]
                        x = np.stack(
                            [
                                _resampling.interpolate_rows(videos[i], positions[i])
                                for i in chunk
                            ]
                        )
                        x = torch.from_numpy(x).to(device)
                        mask = torch.ones(x.shape[:2], dtype=torch.bool, device=device)
                        with self.net_.autocast():
                            outputs = module(x=x, mask=mask)
                        outputs = {
                            k: v.float() if torch.is_tensor(v) and v.is_floating_point()
                            else v
                            for k, v in outputs.items()
                        }
                        scores = self._localization_scores(outputs)
                        scores = {
                            k: v.float().cpu().numpy().astype(np.float64)
                            for k, v in scores.items()
                            if v is not None
                        }
                        for b, i in enumerate(chunk):
                            results[i] = {k: v[b] for k, v in scores.items()}
                            results[i]["positions"] = positions[i]
        finally:
            module.train(was_training)
        return results

    def predict_proba(self, X):
        """Video-level class probabilities.

        Parameters
        ----------
        X : sequence of ndarray of shape (T_i, D)

        Returns
        -------
        ndarray of shape (n_videos, n_classes)
        """
        videos = self._check_predict_input(X)
        return np.stack([r["video_scores"] for r in self._infer(videos)])

    def predict_cas(self, X):
        """Snippet-level localization scores at the input's resolution.

        Parameters
        ----------
        X : sequence of ndarray of shape (T_i, D)

        Returns
        -------
        list of ndarray of shape (T_i, n_classes)
            The scores the detections are cut from, in [0, 1], mapped back from the
            resampled length to each video's own snippets.
        """
        videos = self._check_predict_input(X)
        return [
            _resampling.restore_length(r["cas"], r["positions"], len(v))
            for r, v in zip(self._infer(videos), videos)
        ]

    def predict(self, X):
        """Detected action instances.

        Parameters
        ----------
        X : sequence of ndarray of shape (T_i, D)

        Returns
        -------
        list of ndarray of shape (k_i, 4)
            ``[start, end, class, score]`` rows in timesteps of ``X``, by descending
            score. Videos are processed 64 at a time, with a progress display as
            ``progress`` says.
        """
        videos = self._check_predict_input(X)
        display = _Progress(self.progress, f"{type(self).__name__}.predict", len(videos),
                            "video")
        detections = []
        try:  # a video's detections do not depend on the videos it is chunked with
            for start in range(0, len(videos), PREDICT_CHUNK):
                chunk = videos[start : start + PREDICT_CHUNK]
                detections.extend(
                    self._detections(r, len(v)) for r, v in zip(self._infer(chunk), chunk)
                )
                display.update(len(chunk))
        finally:
            display.close()
        return detections

    def _detections(self, result, length):
        """Detections of one video from its :meth:`_infer` result (``length``: the
        video's own number of snippets). The weak localizers cut them from the CAS
        with :func:`~sktal.postprocessing.cas_to_detections`; a detector that
        regresses boundaries overrides this."""
        params = dict(
            class_threshold=self.class_threshold,
            class_fallback=self.class_fallback,
            nms_threshold=self.nms_threshold,
            max_detections=self.max_detections,
        )
        params.update(self._postprocess_params())
        return cas_to_detections(
            result["cas"],
            result["video_scores"],
            agnostic_scores=result.get("agnostic"),
            output_length=length,
            **params,
        )

    def score(self, X, y=None, *, segments=None):
        """Mean detection mAP over ``tiou_thresholds``.

        Parameters
        ----------
        X : sequence of ndarray of shape (T_i, D)
        y : sequence of (m_i, 3) arrays or ndarray, default=None
            Annotated segments ``[start, end, class]`` (used when annotated);
            weak labels are ignored.
        segments : sequence of (m_i, 3) arrays, default=None
            Ground truth when ``y`` is weak (routed as metadata).

        Returns
        -------
        float
            ActivityNet-style mAP averaged over the thresholds, in [0, 1].
        """
        truth = y if y is not None and is_annotated(y) else segments
        if truth is None:
            raise ValueError(
                "score needs ground-truth segments: pass annotated y "
                "(a sequence of [start, end, class] arrays) or segments="
            )
        return self._mean_map(X, truth)

    def _mean_map(self, X, truth):
        """:meth:`score`'s mAP of ``X`` against annotated ``truth``."""
        detections = self.predict(X)
        truth = check_segments(truth, len(detections), name="segments")
        thresholds = (
            DEFAULT_TIOU_THRESHOLDS
            if self.tiou_thresholds is None
            else check_tiou_thresholds(self.tiou_thresholds)
        )
        result = detection_map(truth, detections, thresholds, n_classes=len(self.classes_),
                               lengths=[len(x) for x in X])   # warns on seconds-for-steps
        return float(np.mean(result.mAP))
