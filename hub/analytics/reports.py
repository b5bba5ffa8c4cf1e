"""The monthly partnership report: the month's figures, kept as they stood when it was filed,
shown as a printable A4 page and as a PDF.

The PDF is made by fpdf2 (pure Python, from PyPI, no system libraries) from the same figures
and the same SVG charts the page shows; a server needs no browser to make it. The scheduler
files each hub's report for the month before on the first working day of a month; the unique
(hub, month) makes a second run, a restart or a second scheduler file nothing more.
"""

import io
from dataclasses import asdict
from datetime import date, datetime, timedelta

from flask import current_app
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub import audit
from hub import permissions as perm
from hub.analytics import dashboard, powers, repeats
from hub.analytics.charts import Chart, Series
from hub.analytics.periods import Filters, add_months, for_month
from hub.core import mail
from hub.core.timeutil import LONDON, format_local, utcnow
from hub.extensions import db
from hub.models import Hub, MonthlyReport
from scoring import is_working_day

TREND_MONTHS = 12


def first_working_day(day: date) -> date:
    first = day.replace(day=1)
    while not is_working_day(first):
        first += timedelta(days=1)
    return first


def _chart_dict(chart: Chart) -> dict:
    return {
        "id": chart.id,
        "title": chart.title,
        "categories": chart.categories,
        "series": [asdict(s) for s in chart.series],
        "unit": chart.unit,
        "description": chart.description,
        "heat": chart.heat,
        "axis": chart.axis,
    }


def chart_of(data: dict) -> Chart:
    return Chart(**{**data, "series": [Series(**s) for s in data["series"]]})


def figures(hub: Hub, month: date, now: datetime) -> dict:
    """Everything the report says about `month`, as plain JSON: counts and references only."""
    period = for_month(month)
    trend = Filters(add_months(month, -(TREND_MONTHS - 1)), month)
    last_day = add_months(month, 1) - timedelta(days=1)
    by_band, by_category = dashboard.referrals_over_time(hub, trend)
    context = dashboard.context_by_month(hub, trend)
    rows = powers.powers_return(hub, period)
    head = dashboard.headline(
        hub, by_band.total(len(trend.months) - 1), context.series[0].values[-1]
    )
    deadlines = dashboard.deadline_counts(hub, period, now)
    lists = {k: repeats.top(None, hub, k, 90, last_day, limit=5) for k in repeats.KINDS}
    return {
        "month": month.isoformat(),
        "headline": {
            "referrals": head.referrals,
            "open_cases": head.open_cases,
            "powers_used": powers.totals(rows)["statutory"],
            "police_uk_asb": head.context_incidents,
        },
        "charts": [
            _chart_dict(c)
            for c in (
                by_band,
                by_category,
                dashboard.deadlines_chart(deadlines),
                dashboard.actions_by_agency(hub, last_day),
                dashboard.outcomes_by_intervention(hub, period),
                context,
            )
        ],
        "reviews": asdict(dashboard.case_review_figures(hub, period)),
        "powers": {
            "header": powers.header(),
            "rows": powers.table(rows),
            "totals": powers.totals(rows),
        },
        "repeats": {
            kind: [{"rank": r.rank, "counts": r.counts[90], "cases": r.cases} for r in found]
            for kind, found in lists.items()
        },
    }


def view(report: MonthlyReport) -> dict:
    """The stored figures, with their charts ready to draw."""
    data = dict(report.figures)
    data["charts"] = [chart_of(c) for c in data["charts"]]
    data["month_label"] = f"{report.month:%B %Y}"
    return data


# -- the PDF ----------------------------------------------------------------------------------

_PLAIN = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."})


def _latin(text) -> str:
    """fpdf2's core fonts are Latin-1: typographic punctuation is written plainly."""
    return str(text).translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


class _Report(FPDF):
    def __init__(self, hub: Hub, month: date, built_at: datetime):
        super().__init__(format="A4")
        self.hub_name, self.month, self.built_at = hub.name, month, built_at
        self.set_auto_page_break(True, margin=18)
        self.set_title(_latin(f"{hub.name}: partnership report, {month:%B %Y}"))

    def header(self):
        self.set_font("Helvetica", "B", 8)
        self.cell(0, 5, "OFFICIAL-SENSITIVE", align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self):
        self.set_y(-14)
        self.set_font("Helvetica", "", 8)
        built = format_local(self.built_at)
        self.cell(
            0,
            5,
            _latin(
                f"{self.hub_name} - {self.month:%B %Y} - filed {built} - "
                f"Page {self.page_no()} of {{nb}}"
            ),
            align="C",
        )


def _heading(pdf: FPDF, text: str, size: int = 13) -> None:
    pdf.set_font("Helvetica", "B", size)
    pdf.multi_cell(0, 7, _latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)


def _table(pdf: FPDF, header: list, rows: list[list]) -> None:
    pdf.set_font("Helvetica", "", 8)
    with pdf.table(text_align="LEFT", line_height=4.5) as table:
        table.row([_latin(h) for h in header])
        for row in rows:
            table.row([_latin(v) for v in row])
    pdf.ln(3)


