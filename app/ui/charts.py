"""Charts as inline SVG, drawn on the server: nothing to load, nothing to run in the browser,
and each chart is a plain element a test (or a screen reader, through its title) can read."""

from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD = 560, 360, 48
MAX_BARS = 20


def _svg(chart_id: str, title: str, body: list[str], height: int = HEIGHT) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="chart" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _text(x: float, y: float, text: object, anchor: str = "middle", cls: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{cls}">'
            f"{escape(str(text))}</text>")


def _axes(x_label: str, y_label: str) -> list[str]:
    left, bottom = PAD, HEIGHT - PAD
    return [
        f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - PAD / 2}" y2="{bottom}" class="axis"/>',
        f'<line x1="{left}" y1="{PAD / 2}" x2="{left}" y2="{bottom}" class="axis"/>',
        _text((left + WIDTH - PAD / 2) / 2, HEIGHT - 10, x_label, cls="label"),
        f'<text x="14" y="{(PAD / 2 + bottom) / 2:.1f}" text-anchor="middle" class="label" '
        f'transform="rotate(-90 14 {(PAD / 2 + bottom) / 2:.1f})">{escape(y_label)}</text>',
    ]


def _scale(lo: float, hi: float, a: float, b: float):
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def importance_chart(importance: list[dict]) -> Markup:
    """Horizontal bars, most important feature first."""
    rows = importance[:MAX_BARS]
    bar, gap, label_width = 16, 6, 170
    height = max(60, len(rows) * (bar + gap) + 30)
    top = max((r["importance"] for r in rows), default=0) or 1.0
    body = []
    for i, row in enumerate(rows):
        y = 10 + i * (bar + gap)
        w = (WIDTH - label_width - 70) * row["importance"] / top
        name = str(row["feature"])
        short = name if len(name) <= 24 else name[:23] + "…"
        body.append(_text(label_width - 8, y + bar - 4, short, anchor="end"))
        body.append(f'<rect x="{label_width}" y="{y}" width="{max(w, 1):.1f}" height="{bar}" '
                    f'class="bar"><title>{escape(name)}: {row["importance"]:.4f}</title></rect>')
        body.append(_text(label_width + w + 6, y + bar - 4, f"{row['importance']:.3f}",
                          anchor="start", cls="value"))
    return _svg("importance-chart", "Feature importance (share of gain)", body, height)


def roc_chart(curves: list[dict]) -> Markup:
    """One curve per class (one-vs-rest), or the positive class's for a binary task."""
    x = _scale(0, 1, PAD, WIDTH - PAD / 2)
    y = _scale(0, 1, HEIGHT - PAD, PAD / 2)
    body = _axes("False positive rate", "True positive rate")
    body.append(f'<line x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(1):.1f}" y2="{y(1):.1f}" '
                'class="diagonal"/>')
    for i, curve in enumerate(curves):
        points = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(curve["fpr"], curve["tpr"],
                                                                      strict=True))
        label = f"{curve['label']} (AUC {curve['auc']:.3f})" if curve.get("auc") is not None \
            else str(curve["label"])
        body.append(f'<polyline points="{points}" class="curve c{i % 8}">'
                    f"<title>{escape(label)}</title></polyline>")
        body.append(_text(WIDTH - PAD / 2 - 4, HEIGHT - PAD - 8 - 16 * i, label, anchor="end",
                          cls=f"legend c{i % 8}"))
    return _svg("roc-chart", "ROC curve from out-of-fold predictions", body)


def prediction_chart(actual: list[float], predicted: list[float]) -> Markup:
    """Predicted against actual values, with the line where they are equal."""
    values = [*actual, *predicted] or [0.0, 1.0]
    lo, hi = min(values), max(values)
    x = _scale(lo, hi, PAD, WIDTH - PAD / 2)
    y = _scale(lo, hi, HEIGHT - PAD, PAD / 2)
    body = _axes("Actual", "Predicted (out of fold)")
    body.append(f'<line x1="{x(lo):.1f}" y1="{y(lo):.1f}" x2="{x(hi):.1f}" y2="{y(hi):.1f}" '
                'class="diagonal"/>')
    body += [f'<circle cx="{x(a):.1f}" cy="{y(p):.1f}" r="3" class="point"/>'
             for a, p in zip(actual, predicted, strict=True)]
    body.append(_text(PAD, HEIGHT - PAD + 16, f"{lo:.3g}", anchor="start", cls="value"))
    body.append(_text(WIDTH - PAD / 2, HEIGHT - PAD + 16, f"{hi:.3g}", anchor="end",
                      cls="value"))
    return _svg("pred-vs-actual", "Predicted against actual values", body)
