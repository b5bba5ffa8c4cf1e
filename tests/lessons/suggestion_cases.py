"""Twenty cases as a hub would hold them (the referral's words and the plan's), each with the
lessons of hub.demo.lessons a practitioner would want first. Used to measure suggestions
(hit@5: a case counts when one of its lessons is among the five suggested)."""

CASES = [
    dict(
        text="Mrs Patel in flat 4 reports her upstairs neighbour plays loud music most nights "
        "until 3am and stamps on the floor. She is exhausted and works early. Housing have "
        "had two complaints before. Plan: speak to the tenant, consider mediation.",
        category="nuisance",
        interventions=["warning_letter"],
        relevant=["noise_mediation_flats", "noise_cpn_party_house"],
    ),
    dict(
        text="Residents of the terrace report a privately rented house holding parties every "
        "weekend with music until 6am, guests shouting and fighting outside. Landlord not "
        "responding to letters.",
        category="nuisance",
        interventions=[],
        relevant=["noise_cpn_party_house"],
    ),
    dict(
        text="Gang of 15-year-olds hanging around the play area at the recreation ground every "
        "evening, drinking cider, damaging the swings and shouting at people walking dogs.",
        category="nuisance",
        interventions=["dispersal"],
        relevant=["youth_park_diversion"],
    ),
    dict(
        text="The manager of the Spar reports three lads from the estate coming in after "
        "school, stealing sweets and energy drinks, spitting at staff and swearing. Staff "
        "frightened. Parents known to school.",
        category="personal",
        interventions=[],
        relevant=["youth_abc_shop"],
    ),
    dict(
        text="Concern for Mr Hughes, who has learning difficulties; his flat appears to have "
        "been taken over by men from out of town dealing drugs. Visitors day and night, "
        "needles found on the landing.",
        category="personal",
        interventions=[],
        relevant=["cuckooing_closure", "closure_brothel_noise"],
    ),
    dict(
        text="Mattresses, fridges and rubble keep being dumped in the back lane behind the "
        "houses. Residents say vans come at night. Rats seen.",
        category="environmental",
        interventions=[],
        relevant=["fly_tipping_alley"],
    ),
    dict(
        text="Spray paint tags appearing weekly on the walls of the subway under the ring "
        "road, some of it offensive. People avoid walking through after dark.",
        category="environmental",
        interventions=[],
        relevant=["graffiti_underpass_mural"],
    ),
    dict(
        text="Ongoing dispute between numbers 12 and 14 over the shared driveway. Each says "
        "the other scratched their car. Both calling police weekly and filming each other.",
        category="personal",
        interventions=["warning_letter"],
        relevant=["neighbour_dispute_boundary"],
    ),
    dict(
        text="Family from Syria moved to the estate in May and have had racist notes pushed "
        "through the door, eggs thrown at windows and children calling names. Father afraid "
        "to let the children play out.",
        category="personal",
        interventions=[],
        relevant=["hate_targeting_family", "repeat_victim_elderly"],
    ),
    dict(
        text="Group drinking in the market square daily from 10am, urinating in doorways and "
        "asking shoppers for money. Traders complaining. Some are sleeping rough.",
        category="nuisance",
        interventions=[],
        relevant=["street_drinking_pspo", "begging_town_centre"],
    ),
    dict(
        text="Lads on scrambler bikes tearing across the football pitches and along the "
        "footpath by the estate, near misses with children.",
        category="nuisance",
        interventions=[],
        relevant=["motorbikes_off_road", "rural_poaching_quad"],
    ),
    dict(
        text="Fights outside the nightclub every Friday and Saturday at chucking-out time. "
        "Broken bottles in the road and residents above woken up.",
        category="nuisance",
        interventions=[],
        relevant=["licensed_premises_disorder"],
    ),
    dict(
        text="Neighbours report a strong smell and mice coming from flat 9; the elderly tenant "
        "has filled the flat with newspapers and bags. Fire service worried about the risk.",
        category="environmental",
        interventions=[],
        relevant=["hoarding_fire_risk"],
    ),
    dict(
        text="Wheelie bins being set on fire in the alleys three nights this week, and a skip "
        "on the car park. Fire service attended each time.",
        category="environmental",
        interventions=[],
        relevant=["deliberate_fires_bins"],
    ),
    dict(
        text="Daniel Cross, 34, well known to police, threatening shop workers on the parade, "
        "shoplifting daily and harassing residents for money. Dozens of convictions, short "
        "prison sentences have not worked.",
        category="personal",
        interventions=["acceptable_behaviour_contract"],
        relevant=["cbo_prolific_adult"],
    ),
    dict(
        text="Housing association tenant banging on walls and screaming abuse at neighbours, "
        "threatening to hurt them. Known mental health issues. Two families asking to move.",
        category="personal",
        interventions=["warning_letter"],
        relevant=["injunction_harassment_tenant"],
    ),
    dict(
        text="Hot weekends bring crowds to the seafront and the sands; drinking, fights, "
        "disposable barbecues left alight, litter everywhere. Many come by train.",
        category="nuisance",
        interventions=[],
        relevant=["beach_disorder_summer"],
    ),
    dict(
        text="Shouting and banging reported from number 7 several times a week; council "
        "noise team want to serve an abatement notice. Neighbour thinks she heard a woman "
        "crying.",
        category="personal",
        interventions=[],
        relevant=["domestic_abuse_noise"],
    ),
    dict(
        text="Pensioner living alone, Mr Ellis, 81, having stones thrown at his windows and "
        "kids knocking on his door at night calling him names. He no longer goes out.",
        category="personal",
        interventions=[],
        relevant=["repeat_victim_elderly"],
    ),
    dict(
        text="Pupils from the secondary schools fighting at the bus interchange after school "
        "and throwing things at buses. Drivers refusing to stop.",
        category="nuisance",
        interventions=["dispersal"],
        relevant=["bus_station_youth"],
    ),
]
