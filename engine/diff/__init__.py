"""Desired vs actual -> planned changes; one comparator module per spec kind."""
