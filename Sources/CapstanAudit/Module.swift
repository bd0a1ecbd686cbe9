// Placeholder: filled in by the CapstanAudit work.
