"""Request handling, in the order a request meets it: routing, the handlers per verb, the request's options
and body (decoding within limits, protobuf, field validation), and the responses."""
