"""The write side: record files → parsed nodes (with line marks) → models → checks → index.

`parse` reads YAML safely with positions; `loader` discovers record files and validates each
against the models; `checks` holds the cross-record rules and `quotes` the quote
verification; `build` turns changed files into rows, `store` keeps them in the SQLite index
(schema, cache identity, freshness), and `scope` decides which cross-record findings a change
can affect. `validation` runs it all and returns a `Report` of findings. A new rule goes in
`ketakb.findings` (its code) and here (its check). Nothing in this package imports the read
side.
"""
