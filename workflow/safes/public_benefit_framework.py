# ruff: noqa: E501 (verbatim source text: lines are as long as its sentences)
"""The public-benefit framework, as the source states it (seeds §4: the 004 "Data for Public
Benefit" report, the 003 Involve briefing and the 002 CDEI trust matrix).

Every question, factor, anchor and dimension below is quoted verbatim, with its source line, so
the audit record shows exactly what people answered. The grammar slip in question 1.1
("individual's whose") is the source's; ``display`` gives the corrected wording for screens.
Generated once from /work/shared/reference/seeds.md §4 and checked by tests; edit by hand only
to follow a new version of the framework.
"""

from __future__ import annotations

# The three tests (004, §4.1 of the seeds). Each factor is rated met / partly / not met / n/a
# with a narrative; the key questions are prompts.
TESTS: dict[str, dict] = {
    "purposeful": {
        "label": "Purposeful",
        "intro": "When the purpose of a proposed use or sharing of data is clearly defined, and presented transparently, participants more readily accepted it.",
        "factors": [
            {
                "id": "PU-1",
                "factor": "That the use of data provides direct and tangible benefits to individuals.",
                "definition": "provides direct and tangible benefits to individuals",
                "questions": "In what circumstances does the benefit offered outweigh the incursion on privacy? Are there circumstances in which the use of personal data without consent presents such a minimal harm to an individual's privacy that the incursion is justified?",
                "source": "004_e72b3bb1269c7be8.txt:868",
            },
            {
                "id": "PU-2",
                "factor": "That the use of data delivers positive social outcomes.",
                "definition": "delivers positive social outcomes (eg reducing social isolation, reducing inequalities or supporting local area regeneration)",
                "questions": "Is the way data is shared and used making a direct contribution to these outcomes? Would the public recognise these outcomes as acceptable uses of data held about them? At what point do initiatives that may benefit the majority, but have the potential to have a negative impact on other sectors of society, become unacceptable?",
                "source": "004_e72b3bb1269c7be8.txt:874",
            },
            {
                "id": "PU-3",
                "factor": "That the use of data impacts on multiple beneficiaries such as individuals, services and the wider public.",
                "definition": "impacts on multiple beneficiaries eg on individuals, services and the wider public",
                "questions": "Who are the beneficiaries of this exercise and how much, proportionally, do they benefit? How ready are the public to recognise uses of personal data that appear, particularly in the short term, to primarily benefit service providers as delivering wider public benefits?",
                "source": "004_e72b3bb1269c7be8.txt:880",
            },
            {
                "id": "PU-4",
                "factor": "That the purpose aligns with what the public would expect.",
                "definition": "aligns with public expectations and does not overstep the boundaries of what the public could reasonably expect data they had provided to be used for",
                "questions": "How aware are the public that data held about them could be used for secondary purposes? Is it reasonable to expect that data collected by public service organisations may be used for this purpose? Was the information initially provided in a context in which the public would expect it to be kept confidential?",
                "source": "004_e72b3bb1269c7be8.txt:886",
            },
            {
                "id": "PU-5",
                "factor": "The nature of the problem being addressed.",
                "definition": "addresses a significant social problem ie when the initiative tackled important and complex social problems that other methods had failed to resolve",
                "questions": "Are the potential benefits to individuals worth breaching individual privacy? Can this problem be addressed better without sharing personal data? Will wider society, if not the individuals involved, accept this type of activity as one delivering public benefits?",
                "source": "004_e72b3bb1269c7be8.txt:892",
            },
            {
                "id": "PU-6",
                "factor": "That the use of data achieves long-term impacts.",
                "definition": "achieves long-term impacts by addressing the root-causes of problems (for individuals or wider social issues)",
                "questions": "Is this use of data getting to the root cause of the problem or addressing its symptoms? Can it contribute to long-term social change? Is the short-term risk to services from using data in this way worth the long-term gain?",
                "source": "004_e72b3bb1269c7be8.txt:902",
            },
            {
                "id": "PU-7",
                "factor": "That the use of data minimises negative effects.",
                "definition": "minimises negative effects (intended or unintended) for individuals and groups eg through excessive incursions into privacy; punitive action; stigmatisation/discrimination; or the diversion of resources from one area/sector of the population.",
                "questions": "Do any potential negative consequences outweigh potential benefits? Are there ways to minimise negative effects? If not, are the expected benefits to individuals, groups within society or services themselves worth accepting the negative public response that may result?",
                "source": "004_e72b3bb1269c7be8.txt:910",
            },
        ],
    },
    "proportionate": {
        "label": "Proportionate",
        "intro": "That data use should be proportional relative to its intended outcome",
        "factors": [
            {
                "id": "PR-1",
                "factor": "That the data use minimises the amount of data shared.",
                "definition": "actively minimises the amount of data needing to be shared",
                "questions": "Is all the data shared/linked strictly necessary for the intended purpose?",
                "source": "004_e72b3bb1269c7be8.txt:920",
            },
            {
                "id": "PR-2",
                "factor": "Whether there is a need for personally identifiable data to be shared in order to achieve the intended outcome.",
                "definition": "considers whether personally identifiable data is necessary to achieve the goal",
                "questions": "Is the data being shared personally identifiable? Does it need to be? Would there be another way of achieving the desired outcomes without using personally identifiable information?",
                "source": "004_e72b3bb1269c7be8.txt:926",
            },
            {
                "id": "PR-3",
                "factor": "Clear parameters for data use.",
                "definition": "has clear parameters in order to protect against 'mission creep' and the risk of data being used for purposes other than which it was provided or shared",
                "questions": "Are there clear restrictions on what this data can be used for? Are the people who have access to the data aware of these limitations? Is access, particularly to personally identifiable data, restricted to a ‘need-to-know’ basis?",
                "source": "004_e72b3bb1269c7be8.txt:932",
            },
            {
                "id": "PR-4",
                "factor": "The likelihood of risks being realised.",
                "definition": "considers the likelihood of risks being realised and balances the severity of a potential negative impact against this ie that the existence of even a significant risk should not automatically discount an opportunity being pursued",
                "questions": "How likely were potential negative impacts? How confident were they that the risks associated with a particular use of data could be effectively mitigated? On balance, was the proposed use still desirable?",
                "source": "004_e72b3bb1269c7be8.txt:940",
            },
            {
                "id": "PR-5",
                "factor": "The sensitivity of the data being used.",
                "definition": "considers the sensitivity of the data being used and whether sensitive personal data is needed.",
                "questions": "Is this specific type of data needed to achieve the identified purpose? Are there any particular reasons to consider this type of data more sensitive than other forms of data in this context? Are there sufficient protections in place to minimise the risk of harm to individuals from the use of this type of data?",
                "source": "004_e72b3bb1269c7be8.txt:946",
            },
        ],
    },
    "responsible": {
        "label": "Responsible",
        "intro": "To be a justifiable use of public resources, participants noted that the benefits likely to be achieved by a particular use of data have to be balanced against not just the risks, but the overall ‘costs’ involved in delivery.",
        "factors": [
            {
                "id": "RE-1",
                "factor": "That it is a ‘good’ use of data.",
                "definition": "is a 'good' use of data ie is a more efficient and effective way to add significant value to decision making or policy implementation than other approaches",
                "questions": "Is the data service providers have access to reliable, complete and timely? Is the use of personal data about service users or the wider public the ‘best’ way to achieve the desired ends?",
                "source": "004_e72b3bb1269c7be8.txt:962",
            },
            {
                "id": "RE-2",
                "factor": "That data can be used and shared securely.",
                "definition": "has effective measures in place to ensure that the data can be used and shared securely",
                "questions": "Are the proposals fully compliant with current data protection regulations? Are there sufficient data governance procedures in place to ensure that security risks are minimised? What more could be done to mitigate security and/or privacy concerns?",
                "source": "004_e72b3bb1269c7be8.txt:970",
            },
            {
                "id": "RE-3",
                "factor": "That the use of data will deliver the intended outcomes.",
                "definition": "will deliver the intended outcomes",
                "questions": "Does the hypothesis underpinning the rationale for data sharing ‘ring true’? Does using data in this way expose an organisation to additional risks if the expected benefits from the use of data are not realised?",
                "source": "004_e72b3bb1269c7be8.txt:982",
            },
            {
                "id": "RE-4",
                "factor": "That the use of data is justifiable.",
                "definition": "was justifiable ie that service providers could demonstrate that they had considered the potential impacts, done what they could to mitigate negative consequences, and ultimately determined that the benefits outweighed the potential for harm",
                "questions": "Can the service demonstrate that they had considered the potential impacts, done whatever they could to mitigate negative consequences, and ultimately determined that the benefits – to service providers, individuals and/or the wider public – outweighed the potential harm the initiative could cause?",
                "source": "004_e72b3bb1269c7be8.txt:988",
            },
            {
                "id": "RE-5",
                "factor": "That the use of data is defensible.",
                "definition": "is defensible ie that a service provider would be able, and willing, to make a publically acceptable defence of their decision to use data in a particular way if challenged.",
                "questions": "Will this deliver substantial benefits to the public? Are there ways for public service providers to minimise the risks it poses? Are we, as public service providers able, and willing, defend our decision to use data this way in the face of challenges?",
                "source": "004_e72b3bb1269c7be8.txt:997",
            },
        ],
    },
}

