"""The demo TRE loaded by ``manage.py load_demo``: a small SAIL-like catalogue for Wales.

Plain data, no logic. Descriptions are written for this demo from public descriptions of the
kinds of data SAIL holds; the figures, people and mailboxes are invented.
"""

from __future__ import annotations

import datetime
from typing import Any, NotRequired, TypedDict

from access.models import Organisation, Role


class PanelSpec(TypedDict):
    slug: str
    name: str
    track_kind: str
    description: str
    quorum: int
    decision_rule: str
    min_independent_votes: int
    min_lay_votes: int
    blind_first_round: bool
    members: list[tuple[str, bool]]  # (username, chair?)


# (name, description, data type, can identify a person?, sensitive category?)
VariableSpec = tuple[str, str, str, bool | int, bool | int]


class DatasetSpec(TypedDict):
    slug: str
    title: str
    provider: str
    description: str
    coverage: tuple[int | None, int | None]  # (first year, last year)
    population: str
    collection_method: str
    sensitivity: str
    analysts: tuple[str | None, str | None]  # (primary, backup)
    asset_owner: str | None
    contact: str
    synthetic: NotRequired[str]
    variables: list[VariableSpec]
    dea: NotRequired[bool]


class CategorySpec(TypedDict):
    dataset: str
    by: str
    terms: dict[str, Any]
    revisions: NotRequired[list[dict[str, Any]]]
    retire: NotRequired[str]


DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  (a published demo password, never a real secret)

ORGANISATIONS = [
    {
        "slug": "dhcw",
        "name": "Digital Health and Care Wales",
        "kind": Organisation.Kind.DATA_PROVIDER,
        "sector": "NHS",
        "has_health_service_functions": True,
        "website": "https://dhcw.nhs.wales",
    },
    {
        "slug": "public-health-wales",
        "name": "Public Health Wales",
        "kind": Organisation.Kind.DATA_PROVIDER,
        "sector": "NHS",
        "has_health_service_functions": True,
        "website": "https://phw.nhs.wales",
    },
    {
        "slug": "welsh-government",
        "name": "Welsh Government",
        "kind": Organisation.Kind.DATA_PROVIDER,
        "sector": "government",
        "has_health_service_functions": False,
        "website": "https://www.gov.wales",
    },
    {
        "slug": "ons",
        "name": "Office for National Statistics",
        "kind": Organisation.Kind.DATA_PROVIDER,
        "sector": "government",
        "has_health_service_functions": False,
        "website": "https://www.ons.gov.uk",
    },
    {
        "slug": "medr",
        "name": "Medr (Commission for Tertiary Education and Research)",
        "kind": Organisation.Kind.DATA_PROVIDER,
        "sector": "government",
        "has_health_service_functions": False,
        "website": "https://www.medr.cymru",
    },
    {
        # A local authority: it has adult social care functions, so the DEA research power
        # does not reach its data in this model.
        "slug": "cardiff-council",
        "name": "Cardiff Council",
        "kind": Organisation.Kind.DATA_PROVIDER,
        "sector": "local government",
        "has_health_service_functions": True,
        "website": "https://www.cardiff.gov.uk",
    },
    {
        "slug": "swansea-university",
        "name": "Swansea University",
        "kind": Organisation.Kind.RESEARCH,
        "sector": "academic",
        "has_health_service_functions": False,
        "website": "https://www.swansea.ac.uk",
        "security_assurance": "ISO/IEC 27001 certificate",
        "security_assurance_reference": "IS 712345",
    },
    {
        "slug": "cardiff-university",
        "name": "Cardiff University",
        "kind": Organisation.Kind.RESEARCH,
        "sector": "academic",
        "has_health_service_functions": False,
        "website": "https://www.cardiff.ac.uk",
        "security_assurance": "ISO/IEC 27001 certificate",
        "security_assurance_reference": "IS 698877",
    },
]

