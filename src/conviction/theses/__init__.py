"""People and theses: four-pillar scorecards, theses with milestones, review triggers (pure).

The names below are imported from their modules on first use (conviction._lazy).
"""

from typing import TYPE_CHECKING

from conviction._lazy import lazy_exports

if TYPE_CHECKING:
    from conviction.theses.book_review import ReviewInputs, review_book, review_inputs
    from conviction.theses.model import (
        OPS,
        PILLARS,
        STATUSES,
        SUBJECT_KINDS,
        Evidence,
        Milestone,
        MilestoneEntry,
        MilestoneStatus,
        Op,
        Pillar,
        PillarScore,
        Scorecard,
        SubjectKind,
        Thesis,
        scorecards_by_person,
        update_milestone,
    )
    from conviction.theses.triggers import (
        TRIGGERS,
        Figure,
        Review,
        ReviewSettings,
        TriggerName,
        company_concentration,
        drawdowns,
        overdue_milestones,
        person_concentration,
        person_weights,
        review,
        score_drops,
        slipped_milestones,
        stale_private_marks,
    )

__getattr__ = lazy_exports(
    __name__,
    {
        "conviction.theses.book_review": (
            "ReviewInputs",
            "review_book",
            "review_inputs",
        ),
        "conviction.theses.model": (
            "OPS",
            "PILLARS",
            "STATUSES",
            "SUBJECT_KINDS",
            "Evidence",
            "Milestone",
            "MilestoneEntry",
            "MilestoneStatus",
            "Op",
            "Pillar",
            "PillarScore",
            "Scorecard",
            "SubjectKind",
            "Thesis",
            "scorecards_by_person",
            "update_milestone",
        ),
        "conviction.theses.triggers": (
            "TRIGGERS",
            "Figure",
            "Review",
            "ReviewSettings",
            "TriggerName",
            "company_concentration",
            "drawdowns",
            "overdue_milestones",
            "person_concentration",
            "person_weights",
            "review",
            "score_drops",
            "slipped_milestones",
            "stale_private_marks",
        ),
    },
)

__all__ = [
    "OPS",
    "PILLARS",
    "STATUSES",
    "SUBJECT_KINDS",
    "TRIGGERS",
    "Evidence",
    "Figure",
    "Milestone",
    "MilestoneEntry",
    "MilestoneStatus",
    "Op",
    "Pillar",
    "PillarScore",
    "Review",
    "ReviewInputs",
    "ReviewSettings",
    "Scorecard",
    "SubjectKind",
    "Thesis",
    "TriggerName",
    "company_concentration",
    "drawdowns",
    "overdue_milestones",
    "person_concentration",
    "person_weights",
    "review",
    "review_book",
    "review_inputs",
    "score_drops",
    "scorecards_by_person",
    "slipped_milestones",
    "stale_private_marks",
    "update_milestone",
]
