"""Annual compliance: the self-assessment, automatic checks, findings, sign-off and the report."""