FACTOR_RATINGS = ("met", "partly", "not_met", "n_a")

# The five key features of public benefit (004:1035-1041), short labels from 003:82.
FEATURES: dict[int, str] = {
    1: "High quality service delivery",
    2: "Benefit to wider public",
    3: "Respects the individual",
    4: "Supports effective use of public resources",
    5: "Creates tangible benefits",
}

# The 18-question scale (004:1047-1116; the lost left anchors of 5.1-5.4 from 003:288-291).
# Scored 1 (left anchor) to 5 (right anchor), or not applicable with a reason.
SCALE: list[dict] = [
    {
        "id": "1.1",
        "feature": 1,
        "question": "Does the individual's whose data is being used directly benefit from improved service provision?",
        "left": "No direct benefit provided to the individual",
        "right": "Clear and direct benefits provided to the individual",
        "source": "004_e72b3bb1269c7be8.txt:1050",
    },
    {
        "id": "1.2",
        "feature": 1,
        "question": "Is the use of data able to deliver long term, life changing benefits to individuals?",
        "left": "Unlikely to deliver long-term benefits",
        "right": "Very likely to deliver long-term benefits",
        "source": "004_e72b3bb1269c7be8.txt:1051",
    },
    {
        "id": "1.3",
        "feature": 1,
        "question": "Will the use of data have punitive impacts on individuals?",
        "left": "High risk of punitive impacts for individuals",
        "right": "Very low risk of punitive impacts",
        "source": "004_e72b3bb1269c7be8.txt:1052",
    },
    {
        "id": "1.4",
        "feature": 1,
        "question": "What is the risk that individuals or communities will suffer unintended negative consequences as a result of the data sharing i.e. as a result of stigma, discrimination or inappropriate targeting?",
        "left": "High risk of unintended negative consequences",
        "right": "Very low risk of unintended negative consequences",
        "source": "004_e72b3bb1269c7be8.txt:1053",
    },
    {
        "id": "2.1",
        "feature": 2,
        "question": "Does the use of data deliver wider social benefits?",
        "left": "The benefits are just for individuals",
        "right": "There are multiple types of beneficiaries",
        "source": "004_e72b3bb1269c7be8.txt:1054",
    },
    {
        "id": "2.2",
        "feature": 2,
        "question": "Does the initiative address the root causes of social problems/issues?",
        "left": "The approach addresses the symptoms",
        "right": "It addresses the root cause",
        "source": "004_e72b3bb1269c7be8.txt:1055",
    },
    {
        "id": "2.3",
        "feature": 2,
        "question": "Can the use of data inform strategic service changes in ways that could have significant impacts on both public service providers and community wellbeing in the future?",
        "left": "Limited strategic value to inform service changes",
        "right": "High strategic value to inform service changes",
        "source": "004_e72b3bb1269c7be8.txt:1056",
    },
    {
        "id": "3.1",
        "feature": 3,
        "question": "Is only data that is necessary to achieve the purpose being shared?",
        "left": "Wide data sets shared without filtering",
        "right": "Sharing strictly limited to necessary data",
        "source": "004_e72b3bb1269c7be8.txt:1066",
    },
    {
        "id": "3.2",
        "feature": 3,
        "question": "Does the use of data respect the privacy of the individual data subject?",
        "left": "Data routinely shared in personally identifiable forms",
        "right": "Data anonymised where possible and/or proactive steps taken to reduce privacy intrusions",
        "source": "004_e72b3bb1269c7be8.txt:1072",
    },
    {
        "id": "3.3",
        "feature": 3,
        "question": "If data is being shared without consent, is it practical to gain informed consent without compromising the value of the data?",
        "left": "No efforts have been made to seek consent",
        "right": "Gaining informed consent is not viable",
        "source": "004_e72b3bb1269c7be8.txt:1078",
    },
    {
        "id": "3.4",
        "feature": 3,
        "question": "Could the public reasonably expect data about them to be used for this purpose?",
        "left": "Very unlikely to expect data to be used this way",
        "right": "Very likely to expect data to be used this way",
        "source": "004_e72b3bb1269c7be8.txt:1084",
    },
    {
        "id": "3.5",
        "feature": 3,
        "question": "How compatible is this use with the reason the data was originally collected?",
        "left": "Very incompatible",
        "right": "Very compatible",
        "source": "004_e72b3bb1269c7be8.txt:1090",
    },
    {
        "id": "4.1",
        "feature": 4,
        "question": "Does the use of data enable the delivery of 'better' public services, able to respond to what the majority of people need/want?",
        "left": "Unlikely to lead to more responsive service provision",
        "right": "Likely to deliver better, more responsive public services",
        "source": "004_e72b3bb1269c7be8.txt:1098",
    },
    {
        "id": "4.2",
        "feature": 4,
        "question": "Does the use of data enable strategic planning that will deliver long-term efficiencies?",
        "left": "Unlikely to deliver efficiency savings",
        "right": "Likely to deliver efficiency savings",
        "source": "004_e72b3bb1269c7be8.txt:1104",
    },
    {
        "id": "5.1",
        "feature": 5,
        "question": "Are the benefits tangible and measurable?",
        "left": "Benefits are difficult to define",
        "right": "Benefits are tangible and measurable",
        "source": "004_e72b3bb1269c7be8.txt:1113",
    },
    {
        "id": "5.2",
        "feature": 5,
        "question": "Are the benefits delivered able to be clearly attributed to the use of data?",
        "left": "Benefits not directly attributable.",
        "right": "Benefits clearly attributable",
        "source": "004_e72b3bb1269c7be8.txt:1114",
    },
    {
        "id": "5.3",
        "feature": 5,
        "question": "Are the benefits able to be clearly communicated to the public?",
        "left": "Will need considerable explanation to demonstrate value to the public",
        "right": "Benefits will be immediately recognisable to the wider public",
        "source": "004_e72b3bb1269c7be8.txt:1115",
    },
    {
        "id": "5.4",
        "feature": 5,
        "question": "Is the organisation able, and willing, to defend their use of data in this way if objections were raised?",
        "left": "Maybe not.",
        "right": "Absolutely",
        "source": "004_e72b3bb1269c7be8.txt:1116",
    },
]

