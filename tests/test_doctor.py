"""The self-check's verdicts, in process (the real broken states are in test_coinstall)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from abeja.services import _logging, doctor


def test_a_whole_installation_is_all_good(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor.main() == 0
    out = capsys.readouterr().out
    assert "ok     abeja.services.ServiceClient is abeja-services'" in out
    assert "all good" in out and doctor.problem() is None


def test_a_shared_file_that_is_not_ours_is_reported_with_the_repair(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(doctor, "_ours", lambda module, name, origin: name != "ServiceClient")
    assert doctor.main() == 1
    captured = capsys.readouterr()
    assert "BROKEN abeja.services.ServiceClient is not ours" in captured.out
    assert doctor.REPAIR in captured.err


def test_abeja_sdk_that_no_longer_imports_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed by its metadata, but its abeja package (here: absent) does not import."""
    monkeypatch.setattr(doctor, "_version", lambda name: "2.3.6")
    text = doctor.problem()
    assert text is not None and doctor.REPAIR_SDK in text


def test_ours_is_false_for_what_does_not_import() -> None:
    assert not doctor._ours("abeja.services", "NoSuchName", "abeja")
    assert not doctor._ours("no.such.module", "X", "abeja")


@pytest.fixture
def restore_logger() -> Iterator[None]:
    logger = logging.getLogger("abeja.services")
    level, handlers = logger.level, list(logger.handlers)
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers
    _logging._handler = None


@pytest.mark.usefixtures("restore_logger")
def test_abeja_log_levels() -> None:
    logger = logging.getLogger("abeja.services")
    _logging.configure_from_environment({})
    assert _logging._handler is None
    _logging.configure_from_environment({"ABEJA_LOG": "INFO "})
    assert logger.level == logging.INFO and _logging._handler in logger.handlers
    _logging.configure_from_environment({"ABEJA_LOG": "debug"})
    assert logger.level == logging.DEBUG and logger.handlers.count(_logging._handler) == 1
    with pytest.raises(ValueError, match="ABEJA_LOG='loud'"):
        _logging.configure_from_environment({"ABEJA_LOG": "loud"})
