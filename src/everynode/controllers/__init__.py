"""Controllers: each one watches the API server through informers and reconciles one kind of object."""