# Help text where the scale is easy to misread (seeds §4.3, UX notes).
HELP: dict[str, str] = {
    "1.1": "Does the individual whose data is being used directly benefit from improved service provision?",
    "3.3": "The right-hand end is the better one: consent was considered and is genuinely not viable.",
}

# Outcome bands of the scale (004:1118-1122), left to right.
BANDS: dict[str, str] = {
    "may_not_be_recognised": "The proposed use of data may not be recognised as delivering public benefits (but may still be justified on different grounds)",
    "some_issues": "Some issues – think about whether there are ways to move answers further to the right",
    "likely": "The proposed use of data is likely to be assessed as delivering 'public benefit'",
}

# Dimensions of benefit, by beneficiary group (004:109-148): a multi-select.
BENEFITS: list[dict] = [
    {
        "id": "BI-1",
        "group": "Individuals",
        "dimension": "Safeguarding",
        "source": "004_e72b3bb1269c7be8.txt:109",
    },
    {
        "id": "BI-2",
        "group": "Individuals",
        "dimension": "Ensuring continuity of care and support",
        "source": "004_e72b3bb1269c7be8.txt:110",
    },
    {
        "id": "BI-3",
        "group": "Individuals",
        "dimension": "Enabling the right services to be offered to individuals at the right time",
        "source": "004_e72b3bb1269c7be8.txt:111",
    },
    {
        "id": "BI-4",
        "group": "Individuals",
        "dimension": "Co-ordinate of interventions and providing an integrated support service",
        "source": "004_e72b3bb1269c7be8.txt:112",
    },
    {
        "id": "BI-5",
        "group": "Individuals",
        "dimension": "Connecting the administrative information held about citizens across departments to simplify and streamline consumer interactions",
        "source": "004_e72b3bb1269c7be8.txt:113",
    },
    {
        "id": "BI-6",
        "group": "Individuals",
        "dimension": "Identification of people who might benefit from a new, or different, service offer",
        "source": "004_e72b3bb1269c7be8.txt:114",
    },
    {
        "id": "BI-7",
        "group": "Individuals",
        "dimension": "Automatically provide citizens with benefits they are entitled to",
        "source": "004_e72b3bb1269c7be8.txt:115",
    },
    {
        "id": "BS-1",
        "group": "Service providers (short-term)",
        "dimension": "Reducing duplication and waste",
        "source": "004_e72b3bb1269c7be8.txt:121",
    },
    {
        "id": "BS-2",
        "group": "Service providers (short-term)",
        "dimension": "Supporting effective, better targeted front-line service delivery",
        "source": "004_e72b3bb1269c7be8.txt:122",
    },
    {
        "id": "BS-3",
        "group": "Service providers (short-term)",
        "dimension": "Directing resource allocation",
        "source": "004_e72b3bb1269c7be8.txt:123",
    },
    {
        "id": "BS-4",
        "group": "Service providers (short-term)",
        "dimension": "Identifying instances of fraud and/or debt",
        "source": "004_e72b3bb1269c7be8.txt:124",
    },
    {
        "id": "BS-5",
        "group": "Service providers (short-term)",
        "dimension": "Monitoring demand and delivery patterns",
        "source": "004_e72b3bb1269c7be8.txt:125",
    },
    {
        "id": "BS-6",
        "group": "Service providers (short-term)",
        "dimension": "Improving levels of customer satisfaction",
        "source": "004_e72b3bb1269c7be8.txt:126",
    },
    {
        "id": "BL-1",
        "group": "Service providers (longer term)",
        "dimension": "Producing local statistics",
        "source": "004_e72b3bb1269c7be8.txt:132",
    },
    {
        "id": "BL-2",
        "group": "Service providers (longer term)",
        "dimension": "Enabling the better monitoring and evaluation of service impacts",
        "source": "004_e72b3bb1269c7be8.txt:133",
    },
    {
        "id": "BL-3",
        "group": "Service providers (longer term)",
        "dimension": "Facilitating evidence based policy and decision making",
        "source": "004_e72b3bb1269c7be8.txt:134",
    },
    {
        "id": "BL-4",
        "group": "Service providers (longer term)",
        "dimension": "Identifying the root causes of problems",
        "source": "004_e72b3bb1269c7be8.txt:135",
    },
    {
        "id": "BL-5",
        "group": "Service providers (longer term)",
        "dimension": "Tracking a service user's journey",
        "source": "004_e72b3bb1269c7be8.txt:136",
    },
    {
        "id": "BL-6",
        "group": "Service providers (longer term)",
        "dimension": "Predicting future service needs",
        "source": "004_e72b3bb1269c7be8.txt:137",
    },
    {
        "id": "BL-7",
        "group": "Service providers (longer term)",
        "dimension": "Testing strategic and service planning hypotheses",
        "source": "004_e72b3bb1269c7be8.txt:138",
    },
    {
        "id": "BL-8",
        "group": "Service providers (longer term)",
        "dimension": "Developing shared outcomes and indicators across service providers",
        "source": "004_e72b3bb1269c7be8.txt:139",
    },
    {
        "id": "BL-9",
        "group": "Service providers (longer term)",
        "dimension": "Increasing public trust in government",
        "source": "004_e72b3bb1269c7be8.txt:140",
    },
    {
        "id": "BC-1",
        "group": "Communities",
        "dimension": "Providing intrinsic benefits to society through access to better public services",
        "source": "004_e72b3bb1269c7be8.txt:146",
    },
    {
        "id": "BC-2",
        "group": "Communities",
        "dimension": "Delivering improved outcomes for communities",
        "source": "004_e72b3bb1269c7be8.txt:147",
    },
    {
        "id": "BC-3",
        "group": "Communities",
        "dimension": "Enabling Research",
        "source": "004_e72b3bb1269c7be8.txt:148",
    },
]

