"""Code analytics: codebases and their admins, untrusted repository URLs, mining runs, the exports
in S3 and the org files, and the role-guarded reads of them (`mining/` turns a repository into the
exports)."""
