"""Watermark payload recovery metrics."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _bits(
    true_bits: ArrayLike, decoded_bits: ArrayLike
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    arrays = []
    for name, value in (("true_bits", true_bits), ("decoded_bits", decoded_bits)):
        array = np.asarray(value)
        if array.size == 0:
            raise ValueError(f"{name} is empty")
        if array.dtype != np.bool_:
            if not np.issubdtype(array.dtype, np.number) or not np.all((array == 0) | (array == 1)):
                raise ValueError(f"{name} must contain only 0 and 1 (or booleans)")
            array = array.astype(bool)
        arrays.append(array)
    truth, decoded = arrays
    if truth.ndim not in (1, 2) or decoded.ndim not in (1, 2):
        raise ValueError("bits must be (n_bits,) or (n_messages, n_bits) arrays")
    if truth.shape[-1] != decoded.shape[-1]:
        raise ValueError(
            f"true_bits has {truth.shape[-1]} bits per message, decoded_bits {decoded.shape[-1]}"
        )
    if truth.ndim == 2 and decoded.ndim == 2 and truth.shape[0] != decoded.shape[0]:
        raise ValueError(
            f"true_bits has {truth.shape[0]} messages but decoded_bits has {decoded.shape[0]}"
        )
    return np.atleast_2d(truth), np.atleast_2d(decoded)


def bit_accuracy(true_bits: ArrayLike, decoded_bits: ArrayLike) -> float:
    """Fraction of payload bits decoded correctly.

    Parameters
    ----------
    true_bits : (n_bits,) or (n_messages, n_bits) array_like of bool or {0, 1}
        Embedded payloads; a single row is compared with every decoded row.
    decoded_bits : (n_bits,) or (n_messages, n_bits) array_like of bool or {0, 1}
        Decoded payloads.

    Returns
    -------
    float
        Correct bits divided by all bits compared, in [0, 1] (0.5 is chance).

    Raises
    ------
    ValueError
        On non-binary values or mismatched shapes.

    Examples
    --------
    >>> bit_accuracy([1, 0, 1, 1], [1, 1, 1, 1])
    0.75
    """
    truth, decoded = _bits(true_bits, decoded_bits)
    return float(np.mean(truth == decoded))


def exact_message_rate(true_bits: ArrayLike, decoded_bits: ArrayLike) -> float:
    """Fraction of messages decoded with every bit correct.

    Parameters
    ----------
    true_bits : (n_bits,) or (n_messages, n_bits) array_like of bool or {0, 1}
        Embedded payloads; a single row is compared with every decoded row.
    decoded_bits : (n_bits,) or (n_messages, n_bits) array_like of bool or {0, 1}
        Decoded payloads, one row per message.

    Returns
    -------
    float
        In [0, 1]; for one message, 1.0 or 0.0.

    Raises
    ------
    ValueError
        On non-binary values or mismatched shapes.

    Examples
    --------
    >>> exact_message_rate([[1, 0], [0, 1], [1, 1]], [[1, 0], [0, 0], [1, 1]])
    0.6666666666666666
    """
    truth, decoded = _bits(true_bits, decoded_bits)
    return float(np.mean(np.all(truth == decoded, axis=1)))
