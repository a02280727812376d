"""Partner systems (banks, agencies): OAuth clients, the business's consent, webhooks."""
