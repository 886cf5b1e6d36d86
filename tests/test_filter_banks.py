"""The VGG texture filter banks against the VGG MATLAB files run in GNU Octave
(tests/data/filter_banks_vgg.npz, made by tests/data/make_filter_bank_fixture.py)."""

from pathlib import Path

import numpy as np
import pytest

import fastlin
from fastlin.filter_banks import BANKS

FIXTURE = Path(__file__).parent / "data" / "filter_banks_vgg.npz"


@pytest.mark.parametrize("name", list(BANKS))
def test_every_bank_equals_the_vgg_files_run_in_octave(name):
    expected = np.load(FIXTURE)[name]
    bank = fastlin.filter_bank(name)
    assert bank.shape == expected.shape == (BANKS[name][0], 49, 49) and bank.dtype == np.float64
    np.testing.assert_allclose(bank, expected, rtol=0, atol=1e-13)
    np.testing.assert_allclose(bank.sum(axis=(1, 2)), 0, atol=1e-14)  # zero-mean
    np.testing.assert_allclose(np.abs(bank).sum(axis=(1, 2)), 1, rtol=1e-12)  # L1-normalized
    assert not bank.flags.writeable


def test_orientation_and_axes_follow_matlab():
    lm = fastlin.filter_bank("LM")
    # the first filter: a first derivative across y (rows), orientation 0: odd top to bottom
    np.testing.assert_allclose(lm[0], -lm[0][::-1, :], atol=1e-15)
    np.testing.assert_allclose(lm[0], lm[0][:, ::-1], atol=1e-15)
    assert lm[0][:24].sum() < 0 < lm[0][25:].sum()  # g' of y: negative where y > 0, the top rows
    # the Schmid filters are rotation-invariant: symmetric under transposition
    s = fastlin.filter_bank("S")
    np.testing.assert_allclose(s, s.transpose(0, 2, 1), atol=1e-15)


@pytest.mark.parametrize("name, exc", [("lm", ValueError), ("MR8", ValueError), (3, ValueError)])
def test_unknown_banks_are_refused(name, exc):
    with pytest.raises(exc, match="name must be"):
        fastlin.filter_bank(name)