def build_pdf(hub: Hub, data: dict, built_at: datetime) -> bytes:
    month = date.fromisoformat(data["month"])
    pdf = _Report(hub, month, built_at)
    pdf.add_page()
    _heading(pdf, f"{hub.name}: partnership report for {month:%B %Y}", 16)
    head = data["headline"]
    _table(
        pdf,
        ["Referrals received", "Open cases", "Statutory powers used", "police.uk ASB"],
        [[head["referrals"], head["open_cases"], head["powers_used"], head["police_uk_asb"]]],
    )
    for chart_data in data["charts"]:
        chart = chart_of(chart_data)
        if pdf.will_page_break(95):
            pdf.add_page()
        _heading(pdf, chart.title, 11)
        if chart.empty:
            pdf.multi_cell(0, 5, "Nothing to show for this period.", new_x="LMARGIN", new_y="NEXT")
            continue
        # The template alone, without the page's context (no request, no signed-in user).
        svg = current_app.jinja_env.get_template("analytics/_chart_svg.html").render(chart=chart)
        pdf.image(io.BytesIO(svg.encode()), w=170)
        legend = "   ".join(f"{s.label}" for s in chart.series) if len(chart.series) > 1 else ""
        if legend:
            pdf.set_font("Helvetica", "", 8)
            pdf.multi_cell(0, 4, _latin("Series, bottom to top: " + legend))
        _table(pdf, chart.header(), chart.rows())
    reviews = data["reviews"]
    _heading(pdf, "ASB case reviews received in the month", 11)
    _table(
        pdf,
        ["Received", "Applications", "From conference", "Awaiting", "Met", "Not met", "Done"],
        [
            [
                reviews["received"],
                reviews["applications"],
                reviews["from_conference"],
                reviews["awaiting_decision"],
                reviews["threshold_met"],
                reviews["threshold_not_met"],
                reviews["completed"],
            ]
        ],
    )
    _heading(pdf, "Interventions and statutory powers used in the month", 11)
    if data["powers"]["rows"]:
        _table(pdf, data["powers"]["header"][:6], [r[:6] for r in data["powers"]["rows"]])
    else:
        pdf.multi_cell(0, 5, "None recorded.", new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "Most repeated, last 90 days to the month's end (counts only)", 11)
    rows = [
        [repeats.KINDS[k], r["rank"], r["counts"], " ".join(r["cases"]) or "-"]
        for k, found in data["repeats"].items()
        for r in found
    ]
    if rows:
        _table(pdf, ["", "Rank", "Incidents", "Cases"], rows)
    else:
        pdf.multi_cell(0, 5, "No repeats.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# -- filing ------------------------------------------------------------------------------------


def find(hub: Hub, month: str) -> MonthlyReport | None:
    try:
        first = date.fromisoformat(month + "-01")
    except ValueError:
        return None
    return db.session.execute(
        select(MonthlyReport).where(MonthlyReport.hub_id == hub.id, MonthlyReport.month == first)
    ).scalar_one_or_none()


def filed(hub: Hub) -> list[tuple[date, datetime, int]]:
    """(month, built at, PDF size) of the hub's reports, newest first (not the PDFs)."""
    return list(
        db.session.execute(
            select(MonthlyReport.month, MonthlyReport.built_at, MonthlyReport.id)
            .where(MonthlyReport.hub_id == hub.id)
            .order_by(MonthlyReport.month.desc())
        ).all()
    )


def file_report(hub: Hub, month: date, now: datetime | None = None):
    """Build and file the report for `month` unless it is filed already; tell the hub's
    coordinators when it is new. Returns (report, created)."""
    existing = find(hub, f"{month:%Y-%m}")
    if existing is not None:
        return existing, False
    now = now or utcnow()
    data = figures(hub, month, now)
    report = MonthlyReport(
        hub_id=hub.id, month=month, built_at=now, figures=data, pdf=build_pdf(hub, data, now)
    )
    try:
        with db.session.begin_nested():
            db.session.add(report)
    except IntegrityError:  # another scheduler filed it between our look and our insert
        return find(hub, f"{month:%Y-%m}"), False
    audit.record(
        "monthly_report_filed", hub=hub, target=report, details={"starts_on": month.isoformat()}
    )
    link = mail.external_url("analytics.report_show", slug=hub.slug, month=f"{month:%Y-%m}")
    for user in perm.coordinators(hub.id):
        mail.queue_mail(
            user.email,
            f"{hub.name}: the partnership report for {month:%B %Y} is filed",
            f"The monthly partnership report for {month:%B %Y} is ready to read and print:\n"
            f"{link}\n\nIt holds figures only: no names.",
        )
    return report, True


def due_reports(now: datetime) -> list[tuple[str, date]]:
    """The scheduler's job: on or after the first working day of a month, file each hub's
    report for the month before, once."""
    today = now.astimezone(LONDON).date()
    if today < first_working_day(today):
        return []
    month = add_months(today.replace(day=1), -1)
    done = []
    for hub in db.session.execute(select(Hub).order_by(Hub.id)).scalars():
        _report, created = file_report(hub, month, now)
        if created:
            done.append((hub.slug, month))
    return done
