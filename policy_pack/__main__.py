"""The model-endpoints policy pack: `pulumi preview --policy-pack policy_pack`.

Each policy's enforcement level (advisory, mandatory, disabled) and thresholds can be set per run
with `--policy-pack-config FILE` (see policy-config.example.json); the defaults are the policies'.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from endpoint_policies import POLICIES

PolicyPack(name="model-endpoints", enforcement_level=EnforcementLevel.ADVISORY, policies=POLICIES)
