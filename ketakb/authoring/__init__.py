"""Helping curators write records: `new` writes a commented skeleton, `fmt` puts files in the
canonical form of `canonical`, and `schema` generates the JSON Schemas that editors check
records against, from the models. Nothing here prints; the CLI reports what they return.
"""
