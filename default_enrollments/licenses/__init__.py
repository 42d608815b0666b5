"""
Subscription licenses: what license-manager says a learner holds (``client``), and the eligibility policy that
enrolls only learners whose activated license pays for the run (``policy``). See docs/decisions/0017.
"""
