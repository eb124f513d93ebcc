"""Chart geometry for inline SVG, computed in Python so the page needs no charting script.

Only numbers are computed here; labels stay plain strings and the template escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from standing.reports.leadership.model import Count

SEVERITY_COLOURS = {"critical": "#7f1d1d", "high": "#c2410c", "medium": "#b45309", "low": "#4d7c0f", "info": "#475569"}
DEFAULT_COLOUR = "#1e3a8a"
LABEL_WIDTH = 150
VALUE_WIDTH = 60
ROW_HEIGHT = 22


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float
    colour: str


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars: a label column, the bar, then the value."""

    title: str
    width: int
    height: int
    bar_x: int
    bar_height: int
    bars: tuple[Bar, ...]


def bar_chart(
    title: str, counts: list[Count], *, width: int = 460, colours: dict[str, str] | None = None, limit: int = 12
) -> BarChart:
    shown = counts[:limit]
    span = width - LABEL_WIDTH - VALUE_WIDTH
    top = max((c.count for c in shown), default=0) or 1
    bars = tuple(
        Bar(
            label=c.label,
            value=c.count,
            y=i * ROW_HEIGHT + 4,
            width=round(span * c.count / top, 1),
            colour=(colours or {}).get(c.label, DEFAULT_COLOUR),
        )
        for i, c in enumerate(shown)
    )
    return BarChart(
        title=title,
        width=width,
        height=max(1, len(shown)) * ROW_HEIGHT + 8,
        bar_x=LABEL_WIDTH,
        bar_height=ROW_HEIGHT - 6,
        bars=bars,
    )


@dataclass(frozen=True)
class LinePoint:
    label: str
    value: int
    x: float
    y: float


@dataclass(frozen=True)
class LineChart:
    title: str
    width: int
    height: int
    top_value: int
    baseline: float
    points: tuple[LinePoint, ...]

    @property
    def path(self) -> str:
        """An SVG path of numbers only (safe to place in an attribute as it is)."""
        return " ".join(f"{'M' if i == 0 else 'L'}{p.x:.1f},{p.y:.1f}" for i, p in enumerate(self.points))


def line_chart(title: str, series: list[tuple[str, int]], *, width: int = 460, height: int = 180) -> LineChart:
    left, right, top, bottom = 48, 16, 14, 30
    peak = max((v for _, v in series), default=0) or 1
    inner_w, inner_h = width - left - right, height - top - bottom
    step = inner_w / (len(series) - 1) if len(series) > 1 else 0
    points = tuple(
        LinePoint(
            label=label,
            value=value,
            x=left + (i * step if len(series) > 1 else inner_w / 2),
            y=top + inner_h * (1 - value / peak),
        )
        for i, (label, value) in enumerate(series)
    )
    return LineChart(title=title, width=width, height=height, top_value=peak, baseline=top + inner_h, points=points)
