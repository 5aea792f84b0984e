"""The embedded emulator: moto's AWS server on loopback, plus a Lambda executor that needs no Docker."""
