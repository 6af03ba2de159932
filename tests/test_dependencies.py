"""The declared version ranges are the tested ones: each range starts at a version of the series that
is installed here (what CI tests) and admits no other series."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from bot.config import PROJECT_ROOT


def declared() -> list[Requirement]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lines = [*project["project"]["dependencies"]]
    for extra in project["project"]["optional-dependencies"].values():
        lines += extra
    lines += [r for r in project["build-system"]["requires"] if r.startswith("babel")]
    return [Requirement(line) for line in lines]


def series(v: Version) -> tuple[int, int]:
    return v.major, v.minor


@pytest.mark.parametrize("requirement", declared(), ids=str)
def test_each_range_is_the_installed_series(requirement: Requirement) -> None:
    try:
        installed = Version(version(requirement.name))
    except PackageNotFoundError:
        pytest.fail(f"{requirement.name} is declared but not installed, so it is not tested")
    assert requirement.specifier.contains(installed, prereleases=True), (
        f"{installed} is outside {requirement}"
    )
    lower = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "~=", "==")]
    assert lower, f"{requirement} has no lower bound"
    assert series(max(lower)) == series(installed), f"{requirement}: the tested series is {installed}"
    next_series = Version(f"{installed.major}.{installed.minor + 1}")
    assert not requirement.specifier.contains(next_series, prereleases=True), (
        f"{requirement} admits {next_series}"
    )
