"""Who may do what: API tokens with roles (``tokens``) and the append-only audit log (``audit``)."""
