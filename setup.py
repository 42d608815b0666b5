"""Packaging for default_enrollments: one wheel with migrations, templates, static files, catalogs and fixtures."""
import os
import re

from setuptools import find_packages, setup

HERE = os.path.abspath(os.path.dirname(__file__))


def read(*parts: str) -> str:
    with open(os.path.join(HERE, *parts), encoding="utf-8") as handle:
        return handle.read()


def version() -> str:
    """The version lives in the package so the running app can report it; read it without importing."""
    match = re.search(r'^__version__ = ["\']([^"\']+)["\']', read("default_enrollments", "__init__.py"), re.M)
    if not match:
        raise RuntimeError("default_enrollments/__init__.py has no __version__")
    return match.group(1)


def requirements(*parts: str) -> list[str]:
    """Requirement lines of a ``.in`` file, following ``-r`` includes and dropping comments and ``-c`` lines."""
    lines = []
    for raw in read(*parts).splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith(("-c", "--constraint")):
            continue
        if line.startswith(("-r", "--requirement")):
            included = line.split(None, 1)[1]
            lines.extend(requirements(os.path.dirname(os.path.join(*parts)), included))
            continue
        lines.append(line)
    return lines


setup(
    name="default-enrollments",
    version=version(),
    description="Automatic default enrollments for enterprise learners in Open edX, realized on login.",
    long_description=read("README.rst"),
    long_description_content_type="text/x-rst",
    license="AGPL-3.0-or-later",
    license_files=["LICENSE"],
    packages=find_packages(include=["default_enrollments", "default_enrollments.*"]),
    include_package_data=True,
    package_data={
        "default_enrollments": [
            "templates/**/*",
            "static/**/*",
            "fixtures/*.json",
            "locale/**/*",
            "**/templates/**/*",
            "**/static/**/*",
            "**/fixtures/*.json",
            "**/locale/**/*",
        ],
    },
    python_requires=">=3.11",
    install_requires=requirements("requirements", "base.in"),
    # The admin's advanced query box; without it (and ``djangoql`` in INSTALLED_APPS) the lists search plainly.
    extras_require={"djangoql": ["djangoql"]},
    entry_points={
        "lms.djangoapp": [
            "default_enrollments = default_enrollments.apps:DefaultEnrollmentsConfig",
        ],
    },
    zip_safe=False,
    keywords="Django Open edX enterprise enrollments",
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Framework :: Django",
        "Framework :: Django :: 5.2",
        "Intended Audience :: Developers",
        "Intended Audience :: Education",
        "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)",
        "Natural Language :: English",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Topic :: Education",
    ],
)
