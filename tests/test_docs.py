"""Every command explains itself: help text with an example, and a place in the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from planner.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        yield path, command
        if isinstance(command, click.Group):
            yield from commands(command, path)


ALL = list(commands())


def test_the_readme_starts_with_the_two_setup_commands() -> None:
    head = "\n".join(README.splitlines()[:15])
    assert "pip install . && delight demo" in head
    assert "pip install '.[test]' && pytest" in head


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(path) for path, _ in ALL])
def test_every_command_has_help_and_is_in_the_readme(path: tuple[str, ...], command: click.Command) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert command.help and len(command.help.strip()) > 20
    if not isinstance(command, click.Group):
        assert "Example" in command.help, f"delight {' '.join(path)} --help has no example"
    assert f"delight {' '.join(path)}" in README, f"README does not mention delight {' '.join(path)}"
