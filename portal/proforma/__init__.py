"""Quoting and documents: the quote editor, proformas, their numbering and PDF rendering."""
