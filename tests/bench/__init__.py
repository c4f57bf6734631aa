"""Benchmarks (`make bench`): numbers for the notes, never assertions in the test suite."""
