"""The tutorial's steps: buckets, role and policy, the function and its package, the trigger, the test, the cleanup."""
