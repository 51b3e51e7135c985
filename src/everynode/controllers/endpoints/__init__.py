"""The endpoints controllers: a Service's Endpoints and EndpointSlice, from the pods it selects."""
