"""The access log: who read which entity's data, for whom, why, and what came back."""
