"""
Small reference versions of the host models, for standalone use, the demo and the tests.

Field names and constraints follow edx-enterprise's so that code written against these runs
unchanged on its real models. An edx-enterprise host never installs this app.
"""
