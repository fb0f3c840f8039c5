"""The result document's lifecycle: requested when the leader approves, rendered, signed by the leader (remote or
browser plugin), sealed by the unit, issued."""
