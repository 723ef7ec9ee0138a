"""Server-rendered SVG charts for the dashboard: no JavaScript, nothing from outside.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>``; the page's tables
carry the same numbers for screen readers and print. Colours come from classes styled in
``static/css/dashboard.css`` (presentation attributes only, no inline styles).
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 640
LABEL_WIDTH = 190
ROW_HEIGHT = 26
LABEL_CHARS = 30
# The quota chart names each unit on lines of its own, so that no name is cut.
LINE_CHARS = 56
LINE_HEIGHT = 20
BAR_HEIGHT = 16


def _r(value: float) -> float:
    return round(value, 1)


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _svg(chart_id: str, title: str, desc: str, height: int, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMinYMin meet">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        w=WIDTH,
        h=height,
        id=chart_id,
        title=title,
        desc=desc,
        body=body,
    )


def _nice_max(value: int) -> int:
    """A round top for an axis at or above ``value``."""
    value = max(value, 1)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 5:
            return -(-value // step) * step
    return value


def wrap(text: str, limit: int = LINE_CHARS) -> list[str]:
    """``text`` in lines of at most ``limit`` characters, broken between words; a word
    longer than a line is kept whole. Nothing is cut off."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def quota_bars(rows) -> SafeString:
    """Admissions against quota per unit: the unit's whole name on a line of its own (wrapped,
    never cut), then a bar for admissions across the chart's width, a tick for the quota.

    ``rows`` are ``steering.Steering``: a bar is red where the unit is behind (``flagged``).
    """
    steered = list(rows)
    rows = [s.figures for s in steered]
    behind = {s.unit.pk for s in steered if s.flagged}
    top = _nice_max(max([r.admitted for r in rows] + [r.quota or 0 for r in rows] + [1]))
    bar_width = WIDTH - 70
    scale = bar_width / top
    parts = []
    y = 4
    for r in rows:
        css = "chart-bar chart-bar--behind" if r.unit.pk in behind else "chart-bar"
        value = f"{r.admitted}/{r.quota}" if r.quota is not None else f"{r.admitted}"
        for line in wrap(r.unit.name):
            y += LINE_HEIGHT
            parts.append(
                format_html('<text class="chart-name" x="0" y="{y}">{line}</text>', y=y, line=line)
            )
        bar_y = y + 6
        parts.append(
            format_html(
                '<rect class="{css}" x="0" y="{y}" width="{w}" height="{h}"></rect>'
                '<text class="chart-value" x="{vx}" y="{ty}">{value}</text>',
                css=css,
                y=bar_y,
                w=_r(r.admitted * scale),
                h=BAR_HEIGHT,
                vx=_r(max(r.admitted, r.quota or 0) * scale + 6),
                ty=bar_y + BAR_HEIGHT - 4,
                value=value,
            )
        )
        if r.quota is not None:
            parts.append(
                format_html(
                    '<line class="chart-quota" x1="{x}" x2="{x}" y1="{y1}" y2="{y2}"></line>',
                    x=_r(r.quota * scale),
                    y1=bar_y - 3,
                    y2=bar_y + BAR_HEIGHT + 3,
                )
            )
        y = bar_y + BAR_HEIGHT + 8
    return _svg(
        "chart-quota",
        _("Admissions against quota per unit"),
        _("Bars show admissions; the vertical mark on each bar shows the unit's quota."),
        y + 4,
        mark_safe("".join(parts)),  # each part came from format_html
    )