# username, full name, email, affiliation slug, roles, data-owner-of slug, what to try
USERS = [
    (
        "rhian.researcher",
        "Dr Rhian Morgan",
        "rhian.morgan@swansea-university.example",
        "swansea-university",
        [Role.RESEARCHER],
        None,
        "Browse the catalogue; apply as principal investigator",
    ),
    (
        "tomos.researcher",
        "Tomos Price",
        "tomos.price@cardiff-university.example",
        "cardiff-university",
        [Role.RESEARCHER],
        None,
        "Join Rhian's project as a team member",
    ),
    (
        "aled.analyst",
        "Aled Jones",
        "aled.jones@tre.example",
        "swansea-university",
        [Role.ANALYST],
        None,
        "Primary analyst for the health datasets; scope projects",
    ),
    (
        "bethan.analyst",
        "Bethan Evans",
        "bethan.evans@tre.example",
        "swansea-university",
        [Role.ANALYST],
        None,
        "Primary analyst for education, census and social data",
    ),
    (
        "gwen.reviewer",
        "Gwen Thomas",
        "gwen.thomas@tre.example",
        "swansea-university",
        [Role.REVIEWER],
        None,
        "Internal review before the panel; consolidated feedback",
    ),
    (
        "owain.ops",
        "Owain Hughes",
        "owain.hughes@tre.example",
        "swansea-university",
        [Role.OPS],
        None,
        "Create and edit datasets and variables (POST /api/v1/datasets/)",
    ),
    (
        "nia.accreditation",
        "Nia Roberts",
        "nia.roberts@tre.example",
        "swansea-university",
        [Role.ACCREDITATION_OFFICER],
        None,
        "Record safe-researcher training and DEA accreditation",
    ),
    (
        "ffion.checker",
        "Ffion Evans",
        "ffion.evans@tre.example",
        "swansea-university",
        [Role.OUTPUT_CHECKER],
        None,
        "Check requested outputs for disclosure risk (two checkers per request)",
    ),
    (
        "rhodri.checker",
        "Rhodri Price",
        "rhodri.price@tre.example",
        "swansea-university",
        [Role.OUTPUT_CHECKER],
        None,
        "Check requested outputs for disclosure risk (two checkers per request)",
    ),
    (
        "carys.dhcw",
        "Dr Carys Llewellyn",
        "carys.llewellyn@dhcw.example",
        "dhcw",
        [Role.DATA_OWNER],
        "dhcw",
        "Manage DHCW's pre-approved categories (PEDW, GP, ED, demographics)",
    ),
    (
        "huw.welshgov",
        "Huw Davies",
        "huw.davies@gov-wales.example",
        "welsh-government",
        [Role.DATA_OWNER],
        "welsh-government",
        "Manage Welsh Government's categories (school census, WIMD, care)",
    ),
    (
        "sarah.ons",
        "Sarah Patel",
        "sarah.patel@ons.example",
        "ons",
        [Role.DATA_OWNER],
        "ons",
        "Manage ONS categories; try editing a DHCW one (403)",
    ),
]

# Five panel members; the two lay members (members of the public, who sit on the consumer panel
# too) are independent.
PANEL_MEMBERS = [
    ("elin.panel", "Prof. Elin Griffiths", "Public health academic", False),
    ("david.panel", "Dr David Rees", "Public Health Wales representative", False),
    ("mair.panel", "Mair Williams", "British Medical Association representative", False),
    ("gareth.panel", "Gareth Lewis", "Lay member, consumer panel", True),
    ("sian.panel", "Siân Powell", "Lay member, consumer panel", True),
]

