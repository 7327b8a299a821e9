"""A scikit-learn transformer applied snippet-wise to ragged videos."""
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from ..utils.validation import check_videos

__all__ = ["SnippetTransformer"]


class SnippetTransformer(TransformerMixin, BaseEstimator):
    """Fit a scikit-learn transformer on all snippets, apply it to each video.

    ``StandardScaler`` or ``PCA`` cannot take a localizer's ``X`` (a list of
    ``(T_i, D)`` arrays of different lengths: NumPy's "inhomogeneous shape" error).
    This wrapper fits a clone of ``transformer`` on the snippets of every training
    video stacked into one ``(sum_i T_i, D)`` array, so each snippet is one sample,
    and transforms each video on its own, returning a list of ``(T_i, D')`` arrays.
    It goes in a :class:`~sklearn.pipeline.Pipeline` before a localizer.

    Parameters
    ----------
    transformer : estimator object
        A scikit-learn transformer (``fit`` and ``transform``), e.g.
        :class:`~sklearn.preprocessing.StandardScaler` or
        :class:`~sklearn.decomposition.PCA`.  It is cloned in :meth:`fit`; the given
        object is left untouched.

    Attributes
    ----------
    transformer_ : estimator object
        The fitted clone of ``transformer``.
    n_features_in_ : int
        Number of features ``D`` of each snippet seen in :meth:`fit`.

    See Also
    --------
    sktal.utils.check_videos : The validation of ``X`` applied in ``fit`` and
        ``transform``.

    Notes
    -----
    Every snippet weighs the same, so longer videos weigh more in the fitted
    statistics; this is what fitting on the concatenated training features means.

    Clicks and segments reach the localizer of a pipeline the usual scikit-learn way:
    ``pipe.fit(X, y, basnet__clicks=clicks)`` (the step name, two underscores, the fit
    parameter), also inside :class:`~sklearn.model_selection.GridSearchCV`, which splits
    per-video fit parameters with the videos.  With
    ``sklearn.set_config(enable_metadata_routing=True)``, request them instead:
    ``BackTAL(...).set_fit_request(clicks=True)`` and ``pipe.fit(X, y, clicks=clicks)``.
    The transformer itself takes no fit parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sktal.preprocessing import SnippetTransformer
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(5.0, 2.0, size=(t, 3)) for t in (4, 9, 6)]
    >>> scaler = SnippetTransformer(StandardScaler()).fit(X)
    >>> Xt = scaler.transform(X)
    >>> [v.shape for v in Xt], Xt[0].dtype
    ([(4, 3), (9, 3), (6, 3)], dtype('float32'))
    >>> bool(np.allclose(np.concatenate(Xt).mean(axis=0), 0.0, atol=1e-6))
    True
    """

    _parameter_constraints = {"transformer": [object]}

    def __init__(self, transformer):
        self.transformer = transformer

    def fit(self, X, y=None):
        """Fit a clone of ``transformer`` on the snippets of all videos.

        Parameters
        ----------
        X : sequence of array-like of shape (T_i, D)
            Training videos.
        y : object, default=None
            Ignored (the localizer after this step uses it).

        Returns
        -------
        self : SnippetTransformer
        """
        if not (hasattr(self.transformer, "fit") and hasattr(self.transformer, "transform")):
            raise TypeError(
                "transformer must be a scikit-learn transformer with fit and transform, "
                f"got {self.transformer!r}"
            )
        videos = check_videos(X)
        self.transformer_ = clone(self.transformer).fit(np.concatenate(videos, axis=0))
        self.n_features_in_ = videos[0].shape[1]
        return self

    def transform(self, X):
        """Transform each video with the fitted transformer.

        Parameters
        ----------
        X : sequence of array-like of shape (T_i, D)
            Videos with the ``D`` seen in :meth:`fit`.

        Returns
        -------
        Xt : list of ndarray of shape (T_i, D'), dtype float32
            One transformed array per video, in order.
        """
        check_is_fitted(self, "transformer_")
        videos = check_videos(X, n_features=self.n_features_in_)
        lengths = [len(v) for v in videos]
        stacked = np.asarray(self.transformer_.transform(np.concatenate(videos, axis=0)))
        if stacked.ndim != 2 or stacked.shape[0] != sum(lengths):
            raise ValueError(
                f"{type(self.transformer_).__name__}.transform must return one row per "
                f"snippet: got shape {stacked.shape} for {sum(lengths)} snippets"
            )
        bounds = np.cumsum(lengths)[:-1]
        return [np.ascontiguousarray(v, dtype=np.float32) for v in np.split(stacked, bounds)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags
