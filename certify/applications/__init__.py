"""Applications for certification: scope, self-assessment, evidence, review and assignment."""
