"""Guarded traffic shifts: which tables a change walks through (the pure planner, and step sizes in
pods converted with their fleet), the step engine that walks them, bakes and rolls back, and the
small readers its alarms use. No Pulumi; the I/O (routers, stats, Prometheus, time) comes in
through the protocols of `rollout.protocols`, so the TrafficSplit, local mode and the tests plug
in their own."""

from __future__ import annotations

from rollout.alarm_readings import AlarmReading, read_promql_alarm, read_router_alarm
from rollout.capacity import (
    ReplacementStep,
    declared_fleet,
    fleet_step_percents,
    gaining_fleet,
    green_pods_per_step,
    replacement_schedule,
    shift_step_percents,
)
from rollout.prometheus_query import PrometheusQuery, PromQueryError
from rollout.protocols import (
    Clock,
    PromQuery,
    RouterControl,
    SystemClock,
    VersionStats,
    WindowStats,
)
from rollout.router_stats import RouterMetricsStats, scrape_urls
from rollout.shift_engine import BeforeStep, ShiftPolicy, ShiftResult, StepTiming, run_shift
from rollout.shift_errors import RollbackFailed, ShiftFailed, ShiftFailure, ShiftRolledBack
from rollout.shift_events import (
    BakeFinished,
    BakeProgress,
    RolledBack,
    RollingBack,
    RoutersCaughtUp,
    RoutersPending,
    ShiftCompleted,
    ShiftEvent,
    StepApplied,
)
from rollout.steps import (
    PlannedStep,
    moved_percent,
    plan_steps,
    planned_traffic,
    planned_wait_seconds,
)

__all__ = [
    "AlarmReading",
    "BakeFinished",
    "BakeProgress",
    "BeforeStep",
    "Clock",
    "PlannedStep",
    "PromQuery",
    "PromQueryError",
    "PrometheusQuery",
    "ReplacementStep",
    "RollbackFailed",
    "RolledBack",
    "RollingBack",
    "RouterControl",
    "RouterMetricsStats",
    "RoutersCaughtUp",
    "RoutersPending",
    "ShiftCompleted",
    "ShiftEvent",
    "ShiftFailed",
    "ShiftFailure",
    "ShiftPolicy",
    "ShiftResult",
    "ShiftRolledBack",
    "StepApplied",
    "StepTiming",
    "SystemClock",
    "VersionStats",
    "WindowStats",
    "declared_fleet",
    "fleet_step_percents",
    "gaining_fleet",
    "green_pods_per_step",
    "moved_percent",
    "plan_steps",
    "planned_traffic",
    "planned_wait_seconds",
    "read_promql_alarm",
    "read_router_alarm",
    "replacement_schedule",
    "run_shift",
    "scrape_urls",
    "shift_step_percents",
]
