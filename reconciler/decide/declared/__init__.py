"""The declared state (SPEC §2): from the bytes of a repository's files to one `DeclaredState`.

In the order a file goes through them:

- `layout`: which files are input and which kind each folder holds.
- `documents`: safe, bounded YAML parsing into located documents.
- `schemas`: the JSON Schema check of each document, with messages a person can act on.
- `construct`: a schema-valid document body turned into its model value.
- `validation`: the rules that span documents (references, wiring, literal secrets).
- `parse`: the whole repository assembled, or every problem with it at once.

Pure.
"""
