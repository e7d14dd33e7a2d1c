"""Learnable synthetic datasets for the lessons (NumPy only, no downloads).

The book trains its models on random numbers, so nothing is learned. These
generators make data with real structure, seeded like scikit-learn's ``make_*``
functions: the same ``seed`` gives identical data, and global random state is never
touched.

- :func:`make_clusters`: feature vectors in classes (lesson 01's MLP).
"""

from .clusters import Clusters, make_clusters

__all__ = ["Clusters", "make_clusters"]
