"""The pure parts of a guarded traffic shift: which tables a change walks through, and how long it
bakes. No I/O and no Pulumi; the step engine, the TrafficSplit's preview output and local mode
take their plans from here."""

from __future__ import annotations

from rollout.steps import PlannedStep, plan_steps, planned_traffic, planned_wait_seconds

__all__ = ["PlannedStep", "plan_steps", "planned_traffic", "planned_wait_seconds"]
