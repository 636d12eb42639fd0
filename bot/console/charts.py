"""Charts drawn on the server as SVG geometry (no script): the loss curve, weekly bars.

Functions return coordinates in a fixed viewBox; the templates draw them, and the
SVG scales to the width of the screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.browse import Week

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 60, 14, 12, 30  # room for the axes' labels


@dataclass(frozen=True)
class Tick:
    at: float  # position along the axis, in viewBox units
    label: str


@dataclass(frozen=True)
class Curve:
    path: str  # an SVG path's `d`
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    last: tuple[float, float]  # where the curve ends, for a dot
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def _span(low: float, high: float) -> tuple[float, float]:
    return (low - 0.5, high + 0.5) if high - low < 1e-9 else (low, high)


def _ticks(low: float, high: float, count: int) -> list[float]:
    step = (high - low) / (count - 1)
    return [low + step * i for i in range(count)]


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def loss_curve(points: Sequence[Sequence[float]]) -> Curve | None:
    """The training loss per step (`[[step, loss], …]` from `run.metrics`), or None if empty."""
    pairs = [(float(p[0]), float(p[1])) for p in points if len(p) >= 2]
    if not pairs:
        return None
    x_low, x_high = _span(min(x for x, _ in pairs), max(x for x, _ in pairs))
    y_low, y_high = _span(min(0.0, min(y for _, y in pairs)), max(y for _, y in pairs))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(x: float) -> float:
        return LEFT + (x - x_low) / (x_high - x_low) * inner_w

    def y_of(y: float) -> float:
        return TOP + (1 - (y - y_low) / (y_high - y_low)) * inner_h

    coords = [(round(x_of(x), 1), round(y_of(y), 1)) for x, y in pairs]
    path = "M" + " L".join(f"{x},{y}" for x, y in coords)
    steps = sorted({round(v) for v in _ticks(x_low, x_high, 5)})  # steps are whole numbers
    x_ticks = [Tick(x_of(v), str(v)) for v in steps]
    y_ticks = [Tick(y_of(v), _number(v)) for v in _ticks(y_low, y_high, 4)]
    return Curve(path, x_ticks, y_ticks, coords[-1])


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    good_y: float
    good_h: float
    bad_y: float
    bad_h: float
    label: str
    good: int
    bad: int


@dataclass(frozen=True)
class Bars:
    bars: list[Bar]
    top_label: str
    width: int = WIDTH
    height: int = 180
    baseline: int = 152


def weekly_bars(weeks: Sequence[Week]) -> Bars:
    """👍 and 👎 per week as pairs of bars on one scale."""
    height, baseline, top = 180, 152, 16
    highest = max([1, *(max(w.good, w.bad) for w in weeks)])
    slot = (WIDTH - 16) / max(1, len(weeks))
    bar_w = slot * 0.32
    bars = []
    for i, week in enumerate(weeks):
        x = 8 + slot * i + slot * 0.16
        good_h = (baseline - top) * week.good / highest
        bad_h = (baseline - top) * week.bad / highest
        bars.append(
            Bar(
                x=round(x, 1),
                width=round(bar_w, 1),
                good_y=round(baseline - good_h, 1),
                good_h=round(good_h, 1),
                bad_y=round(baseline - bad_h, 1),
                bad_h=round(bad_h, 1),
                label=f"{week.starts:%d/%m}",
                good=week.good,
                bad=week.bad,
            )
        )
    return Bars(bars, str(highest), height=height, baseline=baseline)
