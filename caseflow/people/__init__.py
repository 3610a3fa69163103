"""The district, its schools, students and guardians."""