# The panels and who sits on them: (username, chair?). Lay seats (lay members are independent)
# come from PANEL_MEMBERS. The IGRP decides by majority with a quorum of three, one vote from a
# lay member, and a blind first round (nobody sees another vote before voting and the quorum
# having voted); the DEA panel needs three votes with at least one independent, as the DEA
# accreditation rules require. The consumer panel reviews no track: teams ask it for a
# consultation on their project and it gives written feedback (public involvement).
PANELS: list[PanelSpec] = [
    {
        "slug": "igrp",
        "name": "Independent Governance Review Panel",
        "track_kind": "igrp",
        "description": (
            "Judges each project's privacy risk and public interest: representatives of "
            "professional and regulatory bodies and members of the public."
        ),
        "quorum": 3,
        "decision_rule": "majority",
        "min_independent_votes": 1,
        "min_lay_votes": 1,
        "blind_first_round": True,
        "members": [
            ("elin.panel", True),
            ("david.panel", False),
            ("mair.panel", False),
            ("gareth.panel", False),
            ("sian.panel", False),
        ],
    },
    {
        "slug": "dea",
        "name": "DEA accreditation panel",
        "track_kind": "dea_panel",
        "description": "Accredits projects using data shared under the Digital Economy Act.",
        "quorum": 3,
        "decision_rule": "majority",
        "min_independent_votes": 1,
        "min_lay_votes": 0,
        "blind_first_round": False,
        "members": [("david.panel", True), ("mair.panel", False), ("sian.panel", False)],
    },
    {
        "slug": "consumer-panel",
        "name": "Consumer Panel",
        "track_kind": "consumer_panel",
        "description": (
            "Members of the public who advise research teams on projects likely to be of high "
            "public interest, from design to output."
        ),
        "quorum": 1,
        "decision_rule": "majority",
        "min_independent_votes": 0,
        "min_lay_votes": 0,
        "blind_first_round": False,
        "members": [("sian.panel", True), ("gareth.panel", False)],
    },
]

# People who sign the data access agreement for their institution (no global role needed).
# Identity (docs/identity.md): a user manager Swansea delegated to confirm its people, and a
# person who registered and waits for Swansea's confirmation.
USER_MANAGER = ("gwen.usermanager", "Gwen Williams", "swansea-university")
NEWCOMER = ("ffion.newcomer", "Ffion Davies", "swansea-university")

SIGNATORIES = [
    ("dylan.signatory", "Dylan Hopkins", "swansea-university", "Research governance office"),
    ("anwen.signatory", "Anwen Jenkins", "cardiff-university", "Research contracts office"),
]

# The data access agreement every member and the institution's signatory accept.
AGREEMENT = {
    "title": "TRE data access agreement",
    "body": (
        "1. I will use the data only for the approved project and only inside the trusted "
        "research environment; I will not copy, download or attempt to re-identify anyone.\n"
        "2. I will request every output through disclosure control and publish only aggregate "
        "results that pass it (no cell below the minimum count).\n"
        "3. I will keep my accreditation valid for as long as I have access, and tell the TRE "
        "at once of any breach or suspected breach.\n"
        "4. My institution accepts responsibility for my use of the data under this agreement."
    ),
}

# Accreditations already held (issued on, days ago): Rhian holds safe-researcher training and
# full DEA accreditation; Tomos holds none, so a project naming him shows accreditation running
# in parallel with the review.
ACCREDITATIONS = [
    ("rhian.researcher", "safe_researcher", "ONS Safe Researcher Training", "SRT-2025-04417", 600),
    ("rhian.researcher", "dea_full", "UK Statistics Authority", "DEA-AR-2025-1187", 600),
]

ADMIN = ("admin", "Demo Administrator", "admin@tre.example")

ALF = ("alf_pe", "Anonymised Linking Field: the person's pseudonym, encrypted per project", "code")
WOB = ("wob", "Week of birth (the Monday of the week the person was born)", "date")
SEX = ("gndr_cd", "Sex as recorded (1 male, 2 female, 9 not known)", "code")
LSOA = ("lsoa2011_cd", "Lower-layer super output area of residence (2011 boundaries)", "code")

