"""mgdebug's dependency ranges take Google Colab's runtime as it is (scripts/colab-pins.txt).

The real check installs mgdebug into that stack and compares `pip freeze` before and
after (scripts/setup-colab.sh, part of `make test`); these are the fast static ones.
"""

from __future__ import annotations

import tomllib

from kernel_helpers import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def colab_pins() -> dict[str, Version]:
    pins = {}
    for line in (REPO / "scripts/colab-pins.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = Version(version)
    return pins


def test_every_runtime_dependency_accepts_what_colab_has_installed():
    pins = colab_pins()
    for text in PROJECT["dependencies"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert all(s.operator == ">=" for s in requirement.specifier), (
            f"{text}: only lower bounds, so that no install moves a hosted kernel's stack"
        )
        if name in pins:
            assert requirement.specifier.contains(pins[name]), (
                f"{text} rejects Colab's {pins[name]}"
            )
    # the stack the kernel side runs on is pinned there, and we depend on each of it
    kernel_side = {"ipykernel", "ipython", "ipywidgets", "anywidget", "numpy"}
    assert kernel_side <= set(pins)
    assert kernel_side <= {
        canonicalize_name(Requirement(t).name) for t in PROJECT["dependencies"]
    }


def test_the_live_extra_brings_the_ipykernel_that_hears_an_awaiting_cell():
    (live,) = PROJECT["optional-dependencies"]["live"]
    requirement = Requirement(live)
    assert requirement.name == "ipykernel"
    assert not requirement.specifier.contains(
        "7.3.0"
    ) and requirement.specifier.contains("7.4.0")
