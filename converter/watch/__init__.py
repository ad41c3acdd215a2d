"""The inbox watcher: inbox, lock, health, config reload."""
