"""The `everynode` command: the composition root, and the only layer that reads flags."""
