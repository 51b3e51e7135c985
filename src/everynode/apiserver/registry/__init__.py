"""The registry: what a write does before storage (strategy per kind, preparation: metadata, defaults,
validation), deletion, bindings, namespaces, and the storage codec."""
