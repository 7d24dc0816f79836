"""The kit.v1 gRPC servicers: thin translations between protobuf messages and the domain.

No business logic lives here: a servicer validates the shape of a request, calls one domain method,
converts the result, and turns domain errors into rich statuses (kitd.api.status).
"""
