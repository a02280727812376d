"""People who sign in: administrators, department issuers, clerks and business users."""
