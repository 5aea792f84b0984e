"""Running functions as Lambda does, named as LocalStack's ``invocation/``: the service (Invoke), its pool of
execution environments, each environment, the event manager (asynchronous invocations), the Runtime API."""
