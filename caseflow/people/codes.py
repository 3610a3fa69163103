"""Code lists for student demographics, as the federal collections count them.

Race/ethnicity uses the 7 categories of the 1997 OMB standard that the Civil Rights Data
Collection reports (../shared/reference/standards.md section 3.2): Hispanic or Latino of any
race first, then, for non-Hispanic students, one race or two or more races.
"""

from caseflow.labels import N_

RACE_ETHNICITY = {
    "HI": N_("Hispanic or Latino"),
    "AM": N_("American Indian or Alaska Native"),
    "AS": N_("Asian"),
    "HP": N_("Native Hawaiian or Other Pacific Islander"),
    "BL": N_("Black or African American"),
    "WH": N_("White"),
    "TR": N_("Two or more races"),
}

SEX = {"F": N_("Female"), "M": N_("Male"), "X": N_("Non-binary")}

GRADES = ("PK", "K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")

GUARDIAN_RELATIONSHIPS = {
    "mother": N_("Mother"),
    "father": N_("Father"),
    "parent": N_("Parent"),
    "stepparent": N_("Stepparent"),
    "grandparent": N_("Grandparent"),
    "legal_guardian": N_("Legal guardian"),
    "foster_parent": N_("Foster parent"),
    "relative": N_("Other relative"),
    "other": N_("Other"),
}

# What a court order or agreement says about contacting this guardian about this student.
LEGAL_RESTRICTIONS = {
    "none": N_("No restriction"),
    "limited_contact": N_("Limited contact (see note)"),
    "no_contact": N_("No-contact order: never contact"),
}

# ISO 639-1 codes of the languages staff most often meet; any 2-3 letter code is accepted.
COMMON_LANGUAGES = {
    "en": N_("English"),
    "es": N_("Spanish"),
    "zh": N_("Chinese"),
    "vi": N_("Vietnamese"),
    "ar": N_("Arabic"),
    "tl": N_("Tagalog"),
    "ko": N_("Korean"),
    "ru": N_("Russian"),
    "ht": N_("Haitian Creole"),
    "so": N_("Somali"),
    "pt": N_("Portuguese"),
    "fr": N_("French"),
}

MTSS_TIERS = (1, 2, 3)
