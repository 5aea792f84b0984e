"""STS: the account id, read from the credentials in use, never typed by hand."""


def get_account_id(sts_client) -> str:
    return sts_client.get_caller_identity()["Account"]


def partition_for(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
