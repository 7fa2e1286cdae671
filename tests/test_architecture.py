"""The boundaries of the design, checked on the source: no service imports another service, and
domain modules do no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("intake", "scoring", "feedback", "notifier")
IO_MODULES = {
    "aiokafka",
    "faststream",
    "pymongo",
    "fastapi",
    "httpx",
    "uvicorn",
    "socket",
    "subprocess",
    "smtplib",
    "requests",
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another(service: str) -> None:
    others = set(SERVICES) - {service}
    for path in (ROOT / "services" / service / service).rglob("*.py"):
        assert not imports(path) & others, f"{path} imports {imports(path) & others}"


def test_shared_imports_no_service() -> None:
    for path in (ROOT / "shared" / "kinerja_shared").rglob("*.py"):
        assert not imports(path) & set(SERVICES), path


@pytest.mark.parametrize("service", SERVICES)
def test_domain_modules_do_no_io(service: str) -> None:
    package = ROOT / "services" / service / service
    for path in [*package.glob("domain*.py"), *package.glob("domain/*.py")]:
        assert not imports(path) & IO_MODULES, f"{path} imports {imports(path) & IO_MODULES}"
