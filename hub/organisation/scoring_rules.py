"""A hub's own scoring ruleset, edited by its hub manager: every version kept
(HubRulesetVersion), the one in use in HubScoringSettings, and before saving a preview of how
the hub's last 100 referrals would have banded under it, beside the bands they were given.

The preview re-scores each referral from what it stored (its answers, category, the repeat
counts found at intake, its victims' recorded vulnerabilities, how many incidents since when),
so it shows the rules' effect, not a change in the history since. Nothing personal leaves here:
references and bands only. Callers commit.
"""

import json
import re
from collections import Counter
from dataclasses import dataclass

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hub import audit
from hub.casework import scores
from hub.extensions import db
from hub.models import Hub, HubRulesetVersion, HubScoringSettings, Referral
from hub.models.referral import ReferralStatus
from scoring import BANDS, RepeatCounts, Ruleset, RulesetError, ScoreInput, score_referral

PREVIEW_SIZE = 100
MAX_CHARS = 50_000
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}\Z")


@dataclass(frozen=True)
class PreviewRow:
    reference: str
    band_given: str
    band_now: str
    score_now: int


@dataclass(frozen=True)
class Preview:
    version: str
    rows: list[PreviewRow]

    @property
    def changed(self) -> list[PreviewRow]:
        return [r for r in self.rows if r.band_given != r.band_now]

    def counts(self) -> list[tuple[str, int, int]]:
        """(band, referrals given it, referrals it would give), most urgent first."""
        given = Counter(r.band_given for r in self.rows)
        now = Counter(r.band_now for r in self.rows)
        return [(band, given[band], now[band]) for band in BANDS]


def settings_of(hub: Hub) -> HubScoringSettings | None:
    return db.session.execute(
        select(HubScoringSettings).where(HubScoringSettings.hub_id == hub.id)
    ).scalar_one_or_none()


def current_text(hub: Hub) -> str:
    """The ruleset in use, as the JSON a hub manager edits."""
    return scores.ruleset_for(settings_of(hub)).to_json()


def versions(hub: Hub) -> list[HubRulesetVersion]:
    return list(
        db.session.execute(
            select(HubRulesetVersion)
            .where(HubRulesetVersion.hub_id == hub.id)
            .order_by(HubRulesetVersion.saved_at.desc(), HubRulesetVersion.id.desc())
        ).scalars()
    )


def parse(text: str) -> Ruleset:
    """The ruleset a hub manager typed, or ValidationError on the field with the key named."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"ruleset": ["Enter the ruleset"]})
    if len(text) > MAX_CHARS:
        raise ValidationError(
            {"ruleset": [f"The ruleset must be {MAX_CHARS:,} characters or fewer"]}
        )
    try:
        ruleset = Ruleset.from_json(text)
    except RulesetError as exc:
        raise ValidationError({"ruleset": [str(exc)]}) from None
    if not _VERSION.match(ruleset.version):
        raise ValidationError(
            {
                "ruleset": [
                    "version: use up to 40 letters, digits, dots and dashes, like copeland-2027.1"
                ]
            }
        )
    return ruleset


def _score_input(referral: Referral) -> ScoreInput:
    repeat = {
        kind: {int(days): n for days, n in (referral.repeat or {}).get(kind, {}).items()}
        for kind in ("victim", "place", "subject")
    }
    vulnerabilities = {
        v for p in referral.people if p.role == "victim" for v in (p.vulnerabilities or ())
    }
    return ScoreInput(
        risk={k: v is True for k, v in (referral.risk or {}).items()},
        category=referral.asb_category,
        submitted_at=referral.submitted_at,
        repeat=RepeatCounts(**repeat),
        vulnerabilities=tuple(vulnerabilities),
        incident_count=referral.incident_count or 1,
        first_incident_on=referral.first_incident_on,
    )


def preview(hub: Hub, ruleset: Ruleset) -> Preview:
    """How the hub's last 100 submitted referrals would band under `ruleset` (two queries)."""
    referrals = db.session.execute(
        select(Referral)
        .where(Referral.hub_id == hub.id, Referral.status != ReferralStatus.DRAFT.value)
        .options(selectinload(Referral.people))
        .order_by(Referral.submitted_at.desc(), Referral.id.desc())
        .limit(PREVIEW_SIZE)
    ).scalars()
    rows = []
    for referral in referrals:
        inp = _score_input(referral)
        # A ruleset without an answer the referral gave cannot score it: the answer is dropped.
        inp = ScoreInput(
            risk={k: v for k, v in inp.risk.items() if k in ruleset.answer_keys},
            category=inp.category,
            submitted_at=inp.submitted_at,
            repeat=inp.repeat,
            vulnerabilities=inp.vulnerabilities,
            incident_count=inp.incident_count,
            first_incident_on=inp.first_incident_on,
        )
        result = score_referral(inp, ruleset)
        rows.append(
            PreviewRow(referral.reference, referral.band or "standard", result.band, result.score)
        )
    return Preview(ruleset.version, rows)


def save(hub: Hub, text: str, *, actor) -> Ruleset:
    """Put a new version of the hub's ruleset in use. Its version must be new to the hub, so a
    stored score's ruleset_version always names the rules that gave it."""
    ruleset = parse(text)
    used = {v.version for v in versions(hub)} | {scores.ruleset_for(settings_of(hub)).version}
    if ruleset.version in used:
        raise ValidationError(
            {"ruleset": [f"Give this ruleset a new version: {ruleset.version} is already used"]}
        )
    data = json.loads(ruleset.to_json())
    settings = settings_of(hub)
    before = settings.ruleset_version if settings and settings.ruleset else None
    if settings is None:
        settings = HubScoringSettings(hub_id=hub.id)
        db.session.add(settings)
    settings.ruleset = data
    settings.ruleset_version = ruleset.version
    db.session.add(
        HubRulesetVersion(
            hub_id=hub.id, version=ruleset.version, ruleset=data, saved_by_id=actor.id
        )
    )
    db.session.flush()
    audit.record(
        "scoring_ruleset_saved",
        user=actor,
        hub=hub,
        target=settings,
        details={"before": {"version": before}, "after": {"version": ruleset.version}},
    )
    return ruleset
