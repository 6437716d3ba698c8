"""The Excel adapter: cell functions (udfs.py), button actions (actions.py) and the ports they use."""
