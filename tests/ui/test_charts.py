"""The dashboard's SVG charts: one mark per value, names escaped, axes within the picture."""

import re
import xml.etree.ElementTree as ET

from app.ui import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def test_importance_bars_one_per_feature_longest_first():
    rows = [{"feature": "a", "importance": 0.6}, {"feature": "<b&c>", "importance": 0.3},
            {"feature": "d", "importance": 0.1}]
    svg = parse(charts.importance_chart(rows))
    bars = svg.findall(f"{SVG}rect")
    assert svg.get("id") == "importance-chart" and len(bars) == 3
    widths = [float(b.get("width")) for b in bars]
    assert widths == sorted(widths, reverse=True)
    assert "<b&c>" in "".join(svg.itertext())  # escaped in the markup, read back as text


def test_importance_shows_at_most_the_top_features():
    rows = [{"feature": f"f{i}", "importance": 1 / (i + 1)} for i in range(50)]
    assert len(parse(charts.importance_chart(rows)).findall(f"{SVG}rect")) == charts.MAX_BARS


def test_roc_curve_per_class_inside_the_plot():
    curves = [{"label": c, "auc": 0.9, "fpr": [0, 0.2, 1], "tpr": [0, 0.8, 1]} for c in "xyz"]
    svg = parse(charts.roc_chart(curves))
    lines = svg.findall(f"{SVG}polyline")
    assert svg.get("id") == "roc-chart" and len(lines) == 3
    for line in lines:
        for x, y in (map(float, p.split(",")) for p in line.get("points").split()):
            assert 0 <= x <= charts.WIDTH and 0 <= y <= charts.HEIGHT


def test_predicted_against_actual_one_point_per_row():
    svg = parse(charts.prediction_chart([1.0, 2.0, 3.0], [1.1, 1.9, 3.5]))
    points = svg.findall(f"{SVG}circle")
    assert svg.get("id") == "pred-vs-actual" and len(points) == 3
    assert all(re.fullmatch(r"[0-9.]+", p.get("cx")) for p in points)


def test_a_constant_target_still_draws():
    svg = parse(charts.prediction_chart([2.0, 2.0], [2.0, 2.0]))
    assert len(svg.findall(f"{SVG}circle")) == 2
