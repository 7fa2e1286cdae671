"""A real Prometheus (Debian's package) scrapes the running services under load: every Grafana
panel's query and every recording rule returns data, every alerting rule evaluates without
error, and promtool accepts the configuration, the rules and the rules' unit tests."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import yaml

from feedback.app import create_app as create_feedback
from feedback.settings import FeedbackSettings
from intake.app import create_app as create_intake
from intake.settings import IntakeSettings
from kinerja_local.stack import free_port
from notifier.app import create_app as create_notifier
from notifier.settings import NotifierSettings
from scoring.app import create_app as create_scoring
from scoring.settings import ScoringSettings
from tests.conftest import Namespace
from tests.infra import Infra
from tests.notifier_support import alert, employee_records, publish, wait_for
from tests.support import admin_headers, issue_key, serving

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
HEAD, STAFF = "197803032005011003", "199001012015011001"


def tool(name: str) -> str:
    """Debian's prometheus package gives both binaries; the test setup installs it."""
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(
            f"{name} is missing: `make test` installs Debian's prometheus package "
            "(apt-get install prometheus)"
        )
    return found


def test_promtool_accepts_the_configurations_rules_and_rule_tests() -> None:
    promtool = tool("promtool")
    for config in sorted(PROMETHEUS.glob("prometheus-*.yml")):
        if "kubernetes" in config.name or "compose" in config.name:
            # Rule paths there are the container's; check the rules themselves below.
            data = yaml.safe_load(config.read_text())
            assert data["scrape_configs"][0]["job_name"] == "kinerja"
            continue
        run = subprocess.run(
            [promtool, "check", "config", str(config)], capture_output=True, text=True, check=False
        )
        assert run.returncode == 0, run.stdout + run.stderr
    rules = sorted(str(p) for p in (PROMETHEUS / "rules").glob("*.yml"))
    run = subprocess.run(
        [promtool, "check", "rules", *rules], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    tests = sorted(str(p) for p in (PROMETHEUS / "tests").glob("*.yml"))
    run = subprocess.run(
        [promtool, "test", "rules", *tests],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROMETHEUS / "tests",
    )
    assert run.returncode == 0, run.stdout + run.stderr


def dashboard_queries() -> list[tuple[str, str, str]]:
    found = []
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel["targets"]:
                found.append((board["title"], panel["title"], target["expr"]))
    return found


def rules() -> list[dict[str, Any]]:
    out = []
    for path in sorted((PROMETHEUS / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            out.extend(group["rules"])
    return out


@contextmanager
def prometheus(targets: dict[str, str], state: Path) -> Iterator[str]:
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in sorted((PROMETHEUS / "rules").glob("*.yml"))],
        "scrape_configs": [
            {
                "job_name": "kinerja",
                "static_configs": [
                    {"targets": [urlparse(url).netloc], "labels": {"service": name}}
                    for name, url in targets.items()
                ],
            }
        ],
    }
    path = state / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    log = (state / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            tool("prometheus"),
            f"--config.file={path}",
            f"--storage.tsdb.path={state / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def quick_routing(tmp_path: Path) -> Path:
    """The city's routing file with its waits cut to seconds: the same receivers and routes,
    so the same panels have data, sooner, and notifications keep flowing under the load."""
    city = files("notifier") / "routing" / "tanjungbalai.toml"
    path = tmp_path / "routing.toml"
    quick = re.sub(r"group_wait = \d+", "group_wait = 1", city.read_text())
    path.write_text(re.sub(r"group_interval = \d+", "group_interval = 2", quick))
    return path


@asynccontextmanager
async def city_services(
    infra: Infra, ns: Namespace, tmp_path: Path
) -> AsyncIterator[dict[str, str]]:
    fast = {"lag_metrics_interval_s": 1.0, "log_format": "text"}
    intake = ns.settings(IntakeSettings, infra, scoring_grace_days=36500, **fast)
    scoring = ns.settings(
        ScoringSettings,
        infra,
        batch_timeout_ms=50,
        alert_check_interval_s=1,
        alert_settle_s=2,
        **fast,
    )
    notifier = ns.settings(
        NotifierSettings,
        infra,
        dispatch_interval_s=0.2,
        routing_file=quick_routing(tmp_path),
        **fast,
    )
    feedback = ns.settings(FeedbackSettings, infra, **fast)
    async with (
        serving(create_intake(intake)) as intake_url,
        serving(create_scoring(scoring)) as scoring_url,
        serving(create_notifier(notifier)) as notifier_url,
        serving(create_feedback(feedback)) as feedback_url,
    ):
        yield {
            "intake": intake_url,
            "scoring": scoring_url,
            "notifier": notifier_url,
            "feedback": feedback_url,
            "bootstrap": infra.kafka_bootstrap,
            "alert_topic": notifier.topics.alert,
            "reference_topic": notifier.topics.reference,
        }


async def load(urls: dict[str, str]) -> None:
    """A little of everything the dashboards show: events (one refused), a machine upload, an
    alert for the notifier."""
    device = {"User-Agent": "iClock Proxy/1.09", "Content-Type": "application/push;charset=UTF-8"}
    async with httpx.AsyncClient(base_url=urls["intake"], timeout=30) as client:
        csv = (
            "nip,name,unit_code,position,supervisor_nip,email,device_pins\n"
            f"{HEAD},Mariani Siregar,DUKCAPIL,Kepala Dinas,,mariani@example.go.id,1000\n"
            f"{STAFF},Budi Lubis,DUKCAPIL,Pelaksana,{HEAD},budi@example.go.id,1001\n"
        )
        r = await client.post(
            "/v1/admin/units",
            headers=admin_headers(),
            json=[{"code": "DUKCAPIL", "name": "Dinas Kependudukan dan Pencatatan Sipil"}],
        )
        assert r.status_code == 200, r.text
        r = await client.post(
            "/v1/admin/employees",
            content=csv.encode(),
            headers={**admin_headers(), "content-type": "text/csv"},
        )
        assert r.status_code == 200, r.text
        r = await client.post(
            "/v1/admin/devices",
            headers=admin_headers(),
            json=[{"serial": "TBLOBS1", "unit_code": "DUKCAPIL"}],
        )
        assert r.status_code == 200, r.text
        await client.get("/iclock/cdata?SN=TBLOBS1&options=all&pushver=2.4.1", headers=device)
        r = await client.post(
            "/iclock/cdata?SN=TBLOBS1&table=ATTLOG&Stamp=1",
            # Yesterday, in the machine's zone: within ADMS's backdating window (3 days).
            content=f"1001\t{datetime.now(UTC) + timedelta(hours=7) - timedelta(days=1):%Y-%m-%d} "
            "07:21:05\t0\t1\t0\t0\t0\n".encode(),
            headers=device,
        )
        assert r.status_code == 200, r.text
        key = await issue_key(client)
        r = await client.post("/v1/events", json=[_event("123")], headers={"X-Api-Key": key})
        assert r.status_code == 422, r.text  # one refused, for the rejection panels
    await publish(urls["bootstrap"], urls["reference_topic"], employee_records())


async def steady_load(urls: dict[str, str]) -> None:
    """Events and alerts every half second, so rates over the scrapes are not zero."""
    async with httpx.AsyncClient(base_url=urls["intake"], timeout=30) as client:
        key = await issue_key(client)
        n = 0
        while True:
            n += 1
            r = await client.post(
                "/v1/events", json=[_event(STAFF) for _ in range(5)], headers={"X-Api-Key": key}
            )
            assert r.status_code == 202, r.text
            await publish(
                urls["bootstrap"],
                urls["alert_topic"],
                [alert("coaching.needed", STAFF, f"2026-L{n}")],
            )
            await asyncio.sleep(0.5)


def _event(nip: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "attendance.recorded",
        "occurred_at": datetime.now(UTC).isoformat(),
        "nip": nip,
        "source": {"kind": "device", "id": "TBLOBS1"},
        "payload": {"direction": "in", "method": "card", "device_sn": "TBLOBS1"},
    }


async def query(client: httpx.AsyncClient, expr: str) -> dict[str, Any]:
    r = await client.get("/api/v1/query", params={"query": expr})
    body: dict[str, Any] = r.json()
    return body


async def test_dashboards_and_rules_return_data_from_the_running_services(
    infra: Infra, ns: Namespace, tmp_path: Path
) -> None:
    async with city_services(infra, ns, tmp_path) as urls:
        targets = {
            k: v for k, v in urls.items() if k in ("intake", "scoring", "notifier", "feedback")
        }
        with prometheus(targets, tmp_path) as prom:
            await load(urls)
            loading = asyncio.create_task(steady_load(urls))
            async with httpx.AsyncClient(base_url=prom, timeout=10) as client:

                async def ready() -> bool:
                    try:
                        return (await client.get("/-/ready")).status_code == 200
                    except httpx.TransportError:
                        return False

                await wait_for(ready, "Prometheus ready")
                missing: list[str] = []

                async def everything_answers() -> bool:
                    missing.clear()
                    for board, panel, expr in dashboard_queries():
                        body = await query(client, expr)
                        assert body["status"] == "success", (board, panel, body)
                        if not body["data"]["result"]:
                            missing.append(f"{board} / {panel}: {expr}")
                    for rule in rules():
                        if "record" in rule:
                            body = await query(client, rule["record"])
                            if not body["data"]["result"]:
                                missing.append(f"recording rule {rule['record']}")
                    flowing = await query(
                        client,
                        'sum(rate(kinerja_notifier_notifications_total{outcome="sent"}[1m])) > 0',
                    )
                    if not flowing["data"]["result"]:
                        missing.append("notifications delivered under load")
                    return not missing

                # Each service's consumers (one per topic) join their groups first: on 2 cores
                # under the whole suite that took longer than 90 s once.
                try:
                    await wait_for(
                        everything_answers, "every panel and recording rule", timeout_s=180
                    )
                except AssertionError:
                    raise AssertionError("no data for:\n" + "\n".join(missing)) from None
                groups = (await client.get("/api/v1/rules")).json()["data"]["groups"]
                evaluated = [r for g in groups for r in g["rules"]]
                assert len(evaluated) == len(rules())
                assert all(r["health"] == "ok" for r in evaluated), [
                    (r["name"], r.get("lastError")) for r in evaluated if r["health"] != "ok"
                ]
                # The closing note shows a dashboard's queries with the values they returned.
                shown = []
                for board, panel, expr in dashboard_queries():
                    if board.endswith("overview"):
                        result = (await query(client, expr))["data"]["result"]
                        values = ", ".join(f"{s['metric']}={s['value'][1]}" for s in result[:4])
                        shown.append(f"{panel}: {expr} -> {values}")
                (tmp_path / "overview-values.txt").write_text("\n".join(shown) + "\n")
                print("\n".join(shown))
            loading.cancel()
            await asyncio.gather(loading, return_exceptions=True)