# Each variable: (name, description, data_type, identifying, sensitive category)
DATASETS: list[DatasetSpec] = [
    {
        "slug": "pedw",
        "title": "Patient Episode Database for Wales (PEDW)",
        "provider": "dhcw",
        "description": (
            "Every admission to an NHS hospital in Wales and to English hospitals for Welsh "
            "residents: episodes and spells with diagnoses and procedures."
        ),
        "coverage": (1999, None),
        "population": "Inpatients and day cases treated by NHS Wales",
        "collection_method": "Routine hospital administration returns, coded by clinical coders",
        "sensitivity": "pseudonymised",
        "analysts": ("aled.analyst", "bethan.analyst"),
        "asset_owner": "carys.dhcw",
        "contact": "pedw-data@dhcw.example",
        "synthetic": "https://tre.example/synthetic/pedw.csv",
        "variables": [
            (*ALF, True, False),
            (*WOB, True, False),
            (*SEX, False, False),
            (*LSOA, False, False),
            ("admis_dt", "Date of admission", "date", False, False),
            ("disch_dt", "Date of discharge", "date", False, False),
            ("admis_mthd_cd", "Method of admission (elective, emergency, ...)", "code", 0, 0),
            ("spell_dur", "Length of the hospital spell in days", "integer", False, False),
            ("diag_cd_1234", "Primary diagnosis (ICD-10, four characters)", "code", 0, 1),
            ("oper_cd", "Main procedure (OPCS-4)", "code", False, True),
        ],
    },
    {
        "slug": "wlgp",
        "title": "Welsh Longitudinal General Practice dataset (WLGP)",
        "provider": "dhcw",
        "description": (
            "Primary care records from participating GP practices in Wales: diagnoses, "
            "symptoms, test results and prescriptions as Read codes."
        ),
        "coverage": (2000, None),
        "population": "Patients of the roughly 80% of Welsh GP practices that take part",
        "collection_method": "Extracted from practice systems under data-sharing agreements",
        "sensitivity": "pseudonymised",
        "analysts": ("aled.analyst", "bethan.analyst"),
        "asset_owner": "carys.dhcw",
        "contact": "gp-data@dhcw.example",
        "variables": [
            (*ALF, True, False),
            (*WOB, True, False),
            (*SEX, False, False),
            ("prac_cd_pe", "Pseudonymised GP practice", "code", False, False),
            ("event_cd", "Read code (version 2) of the clinical event", "code", False, True),
            ("event_dt", "Date of the clinical event", "date", False, False),
            ("event_val", "Value recorded with the event (e.g. a test result)", "decimal", 0, 1),
        ],
    },
    {
        "slug": "edds",
        "title": "Emergency Department Data Set (EDDS)",
        "provider": "dhcw",
        "description": "Attendances at major emergency departments and minor injury units.",
        "coverage": (2009, None),
        "population": "People attending emergency departments in Wales",
        "collection_method": "Routine returns from emergency department systems",
        "sensitivity": "pseudonymised",
        "analysts": ("aled.analyst", "bethan.analyst"),
        "asset_owner": "carys.dhcw",
        "contact": "edds-data@dhcw.example",
        "variables": [
            (*ALF, True, False),
            ("arr_dt", "Date of arrival", "date", False, False),
            ("arr_mode_cd", "Mode of arrival (ambulance, own transport, ...)", "code", 0, 0),
            ("age_at_arr", "Age in years at arrival", "integer", False, False),
            ("diag_cd", "Emergency care diagnosis", "code", False, True),
            ("disposal_cd", "Where the patient went next", "code", False, False),
        ],
    },
    {
        "slug": "wdsd",
        "title": "Welsh Demographic Service Dataset (WDSD)",
        "provider": "dhcw",
        "description": (
            "Everyone registered with a GP in Wales, with registration history and area of "
            "residence: the population spine that other datasets link to."
        ),
        "coverage": (1990, None),
        "population": "Everyone registered with a GP practice in Wales",
        "collection_method": "The Welsh Demographic Service registration system",
        "sensitivity": "pseudonymised",
        "analysts": ("aled.analyst", "bethan.analyst"),
        "asset_owner": "carys.dhcw",
        "contact": "wds-data@dhcw.example",
        "synthetic": "https://tre.example/synthetic/wdsd.csv",
        "variables": [
            (*ALF, True, False),
            (*WOB, True, False),
            (*SEX, False, False),
            (*LSOA, False, False),
            ("ralf_pe", "Residential anonymised linking field (household)", "code", True, 0),
            ("start_date", "Start of this registration or address", "date", False, False),
            ("end_date", "End of this registration or address", "date", False, False),
        ],
    },
    {
        "slug": "ncch",
        "title": "National Community Child Health Database (NCCH)",
        "provider": "public-health-wales",
        "description": (
            "Births, child health surveillance and immunisations for children in Wales, "
            "linked to the mother."
        ),
        "coverage": (1987, None),
        "population": "Children born or resident in Wales",
        "collection_method": "Community child health systems of the health boards",
        "sensitivity": "pseudonymised",
        "analysts": ("aled.analyst", None),
        "asset_owner": None,
        "contact": "child-health-data@phw.example",
        "variables": [
            (*ALF, True, False),
            (*WOB, True, False),
            ("mat_alf_pe", "Mother's anonymised linking field", "code", True, False),
            ("birth_weight", "Birth weight in grams", "integer", False, True),
            ("gest_age", "Gestational age in weeks", "integer", False, True),
            ("breastfed_at_birth", "Breastfeeding at birth", "boolean", False, False),
            ("immunisation_cd", "Immunisation given", "code", False, True),
        ],
    },
    {
        "slug": "plasc",
        "title": "Pupil Level Annual School Census (PLASC)",
        "provider": "welsh-government",
        "description": (
            "An annual census of pupils in maintained schools in Wales: year group, free "
            "school meals, special educational needs, ethnicity and language."
        ),
        "coverage": (2004, None),
        "population": "Pupils in maintained schools in Wales",
        "collection_method": "Statutory return by schools each January",
        "sensitivity": "pseudonymised",
        "dea": True,
        "analysts": ("bethan.analyst", "aled.analyst"),
        "asset_owner": "huw.welshgov",
        "contact": "schools-data@gov-wales.example",
        "synthetic": "https://tre.example/synthetic/plasc.csv",
        "variables": [
            (*ALF, True, False),
            ("acad_year", "Academic year of the census", "integer", False, False),
            ("year_group", "National curriculum year group", "code", False, False),
            ("fsm_flag", "Eligible for free school meals", "boolean", False, False),
            ("sen_provision", "Special educational needs provision", "code", False, True),
            ("ethnicity", "Ethnic background", "code", False, True),
            ("welsh_speaker", "Speaks Welsh fluently at home", "boolean", False, False),
            ("school_cd_pe", "Pseudonymised school", "code", False, False),
        ],
    },
    {
        "slug": "crcs",
        "title": "Children Receiving Care and Support Census (CRCS)",
        "provider": "welsh-government",
        "description": (
            "Children receiving care and support from social services, including looked-after "
            "children and those on the child protection register."
        ),
        "coverage": (2016, None),
        "population": "Children with a care and support plan in Wales",
        "collection_method": "Annual return by local authorities to Welsh Government",
        "sensitivity": "pseudonymised",
        "dea": True,
        "analysts": ("bethan.analyst", "aled.analyst"),
        "asset_owner": "huw.welshgov",
        "contact": "social-care-data@gov-wales.example",
        "variables": [
            (*ALF, True, False),
            ("census_year", "Year of the census", "integer", False, False),
            ("looked_after", "Looked after by the local authority", "boolean", False, True),
            ("child_protection", "On the child protection register", "boolean", False, True),
            ("disability_flag", "Has a disability", "boolean", False, True),
            ("category_of_need", "Main category of need", "code", False, True),
        ],
    },
    {
        "slug": "wimd-2019",
        "title": "Welsh Index of Multiple Deprivation 2019 (WIMD)",
        "provider": "welsh-government",
        "description": (
            "Official measure of relative deprivation for small areas in Wales, overall and by "
            "domain. Area-level only: no individuals."
        ),
        "coverage": (2019, 2019),
        "population": "All 1,909 lower-layer super output areas in Wales",
        "collection_method": "Published by Welsh Government from administrative indicators",
        "sensitivity": "anonymous",
        "analysts": ("bethan.analyst", "aled.analyst"),
        "asset_owner": "huw.welshgov",
        "contact": "stats.inclusion@gov-wales.example",
        "variables": [
            (*LSOA, False, False),
            ("wimd_rank", "Overall WIMD rank (1 is most deprived)", "integer", False, False),
            ("income_rank", "Income domain rank", "integer", False, False),
            ("employment_rank", "Employment domain rank", "integer", False, False),
            ("health_rank", "Health domain rank", "integer", False, False),
            ("education_rank", "Education domain rank", "integer", False, False),
            ("housing_rank", "Housing domain rank", "integer", False, False),
        ],
    },
    {
        "slug": "census-2021-wales",
        "title": "Census 2021 (Wales), linked",
        "provider": "ons",
        "description": (
            "Person records from the 2021 Census for usual residents of Wales, linked to the "
            "population spine: household, health, ethnicity, religion, work and qualifications."
        ),
        "coverage": (2021, 2021),
        "population": "Usual residents of Wales on Census Day, 21 March 2021",
        "collection_method": "Census of population (mostly online returns)",
        "sensitivity": "pseudonymised",
        "dea": True,
        "analysts": ("bethan.analyst", "aled.analyst"),
        "asset_owner": "sarah.ons",
        "contact": "census-linkage@ons.example",
        "variables": [
            (*ALF, True, False),
            ("age", "Age in years on Census Day", "integer", False, False),
            ("sex", "Sex", "code", False, False),
            ("ethnic_group", "Ethnic group", "code", False, True),
            ("religion", "Religion", "code", False, True),
            ("general_health", "Self-reported general health", "code", False, True),
            ("economic_activity", "Economic activity status", "code", False, False),
            ("highest_qualification", "Highest level of qualification", "code", False, False),
            ("tenure", "Tenure of the household's accommodation", "code", False, False),
        ],
    },
    {
        "slug": "adde",
        "title": "Annual District Death Extract (ADDE)",
        "provider": "ons",
        "description": (
            "Registered deaths of Welsh residents with underlying and contributing causes."
        ),
        "coverage": (1996, None),
        "population": "Deaths of residents of Wales registered in England and Wales",
        "collection_method": "Death registrations",
        "sensitivity": "pseudonymised",
        "dea": True,
        "analysts": ("aled.analyst", "bethan.analyst"),
        "asset_owner": "sarah.ons",
        "contact": "mortality@ons.example",
        "variables": [
            (*ALF, True, False),
            ("dod", "Date of death", "date", False, False),
            ("age_at_death", "Age at death in years", "integer", False, False),
            ("cause_icd10", "Underlying cause of death (ICD-10)", "code", False, True),
            ("place_of_death_cd", "Place of death (hospital, home, care home, ...)", "code", 0, 0),
        ],
    },
    {
        "slug": "llwr",
        "title": "Lifelong Learning Wales Record (LLWR)",
        "provider": "medr",
        "description": (
            "Learners in further education, work-based learning and adult community learning "
            "in Wales: programmes, qualifications and outcomes."
        ),
        "coverage": (2002, None),
        "population": "Learners at post-16 providers funded in Wales",
        "collection_method": "Returns from learning providers",
        "sensitivity": "pseudonymised",
        "dea": True,
        "analysts": ("bethan.analyst", None),
        "asset_owner": None,
        "contact": "data@medr.example",
        "variables": [
            (*ALF, True, False),
            ("programme_cd", "Learning programme", "code", False, False),
            ("provider_type", "Type of learning provider", "code", False, False),
            ("start_dt", "Start date", "date", False, False),
            ("end_dt", "End date", "date", False, False),
            ("qualification_level", "Level of the qualification aimed for", "code", 0, 0),
            ("outcome_cd", "Completion and attainment outcome", "code", False, False),
        ],
    },
    {
        "slug": "cardiff-housing",
        "title": "Housing and homelessness applications (Cardiff)",
        "provider": "cardiff-council",
        "description": (
            "Applications to Cardiff Council for housing help and homelessness assistance, "
            "with priority need and the outcome."
        ),
        "coverage": (2015, 2024),
        "population": "Households applying to Cardiff Council for housing help",
        "collection_method": "",
        "sensitivity": "pseudonymised",
        "analysts": ("bethan.analyst", "aled.analyst"),
        "asset_owner": None,
        "contact": "",
        "variables": [
            (*ALF, True, False),
            ("ralf_pe", "Residential anonymised linking field (household)", "code", True, 0),
            ("application_dt", "Date of application", "date", False, False),
            ("priority_need_cd", "Priority need category", "code", False, True),
            ("household_type", "Household type", "code", False, False),
            ("outcome_cd", "Outcome of the application", "code", False, False),
            ("temp_accom_days", "Days in temporary accommodation", "integer", False, False),
        ],
    },
]

