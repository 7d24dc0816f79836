"""kit-console: the operator's reference front end, a web page served on loopback by a gRPC client of
kitd like any other (it holds the daemon's token; the browser never sees it).

This package imports only the generated kit.v1 stubs and kitd.client from the project; it never
imports the daemon's internals or the simulators.
"""
