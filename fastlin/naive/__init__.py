"""The naive tier: explicit Python loops, the readable reference and the ground truth in tests."""
