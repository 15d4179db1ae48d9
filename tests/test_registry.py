"""The one registry type behind analyzers, analyses, descriptors, transforms and systems."""

from __future__ import annotations

import collections
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from pixelproof import registry as registry_module
from pixelproof.registry import Registry, UnknownNameError


def test_names_come_back_in_registration_order() -> None:
    reg = Registry[int]("number")
    for name, value in [("zeta", 1), ("alpha", 2), ("mid", 3)]:
        reg.register(name, value)
    assert reg.names() == ("zeta", "alpha", "mid")
    assert list(reg) == ["zeta", "alpha", "mid"]
    assert reg.items() == [("zeta", 1), ("alpha", 2), ("mid", 3)]
    assert reg.as_dict() == {"zeta": 1, "alpha": 2, "mid": 3}
    assert len(reg) == 3 and "alpha" in reg and "beta" not in reg
    assert reg.known() == "zeta, alpha, mid"
    assert reg.get("alpha") == 2


def test_register_works_as_a_decorator() -> None:
    reg = Registry[type]("widget")

    @reg.register("knob")
    class Knob:
        pass

    assert reg.get("knob") is Knob


def test_a_name_is_taken_once() -> None:
    reg = Registry[object]("analyzer")
    first, second = object(), object()
    reg.register("x", first)
    reg.register("x", first)  # the same object again: nothing happens
    with pytest.raises(ValueError, match="an analyzer named 'x' is already registered"):
        reg.register("x", second)
    assert reg.get("x") is first
    with pytest.raises(TypeError, match="non-empty name"):
        reg.register("", second)


def test_an_unknown_name_lists_the_known_ones() -> None:
    reg = Registry[int]("transform")
    reg.register("jpeg", 1)
    reg.register("crop", 2)
    with pytest.raises(UnknownNameError) as caught:
        reg.get("jpg")
    error = caught.value
    assert str(error) == "unknown transform 'jpg' (known: jpeg, crop)"
    assert isinstance(error, KeyError) and isinstance(error, ValueError)
    assert error.name == "jpg" and error.known == ("jpeg", "crop")
    assert "known: none" in str(Registry[int]("thing").unknown("x"))


def test_unregister_gives_the_name_back() -> None:
    reg = Registry[int]("number")
    reg.register("one", 1)
    assert reg.unregister("one") == 1
    reg.register("one", 11)
    assert reg.get("one") == 11
    with pytest.raises(UnknownNameError):
        reg.unregister("two")


def test_sources_load_once_on_the_first_read() -> None:
    calls: list[str] = []

    def load() -> None:
        calls.append("load")
        reg.register("late", 2)

    reg = Registry[int]("number", sources=[load])
    reg.register("early", 1)  # registering does not load
    assert calls == []
    assert reg.names() == ("early", "late")
    assert "late" in reg and reg.get("late") == 2
    assert calls == ["load"]


def test_a_failing_source_is_tried_again() -> None:
    attempts: list[int] = []

    def flaky() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ImportError("missing extra")

    reg = Registry[int]("number", sources=[flaky])
    with pytest.raises(ImportError):
        reg.names()
    assert reg.names() == ()
    assert len(attempts) == 2


def test_module_sources_are_imported() -> None:
    reg = Registry[int]("number", sources=["collections.abc"])
    assert reg.names() == ()


def test_entry_points_register_objects_and_report_broken_plugins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entries = [
        EntryPoint("ordered", "collections:OrderedDict", "test.group"),
        EntryPoint("module", "collections", "test.group"),  # a module: imported only
        EntryPoint("broken", "no_such_module_here:thing", "test.group"),
    ]
    groups: list[str] = []

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        groups.append(group)
        return entries

    monkeypatch.setattr(registry_module, "entry_points", fake_entry_points)
    reg = Registry[Any]("plug", entry_points="test.group")
    with pytest.warns(UserWarning, match="plug plug-in 'broken' failed to load"):
        names = reg.names()
    assert names == ("ordered",)
    assert reg.get("ordered") is collections.OrderedDict
    reg.names()
    assert groups == ["test.group"]  # loaded once


def test_the_project_registries_keep_their_names_and_order() -> None:
    from pixelproof.bench.runner.systems import MATCH_SYSTEMS, WATERMARK_SYSTEMS
    from pixelproof.bench.transforms import TRANSFORMS, available_transforms
    from pixelproof.evidence import ANALYZERS, available_analyzers
    from pixelproof.forensics import ANALYSES, TITLES, available_analyses
    from pixelproof.match import DESCRIPTORS, available_descriptors

    assert available_analyses() == ANALYSES.names()
    assert available_analyses()[:3] == ("ela", "noise", "dq")
    assert list(TITLES) == list(ANALYSES)
    assert available_descriptors() == sorted(DESCRIPTORS) == ["effnet", "pdq", "sscd"]
    assert available_transforms() == TRANSFORMS.as_dict()
    assert available_analyzers() == ANALYZERS.as_dict()
    assert WATERMARK_SYSTEMS.names() == ("pixelproof", "dwtDct", "dwtDctSvd", "rivaGan")
    assert MATCH_SYSTEMS.names() == ("pixelproof", "phash", "pdq", "sscd", "sscd-distilled")


def test_the_public_look_ups_keep_their_messages() -> None:
    from pixelproof.bench.transforms import get_transform
    from pixelproof.forensics import check_analyses, get_analysis
    from pixelproof.match import create_descriptor

    with pytest.raises(ValueError, match=r"unknown transform 'jpg' \(known: blur, brightness, "):
        get_transform("jpg")
    with pytest.raises(ValueError, match="unknown analysis 'x'; choose from ela, noise, dq,"):
        get_analysis("x")
    with pytest.raises(ValueError, match="unknown analysis 'x', 'y'; choose from ela"):
        check_analyses(["x", "y"])
    with pytest.raises(ValueError, match=r"descriptor: unknown backend 'x' \(known: effnet, pdq"):
        create_descriptor("x")


def test_the_command_line_help_lists_the_registered_names() -> None:
    from typer.testing import CliRunner

    from pixelproof.cli import app
    from pixelproof.forensics import ANALYSES

    runner = CliRunner()

    def help_of(*command: str) -> str:
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "400"})
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())

    assert f"Known: {ANALYSES.known()}" in help_of("forensics")
    assert "effnet, pdq, sscd" in help_of("index", "add")
    assert "dwtDct, dwtDctSvd, rivaGan" in help_of("bench", "watermark")
    assert "phash, pdq, sscd, sscd-distilled" in help_of("bench", "match")
    assert ANALYSES.known() in help_of("bench", "forensics")
