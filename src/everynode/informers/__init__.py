"""Informers: a local, indexed copy of a resource kept current by list-then-watch (client-go's
tools/cache), with handlers called on every add, update and delete; ``shared.SharedInformers`` gives
every component of a process the same informer per resource, namespace and selectors."""
