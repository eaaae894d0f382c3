"""The read side: questions answered from the index, as plain values in the shapes of
`ketakb.shapes`.

`queries.KnowledgeBase` looks records and claims up, searches, explains chains, lists
conflicts and sources, and builds graphs; it renders nothing. A new query goes here, as a
method that returns values; its rendering goes in `ketakb.output`.
"""
