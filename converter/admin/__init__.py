"""Running a site: init, status, history, forget, retry, doctor."""
