"""The hub's one way of scoring: its own ruleset (rules are data, versioned) and its weekly
conference, which sets the medium band's deadline. Referral intake scores with it on arrival;
a case's risk assessments, their deadlines and review cadence use the same.

scoring/ is the engine (pure Python); this finds what the engine needs for one hub.
"""

from dataclasses import dataclass

from sqlalchemy import bindparam, select

from hub.extensions import db
from hub.models import ConferenceSlot as HubConferenceSlot
from hub.models import HubScoringSettings
from scoring import DEFAULT_RULESET, ConferenceSlot, Ruleset

_RULESETS: dict[tuple[int, str], Ruleset] = {}


@dataclass(frozen=True)
class HubScoring:
    ruleset: Ruleset
    weekly: ConferenceSlot | None  # None: the hub has no weekly conference yet


def ruleset_for(settings: HubScoringSettings | None) -> Ruleset:
    """The hub's ruleset, parsed once per (hub, version); the default without one."""
    if settings is None or not settings.ruleset:
        return DEFAULT_RULESET
    key = (settings.hub_id, settings.ruleset_version or settings.ruleset.get("version", ""))
    if key not in _RULESETS:
        _RULESETS[key] = Ruleset.from_dict(settings.ruleset)
    return _RULESETS[key]


def weekly_slot(settings: HubScoringSettings | None, hub_id: int) -> ConferenceSlot | None:
    """The hub's weekly conference: its conference slot (hub.conferences) when it has one, so
    deadlines and the meetings never disagree; otherwise the weekday and time kept with its
    scoring settings."""
    slot = db.session.execute(
        select(HubConferenceSlot.weekday, HubConferenceSlot.time).where(
            HubConferenceSlot.hub_id == hub_id
        )
    ).first()
    if slot is not None:
        return ConferenceSlot(weekday=slot.weekday, time=slot.time)
    if settings is None or settings.conference_weekday is None or not settings.conference_time:
        return None
    return ConferenceSlot(weekday=settings.conference_weekday, time=settings.conference_time)


def for_hub(hub_id: int) -> HubScoring:
    """What scoring needs for this hub (two queries). Intake, which reads the settings with
    the hub, asks ruleset_for and weekly_slot itself."""
    settings = _settings(hub_id)
    return HubScoring(ruleset_for(settings), weekly_slot(settings, hub_id))


def hub_ruleset(hub_id: int) -> Ruleset:
    """The hub's ruleset alone (one query), for a page that needs no conference slot."""
    return ruleset_for(_settings(hub_id))


def _settings(hub_id: int) -> HubScoringSettings | None:
    return db.session.execute(_SETTINGS, {"hub_id": hub_id}).scalar_one_or_none()


_SETTINGS = select(HubScoringSettings).where(HubScoringSettings.hub_id == bindparam("hub_id"))
