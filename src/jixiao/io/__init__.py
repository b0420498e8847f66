"""Readers and writers at the edge: files in, plain grids and records out."""
