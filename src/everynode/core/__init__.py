"""Pure domain code shared by every layer: standard library only, no I/O."""
