"""AI-generated (synthetic) image detection."""
