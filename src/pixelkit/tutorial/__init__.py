"""The tutorial's steps (``steps``: the boto3 scripts in scripts/) and what they share: settings, policies, the package, what exists, what step 5 waits for and checks."""
