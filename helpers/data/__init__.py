"""Learnable synthetic datasets for the lessons (NumPy only, no downloads).

The book trains its models on random numbers, so nothing is learned. These
generators make data with real structure, seeded like scikit-learn's ``make_*``
functions: the same ``seed`` gives identical data, and global random state is never
touched.

- :func:`make_clusters`: feature vectors in classes (lesson 01's MLP).
- :func:`make_qa`: bAbI-style stories, questions and one-word answers (lesson 02's QA model).
- :func:`make_posts`: posts as token ids with age, income and gender targets (lesson 03).
- :func:`make_shapes`: grey images of six shapes in noise (lesson 05's Inception and
  residual models).
- :func:`make_pairs`: pairs of sentences that do or do not say the same thing (lesson
  06's shared encoder).
- :func:`make_views`: two camera views of a scene, labelled by the object's depth
  (lesson 07's shared vision base).
"""

from .clusters import Clusters, make_clusters
from .pairs import Pairs, make_pairs
from .posts import Posts, make_posts
from .qa import QA, make_qa
from .shapes import SHAPES, Shapes, make_shapes
from .views import Views, make_views

__all__ = [
    "QA",
    "SHAPES",
    "Clusters",
    "Pairs",
    "Posts",
    "Shapes",
    "Views",
    "make_clusters",
    "make_pairs",
    "make_posts",
    "make_qa",
    "make_shapes",
    "make_views",
]
