"""Two Cores linked by padas connectors: events cross over TCP, and the sender reconnects."""

from __future__ import annotations

from tests.support.cores import free_port
from tests.support.events import append_lines, wait_for_events
from tests.support.fixtures import CoreFactory


def test_events_cross_from_edge_to_central(core_factory: CoreFactory) -> None:
    """An edge's padas sink delivers to a central's padas source, even one that starts later."""
    edge, central = core_factory("edge"), core_factory("central")
    endpoint = f"127.0.0.1:{free_port()}"
    with edge.client() as client:
        client.post("streams", json={"name": "alerts"}).raise_for_status()
        for name, type_, class_, config in [
            ("alerts-log", "source", "file", {"path": "alerts.log"}),
            ("to-central", "sink", "padas", {"endpoint": endpoint}),
        ]:
            body = {
                "name": name,
                "type": type_,
                "class": class_,
                "stream": "alerts",
                "config": config,
            }
            client.post("connectors", json=body).raise_for_status()
        assert client.post("connectors/to-central/start").json()["state"] == "running"
        client.post("connectors/alerts-log/start").raise_for_status()
    append_lines(edge.data_dir / "alerts.log", {"n": 1, "text": "héllo"}, "plain line")

    with central.client() as client:
        client.post("streams", json={"name": "central"}).raise_for_status()
        for name, type_, class_, config in [
            ("from-edges", "source", "padas", {"endpoint": endpoint}),
            ("ledger", "sink", "file", {"path": "ledger.jsonl"}),
        ]:
            body = {
                "name": name,
                "type": type_,
                "class": class_,
                "stream": "central",
                "config": config,
            }
            client.post("connectors", json=body).raise_for_status()
        client.post("connectors/ledger/start").raise_for_status()
        client.post("connectors/from-edges/start").raise_for_status()
        events = wait_for_events(central.data_dir / "ledger.jsonl", 2)
        assert events == [{"n": 1, "text": "héllo"}, {"message": "plain line"}]
        assert client.get("metrics").json()["connectors"]["from-edges"]["events_out"] == 2
