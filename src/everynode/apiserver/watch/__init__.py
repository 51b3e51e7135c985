"""The watch cache (one per resource, fed by one storage watch) and serving watches from it."""
