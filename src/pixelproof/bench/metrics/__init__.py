"""Benchmark metrics: plain numpy functions over labels, scores, images and masks.

* detection: :func:`roc_auc`, :func:`average_precision`, :func:`balanced_accuracy`,
  :func:`tpr_at_fpr`, :func:`expected_calibration_error`;
* copy detection: :func:`micro_average_precision`, :func:`recall_at_k`;
* watermarks: :func:`bit_accuracy`, :func:`exact_message_rate`;
* image quality: :func:`psnr`, :func:`ssim`;
* localisation: :func:`pixel_f1`, :func:`best_threshold_f1`, :func:`pixel_auc`,
  :func:`iou`.
"""

from ._classification import (
    average_precision,
    balanced_accuracy,
    expected_calibration_error,
    roc_auc,
    tpr_at_fpr,
)
from ._image import psnr, ssim
from ._localization import ThresholdF1, best_threshold_f1, iou, pixel_auc, pixel_f1
from ._retrieval import micro_average_precision, recall_at_k
from ._watermark import bit_accuracy, exact_message_rate

__all__ = [
    "ThresholdF1",
    "average_precision",
    "balanced_accuracy",
    "best_threshold_f1",
    "bit_accuracy",
    "exact_message_rate",
    "expected_calibration_error",
    "iou",
    "micro_average_precision",
    "pixel_auc",
    "pixel_f1",
    "psnr",
    "recall_at_k",
    "roc_auc",
    "ssim",
    "tpr_at_fpr",
]