# Dimensions of risk, by group (004:156-179): the rows a risk register starts from.
RISKS: list[dict] = [
    {
        "id": "RI-1",
        "group": "Individuals",
        "dimension": "Incursions into privacy from the use of identifiable personal information",
        "source": "004_e72b3bb1269c7be8.txt:156",
    },
    {
        "id": "RI-2",
        "group": "Individuals",
        "dimension": "Risks from insecure data management and storage",
        "source": "004_e72b3bb1269c7be8.txt:157",
    },
    {
        "id": "RI-3",
        "group": "Individuals",
        "dimension": "Risks from unintended re-identification",
        "source": "004_e72b3bb1269c7be8.txt:158",
    },
    {
        "id": "RI-4",
        "group": "Individuals",
        "dimension": "Exposure to unwanted attention / service offers",
        "source": "004_e72b3bb1269c7be8.txt:159",
    },
    {
        "id": "RI-5",
        "group": "Individuals",
        "dimension": "Punitive impacts",
        "source": "004_e72b3bb1269c7be8.txt:160",
    },
    {
        "id": "RS-1",
        "group": "Service providers",
        "dimension": "Legal risks associated with data loss or misuse",
        "source": "004_e72b3bb1269c7be8.txt:166",
    },
    {
        "id": "RS-2",
        "group": "Service providers",
        "dimension": "Loss of public trust from using data without consent",
        "source": "004_e72b3bb1269c7be8.txt:167",
    },
    {
        "id": "RS-3",
        "group": "Service providers",
        "dimension": "Reputational risks from using sensitive personal data",
        "source": "004_e72b3bb1269c7be8.txt:168",
    },
    {
        "id": "RS-4",
        "group": "Service providers",
        "dimension": "Risks from sharing data with organisations outside the public sector",
        "source": "004_e72b3bb1269c7be8.txt:169",
    },
    {
        "id": "RS-5",
        "group": "Service providers",
        "dimension": "Using data for purposes that are not publically acceptable",
        "source": "004_e72b3bb1269c7be8.txt:170",
    },
    {
        "id": "RS-6",
        "group": "Service providers",
        "dimension": "Risks to service provision from the use of unreliable data",
        "source": "004_e72b3bb1269c7be8.txt:171",
    },
    {
        "id": "RC-1",
        "group": "Communities",
        "dimension": "Stigma and discrimination",
        "source": "004_e72b3bb1269c7be8.txt:177",
    },
    {
        "id": "RC-2",
        "group": "Communities",
        "dimension": "The potential for negative impacts on communities from the selective use of data",
        "source": "004_e72b3bb1269c7be8.txt:178",
    },
    {
        "id": "RC-3",
        "group": "Communities",
        "dimension": "Loss of services",
        "source": "004_e72b3bb1269c7be8.txt:179",
    },
]

