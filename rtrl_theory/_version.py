"""The package version (a leaf: read by the records without importing the package face)."""

__version__ = "0.1.0"
