// Placeholder: filled in by the CapstanDocker work.
