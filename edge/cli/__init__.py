"""Command-line front ends of the device side: argument parsing, printing, windows and keys.

Owns: ``edge-run``, ``edge-eval``, ``edge-capture``, ``edge-serve``, ``edge-models``.
May import: every other ``edge`` module. Nothing in ``edge`` outside this package imports it.
"""
