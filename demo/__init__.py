"""
A runnable demo host: the reference host models, the static catalog, the admin and a login page.

``make demo`` migrates ``demo.db``, runs ``seed_demo`` and starts the dev server on 127.0.0.1:8000.
"""
