"""Charts as data: what the SVG templates draw, the table beside each shows, and the CSV
download holds, so the three cannot disagree. Geometry is worked out here, in plain Python,
so the templates only place shapes."""

from dataclasses import dataclass

# Series colours (GOV.UK palette); every series also has a label in the legend and the table.
PALETTE = ["#1d70b8", "#f47738", "#00703c", "#912b88", "#d4351c", "#505a5f", "#28a197"]
# A heat map's six shades, from none to most; the figure is in each cell's title and the table.
HEAT = ["#f3f2f1", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
BAND_COLOURS = {
    "critical": "#d4351c",
    "high": "#f47738",
    "medium": "#ffdd00",
    "standard": "#505a5f",
}


@dataclass
class Series:
    key: str
    label: str
    values: list[int]
    colour: str = ""


@dataclass
class Chart:
    """A bar chart (stacked when it has several series), or a heat map (`heat=True`: one
    series per row, categories across)."""

    id: str
    title: str
    categories: list[str]  # labels along the x axis
    series: list[Series]
    unit: str = "referrals"
    description: str = ""
    heat: bool = False
    axis: str = ""  # what the categories are ("Month", "Agency"): the table's first header

    def __post_init__(self):
        for i, s in enumerate(self.series):
            s.colour = s.colour or PALETTE[i % len(PALETTE)]

    def total(self, i: int) -> int:
        return sum(s.values[i] for s in self.series)

    @property
    def grand_total(self) -> int:
        return sum(sum(s.values) for s in self.series)

    @property
    def empty(self) -> bool:
        return self.grand_total == 0

    # -- geometry for the SVG templates ---------------------------------------------------------

    width = 640
    height = 240
    left = 40  # room for the y axis's labels
    bottom = 44  # room for the x axis's labels

    @property
    def scale_max(self) -> int:
        peak = max([self.total(i) for i in range(len(self.categories))] or [0])
        if peak <= 5:
            return 5
        step = 10 ** (len(str(peak)) - 1)
        return -(-peak // step) * step

    @property
    def ticks(self) -> list[tuple[int, float]]:
        top = self.scale_max
        return [(top * k // 4, self._y(top * k // 4)) for k in range(5)]

    def _y(self, value: float) -> float:
        plot = self.height - self.bottom - 10
        return round(self.height - self.bottom - plot * value / self.scale_max, 1)

    @property
    def slot(self) -> float:
        return (self.width - self.left - 10) / max(len(self.categories), 1)

    def columns(self) -> list[dict]:
        """Each category's stacked segments: x, width, and per series y and height."""
        out = []
        for i, label in enumerate(self.categories):
            x = round(self.left + i * self.slot + self.slot * 0.15, 1)
            running = 0
            segments = []
            for s in self.series:
                value = s.values[i]
                top = self._y(running + value)
                segments.append(
                    {
                        "series": s,
                        "value": value,
                        "y": top,
                        "height": round(self._y(running) - top, 1),
                    }
                )
                running += value
            out.append(
                {
                    "label": label,
                    "x": x,
                    "width": round(self.slot * 0.7, 1),
                    "centre": round(x + self.slot * 0.35, 1),
                    "total": running,
                    "segments": segments,
                    "summary": f"{label}: "
                    + ", ".join(f"{s['value']} {s['series'].label}" for s in segments),
                }
            )
        return out

    def heat_cells(self) -> list[dict]:
        """A heat map's cells: series are rows, categories columns; shade 0-5 by value."""
        peak = max([max(s.values or [0]) for s in self.series] or [0])
        cell_w = (self.width - 90) / max(len(self.categories), 1)
        cell_h = 24
        cells = []
        for r, s in enumerate(self.series):
            for c, value in enumerate(s.values):
                shade = 0 if not value else 1 + min(4, (value * 5 - 1) // max(peak, 1))
                cells.append(
                    {
                        "row": s,
                        "column": self.categories[c],
                        "value": value,
                        "x": round(90 + c * cell_w, 1),
                        "y": r * cell_h,
                        "width": round(cell_w - 1, 1),
                        "height": cell_h - 1,
                        "colour": HEAT[shade],
                    }
                )
        return cells

    @property
    def heat_height(self) -> int:
        return len(self.series) * 24 + 30

    # -- the table and the CSV ------------------------------------------------------------------

    def header(self) -> list[str]:
        if self.heat:
            return ["", *self.categories]
        return (
            ["", *(s.label for s in self.series), "Total"]
            if len(self.series) > 1
            else [
                "",
                self.series[0].label if self.series else "Count",
            ]
        )

    def rows(self) -> list[list]:
        if self.heat:
            return [[s.label, *s.values] for s in self.series]
        if len(self.series) > 1:
            return [
                [label, *(s.values[i] for s in self.series), self.total(i)]
                for i, label in enumerate(self.categories)
            ]
        return [[label, self.series[0].values[i]] for i, label in enumerate(self.categories)]
