"""The controller framework: what every controller needs between informers and its own logic."""
