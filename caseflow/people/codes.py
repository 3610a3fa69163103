"""Code lists for student demographics, as the federal collections count them.

Race/ethnicity uses the 7 categories of the 1997 OMB standard that the Civil Rights Data
Collection reports (../shared/reference/standards.md section 3.2): Hispanic or Latino of any
race first, then, for non-Hispanic students, one race or two or more races.
"""

RACE_ETHNICITY = {
    "HI": "Hispanic or Latino",
    "AM": "American Indian or Alaska Native",
    "AS": "Asian",
    "HP": "Native Hawaiian or Other Pacific Islander",
    "BL": "Black or African American",
    "WH": "White",
    "TR": "Two or more races",
}

SEX = {"F": "Female", "M": "Male", "X": "Non-binary"}

GRADES = ("PK", "K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")

GUARDIAN_RELATIONSHIPS = {
    "mother": "Mother",
    "father": "Father",
    "parent": "Parent",
    "stepparent": "Stepparent",
    "grandparent": "Grandparent",
    "legal_guardian": "Legal guardian",
    "foster_parent": "Foster parent",
    "relative": "Other relative",
    "other": "Other",
}

# What a court order or agreement says about contacting this guardian about this student.
LEGAL_RESTRICTIONS = {
    "none": "No restriction",
    "limited_contact": "Limited contact (see note)",
    "no_contact": "No-contact order: never contact",
}

# ISO 639-1 codes of the languages staff most often meet; any 2-3 letter code is accepted.
COMMON_LANGUAGES = {
    "en": "English",
    "es": "Spanish",
    "zh": "Chinese",
    "vi": "Vietnamese",
    "ar": "Arabic",
    "tl": "Tagalog",
    "ko": "Korean",
    "ru": "Russian",
    "ht": "Haitian Creole",
    "so": "Somali",
    "pt": "Portuguese",
    "fr": "French",
}

MTSS_TIERS = (1, 2, 3)