# Who benefits and who bears the risk: the CDEI value questions (002:38-43).
BENEFICIARY_QUESTIONS: list[dict] = [
    {
        "id": "TM-V1",
        "question": "Who benefits from the data being shared?",
        "source": "002_0b2adaf6c24804f4.txt:38",
    },
    {
        "id": "TM-V2",
        "question": "Who has to take on any risk?",
        "source": "002_0b2adaf6c24804f4.txt:39",
    },
    {
        "id": "TM-V3",
        "question": "Is there a clear statement of the expected benefits?",
        "source": "002_0b2adaf6c24804f4.txt:40",
    },
    {
        "id": "TM-V4",
        "question": "How are different groups (and individuals) in society affected?",
        "source": "002_0b2adaf6c24804f4.txt:41",
    },
    {
        "id": "TM-V5",
        "question": "Does the benefits statement distinguish between benefits from ‘anonymous’ data (to produce statistics, test hypotheses, model impacts, develop potential products) and use of personal data (to deliver products to individuals or make decisions about individuals)?",
        "source": "002_0b2adaf6c24804f4.txt:42",
    },
    {
        "id": "TM-V6",
        "question": "Does the benefits statement clearly state how benefits, potential harms and biases will be measured?",
        "source": "002_0b2adaf6c24804f4.txt:43",
    },
]

FACTOR_IDS = frozenset(f["id"] for t in TESTS.values() for f in t["factors"])
SCALE_IDS = tuple(q["id"] for q in SCALE)
BENEFIT_IDS = frozenset(b["id"] for b in BENEFITS)
RISK_IDS = frozenset(r["id"] for r in RISKS)
BENEFICIARY_QUESTION_IDS = frozenset(q["id"] for q in BENEFICIARY_QUESTIONS)


def framework() -> dict:
    """Everything a form needs to show the framework."""
    return {
        "tests": TESTS,
        "factor_ratings": list(FACTOR_RATINGS),
        "features": FEATURES,
        "scale": [{**q, "help": HELP.get(q["id"], "")} for q in SCALE],
        "bands": BANDS,
        "benefits": BENEFITS,
        "risks": RISKS,
        "beneficiary_questions": BENEFICIARY_QUESTIONS,
    }
