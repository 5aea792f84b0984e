"""Teaching aids around the steps: notebook helpers, the mistakes of notebook 07, IAM advice, cost, pictures, the dry run."""
