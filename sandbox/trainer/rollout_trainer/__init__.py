"""rollout_trainer: the fine-tune runner bundled with Rollout Studio (`python -m rollout_trainer --help`)."""
