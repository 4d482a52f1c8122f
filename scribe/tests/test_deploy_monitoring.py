"""deploy/prometheus (alert rules, scrape example) and deploy/grafana (dashboard) use only
metrics Scribe exposes at /metrics, and the rules cover the rollback triggers."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from scribe.testing.processes import BASE_DIR

DEPLOY = BASE_DIR / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "scribe-dashboard.json"
# Series Prometheus makes itself for every target (not the application's).
PROMETHEUS_OWN = {"up"}
_SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created"), "gauge": ("",)}
# A metric name in PromQL: an identifier followed by a selector, a range, an offset or the end;
# recording-rule names (with a colon) and functions (followed by "(") are not metrics.
_NAME = re.compile(
    r"(?<![\w:$.])([a-zA-Z_][a-zA-Z0-9_]*)(?=\s*(?:\{|\[|\)|$|\s+offset|\s*[<>=!*/+-]|\s+and\b|\s+or\b))"
)
_KEYWORDS = {"by", "without", "and", "or", "unless", "offset", "bool", "on", "ignoring", "group_left", "group_right"}


@pytest.fixture(scope="module")
def exposed(django_db_blocker) -> set[str]:
    """Every sample name /metrics can carry (a family with no samples yet included)."""
    with django_db_blocker.unblock():
        body = Client().get("/metrics").content.decode()
    names = set()
    for family in text_string_to_metric_families(body):
        names |= {family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",))}
        names |= {sample.name for sample in family.samples}
    return names


def metric_names(expr: str) -> set[str]:
    without_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    without_selectors = re.sub(r"\{[^}]*\}", "{}", without_strings)
    without_selectors = re.sub(
        r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", without_selectors
    )
    names = set(_NAME.findall(without_selectors)) - _KEYWORDS
    return {name for name in names if not re.fullmatch(r"\d.*|e\d+", name)}


def alert_rules() -> list[dict]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    # Grafana's label_values(metric, label): the metric is the PromQL part.
    queries = [v["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    exprs += [re.sub(r"label_values\((.+),\s*\w+\)", r"\1", query) for query in queries]
    return exprs


def test_it_finds_the_metric_names_in_an_expression():
    expr = 'histogram_quantile(0.95, sum by (le) (rate(a_bucket{route!~"x|y"}[5m]))) > 2 * (b offset 1w) and up == 0'
    assert metric_names(expr) == {"a_bucket", "b", "up"}


def test_every_metric_the_alert_rules_use_is_exposed(exposed):
    rules = alert_rules()
    assert rules
    recorded = {rule["record"] for rule in rules if "record" in rule}
    for rule in rules:
        used = metric_names(rule["expr"]) - PROMETHEUS_OWN
        assert used <= exposed, (rule.get("alert") or rule.get("record"), sorted(used - exposed))
        # Each rule reads Scribe's metrics (directly or through a recording rule).
        assert used or any(name in rule["expr"] for name in recorded) or "up{" in rule["expr"]


def test_every_metric_the_dashboard_uses_is_exposed(exposed):
    exprs = dashboard_exprs()
    assert len(exprs) >= 10
    for expr in exprs:
        used = metric_names(expr)
        assert used, expr
        assert used <= exposed, (expr, sorted(used - exposed))


def test_the_alert_rules_cover_the_rollback_triggers():
    rules = {rule["alert"]: rule for rule in alert_rules() if "alert" in rule}
    text = ALERTS.read_text()
    # 5xx rate above 5%, p95 above a threshold and above twice a baseline, readiness failing.
    assert 'status=~"5.."' in text
    assert "> 0.05" in rules["ScribeErrorRateAbove5Percent"]["expr"]
    assert "p95" in rules["ScribeP95LatencyAboveThreshold"]["expr"]
    assert "> 2 *" in rules["ScribeP95LatencyTwiceBaseline"]["expr"]
    assert "scribe_dependency_up" in rules["ScribeNotReady"]["expr"]
    for name in ("ScribeErrorRateAbove5Percent", "ScribeP95LatencyTwiceBaseline", "ScribeNotReady"):
        assert rules[name]["labels"]["rollback_trigger"] == "true"
        assert rules[name]["for"]


def test_the_example_scrape_config_reads_the_token_from_a_file_and_loads_the_rules():
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    job = config["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics"
    assert "credentials_file" in job["authorization"]  # never the token itself
    assert config["rule_files"] == ["alerts.yml"]
