"""The HTML report: plain data from a book, plotly figures, a Jinja2 template, one string.

    data = report_data(book, as_of, theses=..., benchmark=..., projection=..., policies=...)
    html = render_report(data)          # the caller writes it where it wants

The library never writes files; ``conviction report --out FILE`` does.

The names below are imported from their modules on first use (conviction._lazy).
"""

from typing import TYPE_CHECKING

from conviction._lazy import lazy_exports

if TYPE_CHECKING:
    from conviction.report.data import (
        HORIZONS,
        History,
        PolicyLine,
        ReportData,
        RollingWindows,
        Waterfall,
        policy_line,
        report_data,
    )
    from conviction.report.render import (
        environment,
        figure_html,
        plotly_js,
        render_report,
        report_figures,
    )

__getattr__ = lazy_exports(
    __name__,
    {
        "conviction.report.data": (
            "HORIZONS",
            "History",
            "PolicyLine",
            "ReportData",
            "RollingWindows",
            "Waterfall",
            "policy_line",
            "report_data",
        ),
        "conviction.report.render": (
            "environment",
            "figure_html",
            "plotly_js",
            "render_report",
            "report_figures",
        ),
    },
)

__all__ = [
    "HORIZONS",
    "History",
    "PolicyLine",
    "ReportData",
    "RollingWindows",
    "Waterfall",
    "environment",
    "figure_html",
    "plotly_js",
    "policy_line",
    "render_report",
    "report_data",
    "report_figures",
]
