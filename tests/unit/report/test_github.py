"""gate.report.github: workflow-command data and properties escaped."""

from __future__ import annotations


def test_github_escapes_workflow_command_data():
    from gate.report.github import _data, _property

    assert _data("50%\nnext") == "50%25%0Anext"
    assert _property("a:b,c") == "a%3Ab%2Cc"