def pace_line(
    months: list[int], quota: int | None, *, elapsed_months: int, plan: list[int] | None = None
) -> SafeString:
    """Cumulative admissions by month against the straight line from 0 to the quota, or
    against the unit's monthly ``plan`` when the pace follows one (``figures.pace``).

    ``elapsed_months`` months of the year are drawn (12 for a past year).
    """
    plan = plan if plan and sum(plan) > 0 else None
    height, left, right, top_pad, bottom = 260, 44, 16, 12, 30
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    cumulative = []
    total = 0
    for n in months[:elapsed_months]:
        total += n
        cumulative.append(total)
    top = _nice_max(max([quota or 0, total, 1]))

    def x(month: float) -> float:
        return left + plot_w * month / 12

    def y(value: float) -> float:
        return top_pad + plot_h * (1 - value / top)

    parts = [
        format_html(
            '<line class="chart-axis" x1="{l}" x2="{r}" y1="{b}" y2="{b}"></line>'
            '<line class="chart-axis" x1="{l}" x2="{l}" y1="{t}" y2="{b}"></line>',
            l=left,
            r=WIDTH - right,
            b=_r(y(0)),
            t=top_pad,
        )
    ]
    for tick in (0, top // 2, top):
        parts.append(
            format_html(
                '<text class="chart-tick" x="{x}" y="{y}" text-anchor="end">{v}</text>',
                x=left - 6,
                y=_r(y(tick) + 4),
                v=tick,
            )
        )
    for month in range(1, 13):
        parts.append(
            format_html(
                '<text class="chart-tick" x="{x}" y="{y}" text-anchor="middle">{m}</text>',
                x=_r(x(month - 0.5)),
                y=height - 10,
                m=month,
            )
        )
    if quota is not None and plan is not None:
        planned = [sum(plan[:month]) for month in range(13)]
        points = [(x(m), y(quota * done / planned[-1])) for m, done in enumerate(planned)]
        parts.append(
            format_html(
                '<polyline class="chart-pace" points="{p}"></polyline>',
                p=" ".join(f"{_r(px)},{_r(py)}" for px, py in points),
            )
        )
    elif quota is not None:
        parts.append(
            format_html(
                '<line class="chart-pace" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"></line>',
                x1=left,
                y1=_r(y(0)),
                x2=_r(x(12)),
                y2=_r(y(quota)),
            )
        )
    if cumulative:
        points = [(x(0), y(0))] + [(x(i + 1), y(v)) for i, v in enumerate(cumulative)]
        parts.append(
            format_html(
                '<polyline class="chart-actual" points="{p}"></polyline>',
                p=" ".join(f"{px},{py}" for px, py in points),
            )
        )
        parts.append(
            format_html_join(
                "",
                '<circle class="chart-point" cx="{}" cy="{}" r="3"></circle>',
                ((_r(px), _r(py)) for px, py in points[1:]),
            )
        )
    return _svg(
        "chart-pace",
        _("Cumulative admissions by month"),
        _(
            "The solid line shows admissions so far; the dashed line the unit's monthly plan "
            "to the quota."
        )
        if plan is not None and quota is not None
        else _(
            "The solid line shows admissions so far; the dashed line the even pace to the quota."
        ),
        height,
        mark_safe("".join(parts)),
    )


def funnel(stages: list[tuple[str, int]]) -> SafeString:
    """The pipeline funnel: one centred bar per stage, widest first in the order given."""
    top = max([n for _label, n in stages] + [1])
    bar_space = WIDTH - LABEL_WIDTH - 50
    parts = []
    for i, (label, n) in enumerate(stages):
        y = 8 + i * ROW_HEIGHT
        w = bar_space * n / top
        parts.append(
            format_html(
                '<text class="chart-label" x="{lx}" y="{ty}" text-anchor="end">{label}</text>'
                '<rect class="chart-funnel" x="{x}" y="{y}" width="{w}" height="{h}">'
                "</rect>"
                '<text class="chart-value" x="{vx}" y="{ty}">{n}</text>',
                lx=LABEL_WIDTH - 8,
                ty=y + 14,
                label=_short(label),
                x=_r(LABEL_WIDTH + (bar_space - w) / 2),
                y=y + 2,
                w=_r(w),
                h=ROW_HEIGHT - 8,
                vx=_r(LABEL_WIDTH + (bar_space + w) / 2 + 6),
                n=n,
            )
        )
    return _svg(
        "chart-funnel",
        _("Pipeline funnel"),
        _("Candidates at each stage of the pipeline today, and this year's admissions."),
        16 + len(stages) * ROW_HEIGHT,
        mark_safe("".join(parts)),
    )