# Categories are written through the catalogue services by the dataset's data owner.
# "revisions" are applied in order (each writes a new version); "retire" retires it.
CATEGORIES: list[CategorySpec] = [
    {
        "dataset": "pedw",
        "by": "carys.dhcw",
        "terms": {
            "title": "Hospital activity for service planning",
            "description": (
                "Trends in admissions and length of stay for planning NHS services in Wales, "
                "without diagnoses."
            ),
            "permitted_purposes": ["service_evaluation", "health_research"],
            "max_sensitivity": "pseudonymised",
            "permitted_variables": [
                "gndr_cd",
                "lsoa2011_cd",
                "admis_dt",
                "disch_dt",
                "admis_mthd_cd",
                "spell_dur",
            ],
            "outputs_allowed": "aggregate_only",
            "conditions": (
                "No comparison of named hospitals or health boards: provider agreements forbid "
                "performance-managing identifiable organisations."
            ),
            "valid_from": datetime.date(2023, 4, 1),
            "valid_until": datetime.date(2026, 3, 31),
        },
        "revisions": [
            {
                "title": "Hospital activity for service planning (with diagnosis chapter)",
                "permitted_variables": [
                    "gndr_cd",
                    "lsoa2011_cd",
                    "admis_dt",
                    "disch_dt",
                    "admis_mthd_cd",
                    "spell_dur",
                    "diag_cd_1234",
                ],
                "valid_from": datetime.date(2025, 4, 1),
                "valid_until": datetime.date(2028, 3, 31),
            }
        ],
    },
    {
        "dataset": "wlgp",
        "by": "carys.dhcw",
        "terms": {
            "title": "Chronic disease epidemiology",
            "description": "Prevalence, incidence and management of long-term conditions.",
            "permitted_purposes": ["health_research"],
            "max_sensitivity": "pseudonymised",
            "all_non_identifying_variables": True,
            "outputs_allowed": "aggregate_and_models",
            "conditions": "Results reported at national or health-board level only.",
            "valid_from": datetime.date(2024, 1, 1),
        },
    },
    {
        "dataset": "plasc",
        "by": "huw.welshgov",
        "terms": {
            "title": "Educational attainment and inequality",
            "description": (
                "How attainment and progression differ by deprivation, additional learning "
                "needs and language, to inform education policy in Wales."
            ),
            "permitted_purposes": ["public_policy", "social_economic_trends"],
            "max_sensitivity": "pseudonymised",
            "all_non_identifying_variables": True,
            "outputs_allowed": "aggregate_and_models",
            "valid_from": datetime.date(2022, 9, 1),
        },
        "revisions": [
            {
                "permitted_purposes": ["public_policy", "social_economic_trends", "replication"],
                "conditions": "Published outputs acknowledge Welsh Government as data source.",
            }
        ],
    },
    {
        "dataset": "wimd-2019",
        "by": "huw.welshgov",
        "terms": {
            "title": "Area deprivation as a covariate",
            "description": "Linking small-area deprivation to other datasets for adjustment.",
            "permitted_purposes": [
                "public_policy",
                "health_research",
                "social_economic_trends",
                "research_quality",
            ],
            "max_sensitivity": "anonymous",
            "all_non_identifying_variables": True,
            "outputs_allowed": "aggregate_models_and_code",
            "valid_from": datetime.date(2020, 1, 1),
        },
    },
    {
        "dataset": "census-2021-wales",
        "by": "sarah.ons",
        "terms": {
            "title": "Population health and social circumstances",
            "description": "Health and social circumstances of the Welsh population in 2021.",
            "permitted_purposes": ["public_policy", "health_research"],
            "max_sensitivity": "pseudonymised",
            "all_non_identifying_variables": True,
            "outputs_allowed": "aggregate_only",
            "valid_from": datetime.date(2023, 6, 1),
        },
        "retire": (
            "Withdrawn when the linkage agreement was renewed: census projects now need ONS "
            "sign-off one by one."
        ),
    },
    {
        "dataset": "adde",
        "by": "sarah.ons",
        "terms": {
            "title": "Replicating official mortality statistics",
            "description": "Reproducing and checking published mortality statistics for Wales.",
            "permitted_purposes": ["replication", "research_quality"],
            "max_sensitivity": "pseudonymised",
            "permitted_variables": ["dod", "age_at_death", "cause_icd10", "place_of_death_cd"],
            "outputs_allowed": "aggregate_only",
            "valid_from": datetime.date(2024, 1, 1),
            "valid_until": datetime.date(2027, 12, 31),
        },
    },
]
