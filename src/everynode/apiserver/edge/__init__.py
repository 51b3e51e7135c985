"""The network edge: the listening sockets, the lean HTTP/1.1 path for plain requests, the handover of
everything else to aiohttp, who may connect (exposure) and the in-flight seats."""
