"""
Small reference versions of the host models, for standalone use, the demo and the tests.

Field names and constraints follow edx-enterprise's so that code written against these runs
unchanged on its real models. An edx-enterprise host never installs this app.
"""
from pathlib import Path

#: The demo catalog (for ``catalog.static.StaticCatalogClient``) that ships with the reference host.
DEMO_CATALOG_FIXTURE = str(Path(__file__).resolve().parent / "fixtures" / "demo_catalog.json")
