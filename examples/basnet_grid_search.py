"""Tune BaS-Net's alpha_norm with GridSearchCV and the temporal mAP scorer.

Synthetic THUMOS-like videos, video-level labels only. The search scores each
candidate by detection mAP (tIoU 0.1:0.7) on held-out folds, using the annotated
segments as ``y`` (training only ever sees the video labels derived from them), then
the best model is evaluated on a test split.

Run: ``python examples/basnet_grid_search.py`` (about a minute on a laptop CPU).
"""
import numpy as np
from sklearn.model_selection import GridSearchCV, train_test_split

from sktal import BaSNet
from sktal.datasets import make_temporal_actions
from sktal.metrics import TemporalMAPScorer, detection_map


def main():
    data = make_temporal_actions(
        n_videos=80, context_scale=(1.0, 0.5), runup_prob=0.0, random_state=0
    )
    index = np.arange(len(data.X))
    train, test = train_test_split(index, test_size=0.25, random_state=0)
    X_train = [data.X[i] for i in train]
    seg_train = [data.segments[i] for i in train]

    base = BaSNet(
        n_segments=128, hidden_size=64, batch_size=8, lr=1e-3, max_epochs=25,
        n_classes=data.y.shape[1], random_state=0,
    )
    search = GridSearchCV(
        base, {"alpha_norm": [1e-4, 1e-3, 1e-2]}, scoring=TemporalMAPScorer(), cv=3,
        n_jobs=2,
    )
    search.fit(X_train, seg_train)
    print("best params:", search.best_params_)
    print(f"cross-validated mAP@0.1:0.7: {search.best_score_:.4f}")

    detections = search.best_estimator_.predict([data.X[i] for i in test])
    result = detection_map([data.segments[i] for i in test], detections)
    print("test mAP@0.1..0.7:", " ".join(f"{m:.3f}" for m in result.mAP))
    print(f"test average mAP: {result.average_mAP:.4f}")


if __name__ == "__main__":
    main()
