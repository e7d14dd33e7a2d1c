"""Which panels a live plot draws, and their titles: a pure plan from the history.

No matplotlib here: :func:`plan_panels` turns a :class:`LossHistory` into frozen
:class:`Panel` records that :mod:`helpers.live._figure` draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._history import LossHistory

__all__ = ["Panel", "Series", "latest_text", "plan_panels", "title_with_latest"]

TOTAL_COLOR = "black"
HEAD_COLORS = ("C0", "C1", "C2", "C3", "C4", "C5", "C6", "C8", "C9")


@dataclass(frozen=True)
class Series:
    """One curve: a history key, or ``("weighted", head)`` for a head's weighted share."""

    key: str | tuple[str, str]
    color: str
    linestyle: str
    label: str


@dataclass(frozen=True)
class Panel:
    """One panel: its short name, title, curves, and whether it plots a loss."""

    name: str
    title: str
    series: tuple[Series, ...]
    is_loss: bool
    legend: bool = False


def plan_panels(
    history: LossHistory,
    heads: list[str],
    *,
    contributions: bool,
    metrics: bool,
    extra: Sequence[Callable[[LossHistory, list[str]], Panel | None]] = (),
) -> tuple[Panel, ...]:
    """The panels for ``history``: total, contributions, heads, groups, metrics, ``extra``.

    Log keys ``"<group>/<member>"`` share one panel per group, one curve per member: the
    first way to add a panel, with no code here. ``extra`` panels come last.

    Examples
    --------
    >>> history = LossHistory()
    >>> history.record(0, {"loss": 1.0, "val_loss": 1.2})
    >>> [p.name for p in plan_panels(history, [], contributions=False, metrics=False)]
    ['loss']
    """
    has_val = history.has_validation()
    values = history.values
    colors = {head: HEAD_COLORS[i % len(HEAD_COLORS)] for i, head in enumerate(heads)}

    def curves(key: str, color: str) -> tuple[Series, ...]:
        found = [Series(key, color, "-", "training")]
        if has_val and f"val_{key}" in values:
            found.append(Series(f"val_{key}", color, "--", "validation"))
        return tuple(found)

    panels = []
    if "loss" in values:
        title = "total loss (weighted sum)" if heads else "loss"
        name = "total" if heads else "loss"
        panels.append(Panel(name, title, curves("loss", TOTAL_COLOR), is_loss=True))
    if contributions and heads:
        shares = tuple(Series(("weighted", h), colors[h], "-", h) for h in heads)
        total = Series("loss", TOTAL_COLOR, ":", "total")
        panels.append(
            Panel(
                "contributions",
                "weighted contributions to the total",
                (total, *shares),
                is_loss=True,
                legend=True,
            )
        )
    for head in heads:
        panels.append(
            Panel(head, f"{head} loss", curves(f"{head}_loss", colors[head]), is_loss=True)
        )
    groups: dict[str, list[str]] = {}  # "<group>/<member>" keys share one panel
    for key in values:
        if "/" in key and not key.startswith("val_"):
            groups.setdefault(key.split("/", 1)[0], []).append(key)
    for group, keys in groups.items():
        members = []
        for i, key in enumerate(keys):
            member = key.split("/", 1)[1]
            color = colors.get(member, HEAD_COLORS[(len(heads) + i) % len(HEAD_COLORS)])
            members.append(Series(key, color, "-", member))
        panels.append(Panel(group, group, tuple(members), is_loss=False, legend=True))
    if metrics:
        taken = {"loss", *(f"{h}_loss" for h in heads), *(k for g in groups.values() for k in g)}
        found = []
        for key in values:
            if key.startswith("val_") or key in taken:
                continue
            owner = max((h for h in heads if key.startswith(f"{h}_")), key=len, default=None)
            order = heads.index(owner) if owner else len(heads)
            found.append((order, key, owner))
        for _, key, owner in sorted(found):
            color = colors[owner] if owner else TOTAL_COLOR
            title = f"{owner} {key[len(owner) + 1 :]}" if owner else key
            panels.append(Panel(title, title, curves(key, color), is_loss=False))
    panels += [p for p in (make(history, heads) for make in extra) if p is not None]
    return tuple(panels)


def title_with_latest(panel: Panel, history: LossHistory) -> str:
    """The panel's title with each curve's latest value, labelled training or validation.

    Examples
    --------
    >>> history = LossHistory()
    >>> history.record(0, {"acc": 0.9, "val_acc": 0.7})
    >>> (panel,) = [p for p in plan_panels(history, [], contributions=False, metrics=True)]
    >>> title_with_latest(panel, history)
    'acc: training 0.900 / validation 0.700'
    """
    if panel.legend:
        shares = [history.series(s.key) for s in panel.series if isinstance(s.key, tuple)]
        if shares and not any(np.isfinite(values).any() for values in shares):
            return f"{panel.title}: loss weights unknown (pass loss_weights=)"
        return panel.title
    latest = []
    for s in panel.series:
        values = history.series(s.key)
        if len(values) and math.isfinite(values[-1]):
            latest.append(f"{s.label} {latest_text(values[-1])}")
    return f"{panel.title}: {' / '.join(latest)}" if latest else panel.title


def latest_text(value: float) -> str:
    """A curve's latest value in a title: three significant figures, zeros kept.

    Training and validation then read alike (1.30 / 1.23, not 1.3 / 1.23); from 100 up,
    whole numbers.

    Examples
    --------
    >>> [latest_text(v) for v in (1.3, 1.0, 0.00048, -6.291, 99.96, 1523.4)]
    ['1.30', '1.00', '0.000480', '-6.29', '100', '1523']
    """
    if abs(value) >= 99.95:
        return f"{value:.0f}"
    return f"{value:#.3g}"
