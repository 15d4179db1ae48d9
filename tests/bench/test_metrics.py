"""Metrics against values worked out by hand (the working is in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pixelproof.bench.metrics import (
    ThresholdF1,
    average_precision,
    balanced_accuracy,
    best_threshold_f1,
    bit_accuracy,
    exact_message_rate,
    expected_calibration_error,
    iou,
    micro_average_precision,
    pixel_auc,
    pixel_f1,
    psnr,
    recall_at_k,
    roc_auc,
    ssim,
    tpr_at_fpr,
)

from .._reference import reference_module

# --- roc_auc ---------------------------------------------------------------------------


def test_roc_auc_counts_pairs() -> None:
    # positives 0.35, 0.8; negatives 0.1, 0.4. Pairs (pos > neg): 0.35>0.1 yes,
    # 0.35>0.4 no, 0.8>0.1 yes, 0.8>0.4 yes -> 3 of 4 = 0.75
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75


def test_roc_auc_ties_count_half() -> None:
    # labels 1 0 1 0 with scores 0.5 0.5 0.9 0.1
    # pairs: (0.5 vs 0.5) tie = 1/2, (0.5 vs 0.1) = 1, (0.9 vs 0.5) = 1, (0.9 vs 0.1) = 1
    # -> 3.5 / 4 = 0.875. With average ranks: sorted 0.1(1) 0.5,0.5 (2.5 each) 0.9(4);
    # positive ranks 2.5 + 4 = 6.5; U = 6.5 - 2*3/2 = 3.5; 3.5 / (2*2) = 0.875
    assert roc_auc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1]) == 0.875
    # all scores equal: every pair is a tie
    assert roc_auc([1, 0, 1, 0, 0], [0.3] * 5) == 0.5


def test_roc_auc_extremes_and_errors() -> None:
    assert roc_auc([0, 0, 1], [0.1, 0.2, 0.9]) == 1.0
    assert roc_auc([True, False], [0.0, 1.0]) == 0.0
    with pytest.raises(ValueError, match="both positive and negative"):
        roc_auc([1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="only 0 and 1"):
        roc_auc([0, 2], [0.2, 0.3])
    with pytest.raises(ValueError, match="finite"):
        roc_auc([0, 1], [0.2, math.nan])
    with pytest.raises(ValueError, match="has 3 values"):
        roc_auc([0, 1], [0.2, 0.3, 0.4])


# --- average_precision -----------------------------------------------------------------


def test_average_precision_by_hand() -> None:
    # sorted by score: 0.8(+) 0.4(-) 0.35(+) 0.1(-), P = 2
    # thresholds: 0.8 -> P=1, R=1/2; 0.4 -> P=1/2, R=1/2; 0.35 -> P=2/3, R=1; 0.1 -> R=1
    # AP = 1/2 * 1 + 0 * 1/2 + 1/2 * 2/3 + 0 = 1/2 + 1/3 = 5/6
    assert average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(5 / 6)


def test_average_precision_takes_ties_together() -> None:
    # 0.9(+), then a tie at 0.5 holding one + and one -, then 0.1(-); P = 2
    # threshold 0.9: P=1, R=1/2; threshold 0.5: TP=2, FP=1 -> P=2/3, R=1
    # AP = 1/2 * 1 + 1/2 * 2/3 = 5/6, whatever order the tie is listed in
    for labels in ([1, 1, 0, 0], [1, 0, 1, 0]):
        scores = [0.9, 0.5, 0.5, 0.1]
        assert average_precision(labels, scores) == pytest.approx(5 / 6)
    with pytest.raises(ValueError, match="at least one positive"):
        average_precision([0, 0], [0.1, 0.2])


def test_average_precision_perfect_and_worst() -> None:
    assert average_precision([1, 1, 0], [0.9, 0.8, 0.1]) == 1.0
    # worst: positive last of 4 -> single step R 0 -> 1 at precision 1/4
    assert average_precision([1, 0, 0, 0], [0.1, 0.5, 0.6, 0.7]) == 0.25


# --- balanced accuracy and TPR at FPR --------------------------------------------------


def test_balanced_accuracy_by_hand() -> None:
    # threshold 0.5: predictions 0 1 0 1 for labels 0 0 0 1
    # TPR = 1/1, TNR = 2/3 -> (1 + 2/3) / 2 = 5/6
    assert balanced_accuracy([0, 0, 0, 1], [0.2, 0.6, 0.1, 0.9], 0.5) == pytest.approx(5 / 6)
    # a score equal to the threshold counts as positive: TPR 1, TNR 1
    assert balanced_accuracy([0, 1], [0.4, 0.5], 0.5) == 1.0
    # everything positive: TPR 1, TNR 0 -> 0.5
    assert balanced_accuracy([0, 1, 1], [0.7, 0.8, 0.9], 0.0) == 0.5


def test_tpr_at_fpr_by_hand() -> None:
    labels = [0, 0, 0, 0, 1, 1]
    scores = [0.1, 0.2, 0.3, 0.9, 0.8, 0.95]
    # thresholds (decide score >= t): 0.95 -> TP 1, FP 0; 0.9 -> TP 1, FP 1 (FPR 1/4);
    # 0.8 -> TP 2, FP 1 (FPR 1/4); 0.3 -> FPR 2/4 ...
    assert tpr_at_fpr(labels, scores, 0.25) == 1.0  # t = 0.8 is allowed
    assert tpr_at_fpr(labels, scores, 0.2) == 0.5  # only t = 0.95
    assert tpr_at_fpr(labels, scores, 0.0) == 0.5
    assert tpr_at_fpr(labels, scores, 1.0) == 1.0


def test_tpr_at_fpr_with_a_negative_on_top() -> None:
    # the top score is a negative: any threshold that takes a positive has FPR >= 1/N.
    # N = 1000 negatives, so FPR 0.001 allows exactly that one negative, FPR 0.0009 none.
    rng = np.random.default_rng(0)
    negatives = [*rng.uniform(0.0, 0.5, 999).tolist(), 0.99]
    positives = [0.9, 0.8, 0.2]
    labels = [0] * 1000 + [1] * 3
    scores = negatives + positives
    # threshold 0.8 -> TP 2 of 3, FP 1 of 1000 = 0.001; the next one down, 0.5-ish, adds FPs
    assert tpr_at_fpr(labels, scores, 0.001) == pytest.approx(2 / 3)
    assert tpr_at_fpr(labels, scores, 0.0009) == 0.0
    # ties between a positive and a negative are taken together
    assert tpr_at_fpr([0, 1, 0], [0.5, 0.5, 0.1], 0.4) == 0.0
    assert tpr_at_fpr([0, 1, 0], [0.5, 0.5, 0.1], 0.5) == 1.0
    with pytest.raises(ValueError, match="fpr"):
        tpr_at_fpr([0, 1], [0.1, 0.2], 1.5)


# --- calibration -----------------------------------------------------------------------


def test_expected_calibration_error_by_hand() -> None:
    # 2 bins: [0, 0.5) holds p=0.1 (label 0): |0 - 0.1| = 0.1, weight 1/4
    # [0.5, 1] holds 0.9, 0.9, 0.6 (labels 1, 1, 1): |1 - 0.8| = 0.2, weight 3/4
    # ECE = 0.1/4 + 0.2*3/4 = 0.025 + 0.15 = 0.175
    ece = expected_calibration_error([0, 1, 1, 1], [0.1, 0.9, 0.9, 0.6], n_bins=2)
    assert ece == pytest.approx(0.175)


def test_expected_calibration_error_edges() -> None:
    # p = 1.0 falls in the last bin; p = 0 in the first; perfectly calibrated -> 0
    assert expected_calibration_error([1, 0], [1.0, 0.0]) == 0.0
    # 15 bins: p = 0.5 lands in bin floor(7.5) = 7 alone with label 1 -> |1 - 0.5| = 0.5
    assert expected_calibration_error([1], [0.5]) == 0.5
    # a half-positive bin at 0.5 is calibrated
    assert expected_calibration_error([1, 0], [0.5, 0.5]) == 0.0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        expected_calibration_error([1], [1.2])
    with pytest.raises(ValueError, match="n_bins"):
        expected_calibration_error([1], [0.5], n_bins=0)


# --- copy detection --------------------------------------------------------------------


def test_micro_average_precision_by_hand() -> None:
    predictions = [
        ("q1", "r1", 0.9),  # correct
        ("q2", "r9", 0.8),  # wrong
        ("q3", "r3", 0.7),  # wrong: q3 is a distractor with no reference
        ("q2", "r2", 0.5),  # correct
    ]
    truth = {"q1": "r1", "q2": "r2", "q3": None, "q4": "r4"}
    # 3 queries have a reference (q1, q2, q4). Sorted by score:
    # 1st correct: precision 1/1, recall 1/3; 4th correct: precision 2/4, recall 2/3
    # uAP = 1/3 * 1 + 1/3 * 1/2 = 1/2
    assert micro_average_precision(predictions, truth) == pytest.approx(0.5)


def test_micro_average_precision_ranks_ties_pessimistically() -> None:
    truth = {"q1": "r1", "q2": "r2"}
    # two predictions with the same score, one right, one wrong: the wrong one goes
    # first, so the correct one has precision 1/2 -> uAP = 1/2 * 1/2 = 1/4
    tied = [("q1", "r1", 0.5), ("q2", "r7", 0.5)]
    assert micro_average_precision(tied, truth) == pytest.approx(0.25)
    assert micro_average_precision(list(reversed(tied)), truth) == pytest.approx(0.25)
    # a constant score for everything gains nothing from listing correct pairs first
    assert micro_average_precision([], truth) == 0.0


def test_micro_average_precision_perfect_and_errors() -> None:
    truth = {1: 10, 2: 20, 3: None}
    assert micro_average_precision([(1, 10, 3.0), (2, 20, 2.0), (3, 30, 1.0)], truth) == 1.0
    with pytest.raises(ValueError, match="more than once"):
        micro_average_precision([(1, 10, 1.0), (1, 10, 0.5)], truth)
    with pytest.raises(ValueError, match="no query with a reference"):
        micro_average_precision([(1, 10, 1.0)], {1: None})
    with pytest.raises(ValueError, match="query_id, ref_id, score"):
        micro_average_precision([(1, 10)], truth)  # type: ignore[list-item]


def test_recall_at_k_by_hand() -> None:
    predictions = [
        ("q1", "r7", 0.9),
        ("q1", "r1", 0.8),  # q1's reference at rank 1 (0-based)
        ("q2", "r2", 0.5),  # q2's reference at rank 0
        ("q3", "r5", 0.4),  # q3's reference never predicted
        ("q4", "r4", 0.3),
        ("q4", "r8", 0.3),  # tie with the correct one: rank 1, pessimistically
    ]
    truth = {"q1": "r1", "q2": "r2", "q3": "r3", "q4": "r4", "q5": None}
    # ranks: q1 -> 1, q2 -> 0, q3 -> missing, q4 -> 1; 4 queries with a reference
    assert recall_at_k(predictions, truth, k=1) == pytest.approx(1 / 4)
    assert recall_at_k(predictions, truth, k=2) == pytest.approx(3 / 4)
    assert recall_at_k(predictions, truth, k=10) == pytest.approx(3 / 4)
    with pytest.raises(ValueError, match="k must be"):
        recall_at_k(predictions, truth, k=0)


# --- watermarks ------------------------------------------------------------------------


def test_bit_accuracy_and_exact_messages() -> None:
    # 3 of 4 bits agree
    assert bit_accuracy([1, 0, 1, 1], [1, 1, 1, 1]) == 0.75
    truth = np.array([[1, 0, 1, 0], [0, 0, 1, 1]], dtype=bool)
    decoded = np.array([[1, 0, 1, 0], [0, 1, 1, 1]], dtype=bool)
    # 7 of 8 bits; messages: first exact, second not
    assert bit_accuracy(truth, decoded) == 7 / 8
    assert exact_message_rate(truth, decoded) == 0.5
    # one payload against several decodings: rows [1 0] [1 0] [0 0] -> 5/6 bits, 2/3 exact
    assert bit_accuracy([1, 0], [[1, 0], [1, 0], [0, 0]]) == pytest.approx(5 / 6)
    assert exact_message_rate([1, 0], [[1, 0], [1, 0], [0, 0]]) == pytest.approx(2 / 3)
    assert exact_message_rate([1, 0, 1], [1, 0, 1]) == 1.0


def test_bit_metrics_validate() -> None:
    with pytest.raises(ValueError, match="only 0 and 1"):
        bit_accuracy([1, 0], [1, 0.5])
    with pytest.raises(ValueError, match="bits per message"):
        bit_accuracy([1, 0, 1], [1, 0])
    with pytest.raises(ValueError, match="messages"):
        exact_message_rate([[1, 0], [0, 1]], [[1, 0], [0, 1], [1, 1]])


# --- image quality ---------------------------------------------------------------------


def test_psnr_by_hand() -> None:
    a = np.zeros((4, 4), np.uint8)
    b = a.copy()
    b[0, 0] = 16
    # MSE = 16^2 / 16 pixels = 16; PSNR = 10 log10(255^2 / 16) = 36.0896...
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 / 16))
    assert psnr(a, a) == math.inf
    # floats need their range: a difference of 0.1 everywhere on [0, 1] -> 20 dB
    x = np.zeros((3, 3, 3))
    assert psnr(x, x + 0.1, data_range=1.0) == pytest.approx(20.0)
    with pytest.raises(ValueError, match="data_range"):
        psnr(x, x + 0.1)
    with pytest.raises(ValueError, match="same shape"):
        psnr(a, np.zeros((4, 5), np.uint8))
    with pytest.raises(ValueError, match="same dtype"):
        psnr(a, a.astype(np.uint16))


def test_ssim_by_hand_on_constant_images() -> None:
    # constant images: variances and covariance vanish, so SSIM = luminance term
    # (2 mu_a mu_b + C1) / (mu_a^2 + mu_b^2 + C1) with C1 = (0.01 * 255)^2 = 6.5025
    a = np.full((16, 16), 100, np.uint8)
    b = np.full((16, 16), 120, np.uint8)
    c1 = (0.01 * 255) ** 2
    expected = (2 * 100 * 120 + c1) / (100**2 + 120**2 + c1)
    assert ssim(a, b) == pytest.approx(expected)
    assert ssim(a, a) == 1.0
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim(a[:10], b[:10])


def test_ssim_decreases_with_noise() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (32, 32, 3)).astype(np.float64)
    smooth = np.clip(image, 0, 255).astype(np.uint8)
    values = [
        ssim(smooth, np.clip(smooth + rng.normal(0, s, smooth.shape), 0, 255).astype(np.uint8))
        for s in (2, 10, 40)
    ]
    assert values[0] > values[1] > values[2]


def test_ssim_matches_scikit_image() -> None:
    metrics = reference_module("skimage.metrics")
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    b = np.clip(a + rng.normal(0, 20, a.shape), 0, 255).astype(np.uint8)
    reference = metrics.structural_similarity(
        a,
        b,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=255,
        channel_axis=-1,
    )
    assert ssim(a, b) == pytest.approx(reference, abs=1e-10)
    grey = metrics.structural_similarity(
        a[..., 0], b[..., 0], gaussian_weights=True, use_sample_covariance=False, data_range=255
    )
    assert ssim(a[..., 0], b[..., 0]) == pytest.approx(grey, abs=1e-10)


def test_gaussian_filter_matches_scipy() -> None:
    ndimage = pytest.importorskip("scipy.ndimage")
    from pixelproof.bench._filters import gaussian_filter

    x = np.random.default_rng(2).normal(size=(20, 30, 3))
    for sigma in (0.7, 1.5, 4.0):
        ours = gaussian_filter(x, sigma)
        theirs = ndimage.gaussian_filter(x, (sigma, sigma, 0), mode="reflect")
        assert np.abs(ours - theirs).max() < 1e-12


# --- localisation ----------------------------------------------------------------------

MASK = np.array([[1, 1, 0], [0, 0, 0]])
HEAT = np.array([[0.9, 0.2, 0.7], [0.1, 0.0, 0.6]])


def test_pixel_f1_and_iou_by_hand() -> None:
    # threshold 0.5 predicts (0,0), (0,2), (1,2); mask is (0,0), (0,1)
    # TP 1, FP 2, FN 1 -> F1 = 2/(2+2+1) = 0.4; IoU = 1 / |{(0,0),(0,1),(0,2),(1,2)}| = 1/4
    assert pixel_f1(MASK, HEAT) == pytest.approx(0.4)
    assert iou(MASK, HEAT) == pytest.approx(0.25)
    # threshold 0.15 adds (0,1): TP 2, FP 2, FN 0 -> F1 = 4/6; IoU = 2/4
    assert pixel_f1(MASK, HEAT, threshold=0.15) == pytest.approx(4 / 6)
    assert iou(MASK, HEAT, threshold=0.15) == pytest.approx(0.5)
    # empty mask and empty prediction agree perfectly
    empty = np.zeros((2, 3))
    assert pixel_f1(empty, empty) == 1.0 and iou(empty, empty) == 1.0
    assert pixel_f1(empty, HEAT) == 0.0
    # a boolean prediction works as a heat-map
    assert pixel_f1(MASK, MASK.astype(bool)) == 1.0


def test_best_threshold_f1_by_hand() -> None:
    # thresholds in decreasing order (TP, predicted): 0.9 (1, 1) -> 2/(2+1) = 2/3;
    # 0.7 (1, 2) -> 2/4; 0.6 (1, 3) -> 2/5; 0.2 (2, 4) -> 4/6; 0.1 (2, 5) -> 4/7; 0 -> 4/8
    # best 2/3, first reached at 0.9 (the highest threshold)
    best = best_threshold_f1(MASK, HEAT)
    assert isinstance(best, ThresholdF1)
    assert best.f1 == pytest.approx(2 / 3) and best.threshold == 0.9
    assert best_threshold_f1(MASK, MASK * 0.8) == (1.0, 0.8)
    # nothing to find: predicting nothing (threshold inf) is perfect
    assert best_threshold_f1(np.zeros((2, 3)), HEAT) == (1.0, math.inf)


def test_pixel_auc_by_hand() -> None:
    # positives 0.9, 0.2; negatives 0.7, 0.1, 0.0, 0.6
    # 0.9 beats all 4; 0.2 beats 0.1 and 0.0 -> 6 of 8 = 0.75
    assert pixel_auc(MASK, HEAT) == 0.75
    with pytest.raises(ValueError, match="both positive and negative"):
        pixel_auc(np.zeros((2, 3)), HEAT)
    with pytest.raises(ValueError, match="same shape"):
        pixel_f1(MASK, HEAT[:, :2])
    with pytest.raises(ValueError, match="only 0 and 1"):
        iou(MASK * 2, HEAT)


def test_ssim_matches_scikit_image_on_a_photo_and_its_jpeg() -> None:
    # The README's SSIM figures compare a photo with its marked copy: the same kind of
    # pair, a real photo against a lossy copy of it, at the size the benchmark uses.
    import io
    from pathlib import Path

    from PIL import Image

    metrics = reference_module("skimage.metrics")
    path = Path(__file__).resolve().parents[2] / "examples" / "parrots-spliced.jpg"
    photo = np.asarray(Image.open(path).convert("RGB"))
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, "JPEG", quality=60)
    copy = np.asarray(Image.open(buffer).convert("RGB"))
    reference = metrics.structural_similarity(
        photo,
        copy,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=255,
        channel_axis=-1,
    )
    assert 0.8 < reference < 0.99
    assert ssim(photo, copy) == pytest.approx(reference, abs=1e-10)
