"""The garbage collector: ownerReferences cascades (background, foreground, orphan), as upstream's."""
