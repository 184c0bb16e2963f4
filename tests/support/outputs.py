"""Shared helpers for the output-checking tests: a project with two output checkers, and the
files they check."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from access.models import Role
from tests.factories import make_user
from tests.factories.workflow import World
from workflow.models import Application, State

FAILING_TABLE = b"age_group,male,female\n18-30,25,3\n31-50,40,12\n"
PASSING_TABLE = b"region,count\nNorth,120\nSouth,95\n"
FIXED_TABLE = b"age_group,persons\n18-30,28\n31-50,52\n"
LOG = b"2026-12-01 analysis ran\n"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


class Outputs:
    """A World with an active project, two output checkers, a third, and a checker who is on
    the team."""

    def __init__(self) -> None:
        self.world = World()
        self.project: Application = self.world.at(State.ACTIVE)
        self.pi = self.world.pi
        self.colleague = self.world.colleague
        self.outsider = self.world.outsider
        self.ops = self.world.ops
        self.checker1 = make_user(Role.OUTPUT_CHECKER, full_name="Cara Checker")
        self.checker2 = make_user(Role.OUTPUT_CHECKER, full_name="Dewi Checker")
        self.checker3 = make_user(Role.OUTPUT_CHECKER, full_name="Tegan Third")
        # On the team and an output checker: never checks this project.
        self.colleague.role_assignments.create(role=Role.OUTPUT_CHECKER)
