"""Sign-in: bearer tokens (development and HelseID) and HelseID's key set."""
