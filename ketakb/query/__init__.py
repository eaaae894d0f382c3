"""The read side: questions answered from the index, as plain values in the shapes of
`ketakb.shapes`.

`queries.KnowledgeBase` looks records and claims up, lists conflicts, sources, figures and
the regulatory timeline, and builds graphs; `chains` finds the mechanism chains `explain`
walks and what each asserts about the direction of an effect; `search` ranks full-text hits
and cuts their snippets. None of them renders anything. A new query goes here, as a method
that returns values; its rendering goes in `ketakb.output`.
"""
