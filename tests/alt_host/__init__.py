"""A second host with its own names for the three enterprise models, used to prove the swap works."""
