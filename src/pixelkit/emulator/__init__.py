"""The embedded emulator: moto's AWS server on loopback, with a Lambda API read per operation and a Lambda service of its own (``invocation/``) that runs functions as Lambda does, without Docker."""
