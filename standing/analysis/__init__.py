"""The estate as a privilege graph: policy reading per cloud, escalation hops, risk, sensitivity
and workloads. Pure functions over the inventory; never calls a cloud."""
