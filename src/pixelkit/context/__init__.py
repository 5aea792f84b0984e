"""The run's context: which target, its clients and call echo, the run's state, paths, the kit's errors."""
