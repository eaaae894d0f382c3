"""Renderers and writers: what users and other programs read.

`render` prints query results for people (rich tables and trees, Mermaid, Graphviz);
`reporters` prints validation findings (text, GitHub annotations, JSON); `citations` writes
references (text, BibTeX, CSL-JSON); `export` writes the whole KB (JSON, JSONL, CSV, SQLite,
KGX). A new output format is a member of an enum in `ketakb.formats` and one writer here;
every text from a record goes through `ketakb.terminal` or the format's own escaping.
"""
