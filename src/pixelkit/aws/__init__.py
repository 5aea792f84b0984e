"""Small wrappers, one per AWS service, each taking its boto3 client as an argument.

"Not found" comes back as ``None`` or ``False``, so that setup and cleanup can be
run again; any other ``ClientError`` is logged with its code and re-raised.
"""
