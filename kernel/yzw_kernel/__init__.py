"""一张网 service kernel: what every service shares and nothing domain-specific."""
