"""Who may act for a business: its legal representative, licence administrators and agents."""
