"""The boundaries of the design, checked on the source: no service imports another service, and
domain modules do no I/O."""

from __future__ import annotations

import ast
import asyncio
import importlib
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


#: Modules that still speak Mongo outside a store, as of this writing: this list may only shrink
#: (the test fails when one is fixed and left here, and when a new one appears).
MONGO_OUTSIDE_STORE: set[str] = set()


def test_only_store_modules_import_pymongo() -> None:
    found = {
        str(path.relative_to(ROOT))
        for service in SERVICES
        for path in (ROOT / "services" / service / service).rglob("*.py")
        if "pymongo" in imports(path) and path.name != "store.py"
    }
    assert found == MONGO_OUTSIDE_STORE


#: Functions over 60 lines (none left: a new one fails this test).
LONG_FUNCTIONS: set[tuple[str, str]] = set()


def test_no_function_is_longer_than_60_lines() -> None:
    paths = [
        *(ROOT / "shared" / "kinerja_shared").rglob("*.py"),
        *(p for s in SERVICES for p in (ROOT / "services" / s / s).rglob("*.py")),
    ]
    long = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                if node.end_lineno - node.lineno + 1 > 60:
                    long.add((str(path.relative_to(ROOT)), node.name))
    assert long == LONG_FUNCTIONS


def test_scoring_answers_with_declared_shapes_and_reads_by_id() -> None:
    """Scoring's routes are module-level handlers; its store filters only on ``_id`` outside
    the small collections (the stale queue, the calendar, the employees for a closed day)."""
    api = (ROOT / "services/scoring/scoring/api.py").read_text()
    assert "def evaluation_router" not in api
    store = (ROOT / "services/scoring/scoring/store.py").read_text()
    assert "$in" not in store
    assert '"$gte"' not in store


#: The use-case modules: they decide, authorise, audit and publish through ports, so they
#: import no web framework, no driver and no broker (tests pass them fakes).
USE_CASES = [
    "services/feedback/feedback/dialogue.py",
    "services/scoring/scoring/reads.py",
    "services/scoring/scoring/projector.py",
    "services/intake/intake/day_closer.py",
    "services/intake/intake/machines.py",
]
ADAPTER_LIBRARIES = {"fastapi", "starlette", "pymongo", "faststream", "aiokafka", "httpx"}


@pytest.mark.parametrize("module", USE_CASES)
def test_use_cases_speak_only_through_ports(module: str) -> None:
    assert imports(ROOT / module) & ADAPTER_LIBRARIES == set()


#: What only a store calls: the driver's collection methods (``find`` is left out: the people
#: views have one of their own) and the store helpers of ``kinerja_shared.mongo``.
MONGO_CALLS = {
    "find_one",
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "delete_one",
    "delete_many",
    "replace_one",
    "count_documents",
    "create_index",
    "bulk_write",
    "aggregate",
    "insert_new",
    "insert_once",
    "find_by_ids",
    "delete_by_ids",
    "bulk_write_chunked",
    "bulk_write_concurrent",
}


def mongo_calls(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in MONGO_CALLS:
                found.add(name)
    return found


def test_only_stores_speak_mongo() -> None:
    """No use case, handler or consumer calls a collection or a store helper: they call their
    store by what they mean (``alert(id)``, ``record_notices(...)``), and tests fake it."""
    speaking = {
        str(path.relative_to(ROOT))
        for service in SERVICES
        for path in (ROOT / "services" / service / service).rglob("*.py")
        if path.name != "store.py" and mongo_calls(path)
    }
    assert speaking == MONGO_OUTSIDE_STORE


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_declares_what_it_answers(service: str) -> None:
    """Each route's success has a model, or names the file or stream it sends, so the OpenAPI
    documents it and the schema fuzzer checks answers against it."""
    app_module = importlib.import_module(f"{service}.app")
    settings = getattr(importlib.import_module(f"{service}.settings"), f"{service.title()}Settings")
    app = app_module.create_app(settings(dev_mode=True))
    spec = app.openapi()
    if app.state.runtime.mongo is not None:  # made, never connected: closed, not left to exit
        asyncio.run(app.state.runtime.mongo.close())
    undeclared = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            success = [r for code, r in operation["responses"].items() if code.startswith("2")]
            content = success[0].get("content", {}) if success else {}
            named = any(v.get("schema") for v in content.values()) or any(
                media != "application/json" for media in content
            )
            if not named:
                undeclared.append(f"{method.upper()} {path}")
    assert undeclared == []
