"""One conversion, stage by stage: detect, read, map, check, sync, write."""
