"""classifiers room."""
