"""Compiles the gettext catalogs (locales/*/LC_MESSAGES/*.po -> .mo) as part of every install/build.

The .mo files are build products, never committed; all other metadata is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in Path(__file__).resolve().parent.glob("locales/*/LC_MESSAGES/*.po"):
            with po_path.open("rb") as f:
                catalog = read_po(f, locale=po_path.parent.parent.name)
            with po_path.with_suffix(".mo").open("wb") as f:
                write_mo(f, catalog, use_fuzzy=False)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogs})
