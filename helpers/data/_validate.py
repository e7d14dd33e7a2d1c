"""The dataset generators' argument checks: the package-wide ones in :mod:`helpers._validate`."""

from helpers._validate import check_choice, check_float, check_int, make_rng, split_cut

__all__ = ["check_choice", "check_float", "check_int", "make_rng", "split_cut"]
