"""The result document's lifecycle: requested on approval, rendered, signed by the leader, sealed, issued."""
