// Placeholder: filled in by the CapstanGit work.
