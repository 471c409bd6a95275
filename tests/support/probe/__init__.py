"""A minimal service on the kernel, for testing the kernel itself."""
