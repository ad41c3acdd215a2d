"""Files in and out: reading, detection, layouts, writing, batch folders and their names."""
