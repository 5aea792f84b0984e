"""The commands a learner or instructor runs: the CLI, the demo, JupyterLab, the classroom."""
